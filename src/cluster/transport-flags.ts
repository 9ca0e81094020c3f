import { parseDuration, UserError } from '../core/index.js';
import { DEFAULT_KUBE_TRANSPORT, type KubeTransportSettings } from './transport.js';

/** Help lines of the Kubernetes client flags, shared by `mooring controller` and `mooring server`. */
export const KUBE_CLIENT_FLAGS_HELP = `  --kube-qps N                   requests a second to each cluster's apiserver; 0 = no limit
                                 (default $ARGOCD_K8S_CLIENT_QPS, else 50, as Argo CD)
  --kube-burst N                 requests allowed at once above --kube-qps
                                 (default $ARGOCD_K8S_CLIENT_BURST, else twice the QPS, as Argo CD)
  --kube-max-connections N       connections open at once to each cluster for requests other than watches (default 32)
  --kube-request-timeout DURATION  time limit of one API request other than a watch (default 60s)
`;

/** parseArgs definitions of the Kubernetes client flags. */
export const KUBE_CLIENT_FLAGS = {
  'kube-qps': { type: 'string' },
  'kube-burst': { type: 'string' },
  'kube-max-connections': { type: 'string' },
  'kube-request-timeout': { type: 'string' },
} as const;

/** Transport settings from the flags, falling back to Argo CD's ARGOCD_K8S_CLIENT_* variables. */
export function kubeTransportFromFlags(
  values: {
    'kube-qps'?: string;
    'kube-burst'?: string;
    'kube-max-connections'?: string;
    'kube-request-timeout'?: string;
  },
  env: NodeJS.ProcessEnv = process.env,
): KubeTransportSettings {
  const number = (text: string, what: string, min: number): number => {
    const n = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(n) || n < min)
      throw new UserError(`${what} must be a number of at least ${min}, not "${text}"`);
    return n;
  };
  const qpsText = values['kube-qps'] ?? env.ARGOCD_K8S_CLIENT_QPS;
  const qps =
    qpsText === undefined
      ? DEFAULT_KUBE_TRANSPORT.qps
      : number(qpsText, values['kube-qps'] !== undefined ? '--kube-qps' : 'ARGOCD_K8S_CLIENT_QPS', 0);
  const burstText = values['kube-burst'] ?? env.ARGOCD_K8S_CLIENT_BURST;
  const burst =
    burstText === undefined
      ? Math.max(1, Math.round(qps * 2))
      : number(burstText, values['kube-burst'] !== undefined ? '--kube-burst' : 'ARGOCD_K8S_CLIENT_BURST', 1);
  const maxText = values['kube-max-connections'];
  const maxSockets =
    maxText === undefined ? DEFAULT_KUBE_TRANSPORT.maxSockets : number(maxText, '--kube-max-connections', 1);
  if (!Number.isInteger(maxSockets))
    throw new UserError(`--kube-max-connections must be a whole number, not "${maxText}"`);
  const timeoutText = values['kube-request-timeout'];
  let requestTimeoutMs = DEFAULT_KUBE_TRANSPORT.requestTimeoutMs;
  if (timeoutText !== undefined) {
    try {
      requestTimeoutMs = parseDuration(timeoutText);
    } catch {
      requestTimeoutMs = NaN;
    }
    if (!(requestTimeoutMs >= 1000))
      throw new UserError(
        `--kube-request-timeout must be a duration of at least 1s (e.g. 30s, 2m), not "${timeoutText}"`,
      );
  }
  return { ...DEFAULT_KUBE_TRANSPORT, qps, burst, maxSockets, requestTimeoutMs };
}
