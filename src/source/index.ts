// src/source: repository URL + revision → an immutable checked-out tree at a commit.
export {
  createRepoCache,
  type RepoCache,
  type RepoCacheOptions,
  type ResolvedRevision,
} from './repo-cache.js';
export {
  credentialsFromSecrets,
  ociCredentialsFromSecrets,
  secretStrings,
  type RepoCredentials,
  type RepoType,
} from './credentials.js';
export { normalizeRepoURL, redactURL, checkRepoURL } from './url.js';
export { createPoller, type Poller, type PollerOptions } from './poller.js';
export { runGit, type GitRunner, type GitInvocation, type GitResult } from './git-exec.js';
export { removeTree } from './trees.js';
export {
  parseWebhook,
  pushRelevance,
  manifestGeneratePaths,
  MANIFEST_GENERATE_PATHS,
  webhookProvider,
  webhookMatches,
  repoIdentity,
  MAX_WEBHOOK_BYTES,
  type WebhookResult,
  type WebhookEvent,
  type WebhookRejection,
  type WebhookProvider,
  type WebhookSecrets,
} from './webhook.js';
export {
  createHelmRepositories,
  DEFAULT_HELM_REPO_LIMITS,
  isExactVersion,
  parseConstraint,
  type HelmRepositories,
  type HelmRepositoriesOptions,
  type HelmRepoLimits,
  type ResolvedChart,
  type ChartCheckout,
} from './helm-repo/index.js';
export {
  createOciCharts,
  DEFAULT_OCI_LIMITS,
  isSchemelessOci,
  isDigest,
  isLoopback,
  parseOciReference,
  type OciCharts,
  type OciChartsOptions,
  type OciLimits,
} from './oci/index.js';
