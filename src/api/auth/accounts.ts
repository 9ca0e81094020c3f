import { secretText, type DataObject } from './kube-objects.js';

/** A local account as argocd-cm and argocd-secret describe it. */
export interface LocalAccount {
  name: string;
  enabled: boolean;
  /** `login` (password sessions) and/or `apiKey`. */
  capabilities: string[];
  /** The stored password hash, when one is set. */
  passwordHash?: string;
  /** When the password last changed (seconds since epoch); sessions issued before are refused. */
  passwordMtime?: number;
}

function parseMtime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/**
 * Finds a local account the way Argo CD does: `admin` (disabled by `admin.enabled: "false"` in
 * argocd-cm, password in argocd-secret's `admin.password`), or `accounts.<name>: login[, apiKey]` in
 * argocd-cm with `accounts.<name>.enabled` and argocd-secret's `accounts.<name>.password`.
 */
export function findAccount(
  name: string,
  cm: Record<string, string> | undefined,
  secret: DataObject | undefined,
): LocalAccount | undefined {
  const data = cm ?? {};
  if (name === 'admin') {
    return {
      name,
      enabled: (data['admin.enabled'] ?? 'true').trim() !== 'false',
      capabilities: ['login'],
      passwordHash: secretText(secret, 'admin.password'),
      passwordMtime: parseMtime(secretText(secret, 'admin.passwordMtime')),
    };
  }
  // Names with dots would make the keys ambiguous (accounts.<name>.enabled).
  if (!/^[a-z0-9]([-a-z0-9_]*[a-z0-9])?$/i.test(name)) return undefined;
  const caps = data[`accounts.${name}`];
  if (caps === undefined) return undefined;
  return {
    name,
    enabled: (data[`accounts.${name}.enabled`] ?? 'true').trim() !== 'false',
    capabilities: caps
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    passwordHash: secretText(secret, `accounts.${name}.password`),
    passwordMtime: parseMtime(secretText(secret, `accounts.${name}.passwordMtime`)),
  };
}
