// The contract between bench/peers.ts and each GitOps engine it measures (Mooring, Argo CD, Flux):
// the bench owns the cluster, the git server and the workloads; an engine only knows how to run
// itself on loopback against that cluster and how to express "deploy this folder of this repo".

/** What the bench gives an engine: one shared local cluster, one git server, a scratch folder. */
export interface EngineContext {
  /** Path of the local cluster's kubeconfig (admin). */
  kubeconfig: string;
  /** Runs the project's kubectl with KUBECONFIG set; resolves stdout, rejects with stderr. */
  kubectl: (args: string[], input?: string) => Promise<string>;
  /** Folder the engine may write to (its data, logs, generated manifests); removed after the run. */
  workDir: string;
  /** Progress lines for stderr (never results). */
  log: (line: string) => void;
}

/** One app: a folder of one Git repository, kustomize-built, objects already carrying their namespace. */
export interface AppSpec {
  /** Unique in the run, DNS-label safe, e.g. `mo-app-0007`; also the name of its namespace. */
  name: string;
  /** http://127.0.0.1:<port>/<repo>.git on the bench's git server (anonymous read). */
  repoURL: string;
  /** Folder in the repo with a kustomization.yaml (a Namespace + Deployment, ServiceAccount, Service, ConfigMap). */
  path: string;
  /** Branch to follow. */
  branch: string;
  /** Namespace the app's objects land in (exists in the folder as a Namespace object too). */
  namespace: string;
}

/** Readiness of a set of apps by the engine's own definition (Synced/Healthy, Ready=True...). */
export interface ReadyCount {
  ready: number;
  total: number;
  /** One line on a not-ready app, for progress output. */
  example?: string;
}

/** A GitOps engine the bench can measure. */
export interface Engine {
  /** Short id used in namespaces and app names: `mo`, `ar`, `fx`. */
  readonly id: string;
  /** Display name: `Mooring`, `Argo CD`, `Flux`. */
  readonly name: string;
  /** Component versions, e.g. { 'argocd': 'v2.14.21', 'redis': '7.0.15' }. */
  versions(): Promise<Record<string, string>>;
  /** One line per setting that differs from the engine's defaults (intervals, concurrency...). */
  settings(): string[];
  /** Installs CRDs/RBAC/config the engine needs and starts its processes; resolves when they serve. */
  start(ctx: EngineContext): Promise<void>;
  /** Creates the engine's objects (Application, GitRepository + Kustomization...) for the apps. */
  createApps(apps: AppSpec[]): Promise<void>;
  /** How many of the apps are ready by the engine's own definition. */
  readyCount(apps: AppSpec[]): Promise<ReadyCount>;
  /**
   * What a push webhook does for this engine (its documented webhook receiver when it runs,
   * else its documented "reconcile now" request); the bench pushes the commit first.
   */
  notifyPush(repoURL: string, apps: AppSpec[]): Promise<void>;
  /** PIDs of every process of the engine (for CPU-seconds and RSS from /proc). */
  pids(): number[];
  /** Renders (kustomize builds) done so far, when the engine exposes the number. */
  renders?(): Promise<number | undefined>;
  /** Deletes the engine's app objects (and, by its own pruning, what they deployed). */
  deleteApps(apps: AppSpec[]): Promise<void>;
  /** Stops every process the engine started (also on failure); safe to call twice. */
  stop(): Promise<void>;
}
