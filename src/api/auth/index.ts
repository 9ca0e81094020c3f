// Authentication and RBAC for `mooring server`: the interface the API codes against and its implementation.
export {
  AuthError,
  type Auth,
  type Principal,
  type ProjectLookup,
  type RbacAction,
  type RbacResource,
} from './types.js';
export { AuthService, type AuthServiceOptions } from './service.js';
export { AuthRequestError, AuthUnavailableError, ProjectTokenError } from './errors.js';
export { RbacEnforcer, rbacConfigFromData, type RbacConfig } from './enforcer.js';
export {
  BUILTIN_POLICY_CSV,
  parsePolicyCsv,
  PolicySet,
  type PolicyRule,
  type RoleBinding,
} from './policy.js';
export { projectOfRequest, projectPolicy, projectSubject, parseProjectSubject } from './project-policy.js';
export { LoginRateLimiter, type RateLimitOptions } from './rate-limit.js';
export { LoginThrottle, throttleOptionsFromEnv, type LoginThrottleOptions } from './login-throttle.js';
export { clientAddress, TrustedProxies } from './client-address.js';
export {
  hashPassword,
  verifyPassword,
  generatePassword,
  legacyScryptHash,
  UnsupportedHashError,
} from './password.js';
export { signToken, verifyToken, newClaims, ISSUER, type TokenClaims, type VerifyResult } from './jwt.js';
export {
  ARGOCD_SECRET,
  INITIAL_ADMIN_SECRET,
  REVOCATIONS_SECRET,
  ARGOCD_CM,
  ARGOCD_RBAC_CM,
} from './kube-objects.js';
