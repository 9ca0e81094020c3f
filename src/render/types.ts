import type { ApplicationSource, KubeObject, Logger } from '../core/index.js';
import type { ManifestBudget, RenderLimits } from './limits.js';

/** How a source directory is turned into manifests, named as Argo CD names it. */
export type SourceType = 'Directory' | 'Kustomize' | 'Helm';

/** What to render: a checked-out tree, the Application's source and the few facts tools need. */
export interface RenderRequest {
  /** A checked-out tree at one commit. Read-only: rendering never writes to it. */
  repoRoot: string;
  source: ApplicationSource;
  /** The Application's name: Helm's release name unless source.helm.releaseName is set. */
  appName: string;
  /** The destination namespace, passed to `helm template --namespace`. Nothing else uses it here. */
  namespace?: string;
  /** The target cluster's version, for `helm template --kube-version`. */
  kubeVersion?: string;
  /** The target cluster's API versions, for `helm template --api-versions`. */
  apiVersions?: string[];
  /**
   * Helm: charts to place in the chart's `charts/` directory (of the private copy) before rendering,
   * the dependencies its Chart.yaml names that the caller fetched from their repositories.
   */
  chartDependencies?: { name: string; dir: string }[];
  /**
   * Multiple sources: the checkout root of each source with `ref`, by ref name, for `$<ref>/path`
   * value files (read only inside that root).
   */
  refSources?: Record<string, string>;
  /**
   * What the caller found this render can read at this commit (render/inputs.ts: repo-relative paths,
   * '' for the whole tree) and every symlink of the tree. Tools then get a copy of those paths only and
   * the symlink check reads those links only, instead of copying and walking the whole repository on
   * every render (in a monorepo of N apps that made each render O(N), a cold start O(N²)).
   */
  bounded?: { paths: readonly string[]; links: readonly string[] };
}

/** The desired objects of one source. */
export interface RenderResult {
  /**
   * Sorted by group, kind, namespace, name. Namespaces are exactly what the manifests or tools
   * produced: the destination namespace is NOT filled in here (the controller defaults it later).
   */
  objects: KubeObject[];
  sourceType: SourceType;
  /** Problems that did not stop rendering, each a full sentence naming the file concerned. */
  warnings: string[];
  /** Size of the objects as compact JSON: what caching this result costs, roughly. */
  manifestBytes?: number;
}

/** Paths of the external tools; absent ones are located with locateTools(). */
export interface ToolPaths {
  kustomize?: string;
  helm?: string;
  jsonnet?: string;
}

/** Options of one render. */
export interface RenderOptions {
  tools?: ToolPaths;
  signal?: AbortSignal;
  logger?: Logger;
  /** Kills a tool that runs longer than this (default 120 s). */
  timeoutMs?: number;
  /** Memory, CPU and network caps of each tool run (kustomize, helm); see ToolLimits. */
  toolLimits?: ToolLimits;
  /** What one render may read and produce; each member defaults (see DEFAULT_RENDER_LIMITS). */
  limits?: Partial<RenderLimits>;
  /** The running render's count against its limits: set by renderSource for the tools it runs. */
  budget?: ManifestBudget;
}

/** Caps on each external tool a render runs; every field has a default (DEFAULT_TOOL_LIMITS). */
export interface ToolLimits {
  /** Memory one tool run may use, in bytes (default 512 MiB): RLIMIT_DATA, GOMEMLIMIT, an RSS watch. */
  memoryBytes?: number;
  /** CPU time one tool run may use, in seconds (default 60), beside the wall-clock timeoutMs. */
  cpuSeconds?: number;
  /** Runs tools in a network namespace of their own when the system allows it (default true). */
  isolateNetwork?: boolean;
}
