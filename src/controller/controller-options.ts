import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../core/index.js';
import type { LuaLimits } from '../health/index.js';
import type { RenderLimits, ToolLimits, ToolPaths } from '../render/index.js';
import type { ReconcileResult } from './reconciler.js';
import type { ShardingOptions } from './sharding/index.js';

/** Options of the controller; every one has a default that suits the quickstart. */
export interface ControllerOptions {
  kubeConfig: KubeConfig;
  /** The control-plane namespace with Applications, AppProjects and repository/cluster Secrets (default 'argocd'). */
  namespace?: string;
  /** Globs of further namespaces whose Applications are managed (each allowed by its project's sourceNamespaces). */
  applicationNamespaces?: string[];
  /**
   * Namespaced mode: the only namespaces of the in-cluster destination that are watched and managed
   * (Argo CD's cluster `namespaces`; its cluster Secret's list wins), and Applications are watched in
   * the control-plane and application namespaces one by one (names, no globs). Unset: cluster-wide.
   */
  watchNamespaces?: string[];
  /**
   * How often each app is refreshed and its repository fetched, jittered by ±jitter (default 0.1).
   * When unset: argocd-cm's `timeout.reconciliation` (0 turns polling off), else 180 s.
   */
  pollIntervalMs?: number;
  jitter?: number;
  /** Apps reconciled at once (default 8). */
  concurrency?: number;
  /** Where mirrors and checked-out trees live (default ~/.cache/mooring/controller). */
  cacheDir?: string;
  tools?: ToolPaths;
  /** What one app's render may read and produce (bytes, documents, object size); see RenderLimits. */
  renderLimits?: Partial<RenderLimits>;
  /** Memory and CPU caps of each kustomize/helm run (default 512 MiB, 60 s); see ToolLimits. */
  renderToolLimits?: ToolLimits;
  logger?: Logger;
  /** Lets repoURLs be file:// URLs: for tests only. */
  allowFileRepos?: boolean;
  /** Create the CRDs and the default project when missing (default true). */
  installCrds?: boolean;
  /**
   * Compact V8's heap once a burst of work is over, giving the pages it grew by back to the system
   * (default true; see HeapCompaction).
   */
  heapCompaction?: boolean;
  /** Send notifications configured in argocd-notifications-cm (default true). */
  notifications?: boolean;
  /** Budgets of each call of a user's Lua health script (default 250 ms, 16 MiB). */
  luaLimits?: LuaLimits;
  /**
   * Replicas: share the apps with the other controllers of this control-plane namespace through
   * membership Leases (src/controller/sharding). Unset: this process acts on every app, no Leases.
   */
  sharding?: ShardingOptions;
  /** Called after each pass; tests and benchmarks observe the controller with it. */
  onReconciled?: (appKey: string, result: ReconcileResult) => void;
}
