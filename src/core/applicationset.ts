import type { ApplicationSpec } from './application.js';
import type { KubeObject } from './kube-object.js';

/** A Kubernetes label selector (matchLabels and matchExpressions). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

/** spec.template of an ApplicationSet: an Application's metadata and spec, with template placeholders. */
export interface ApplicationSetTemplate {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: Partial<ApplicationSpec> & Record<string, unknown>;
}

/** One entry of a git generator's `directories` or `files`. */
export interface GitPathItem {
  path: string;
  exclude?: boolean;
}

/** One generator: exactly one of its kinds is set (plus the fields every generator shares). */
export interface ApplicationSetGenerator {
  list?: { elements?: Record<string, unknown>[]; elementsYaml?: string; template?: ApplicationSetTemplate };
  clusters?: {
    selector?: LabelSelector;
    values?: Record<string, string>;
    template?: ApplicationSetTemplate;
  };
  git?: {
    repoURL: string;
    revision?: string;
    directories?: GitPathItem[];
    files?: GitPathItem[];
    pathParamPrefix?: string;
    values?: Record<string, string>;
    requeueAfterSeconds?: number;
    template?: ApplicationSetTemplate;
  };
  matrix?: { generators: ApplicationSetGenerator[]; template?: ApplicationSetTemplate };
  merge?: { generators: ApplicationSetGenerator[]; mergeKeys: string[]; template?: ApplicationSetTemplate };
  /** Post-filter of the generated parameters (Argo CD's post selector). */
  selector?: LabelSelector;
  /** Not supported yet: reported as a condition. */
  pullRequest?: unknown;
  scmProvider?: unknown;
  clusterDecisionResource?: unknown;
  plugin?: unknown;
  [key: string]: unknown;
}

/** How the set may change the Applications it generates. */
export type ApplicationsSyncPolicy = 'create-only' | 'create-update' | 'create-delete' | 'sync';

/** spec of an argoproj.io/v1alpha1 ApplicationSet. */
export interface ApplicationSetSpec {
  generators: ApplicationSetGenerator[];
  template: ApplicationSetTemplate;
  goTemplate?: boolean;
  goTemplateOptions?: string[];
  /** A YAML (or JSON) document, rendered with the parameters, merged over the rendered template (goTemplate only). */
  templatePatch?: string;
  syncPolicy?: { applicationsSync?: ApplicationsSyncPolicy; preserveResourcesOnDeletion?: boolean };
  /** AllAtOnce (the default) or RollingSync (Argo CD's Progressive Syncs). */
  strategy?: {
    type?: string;
    rollingSync?: { steps?: RollingSyncStep[]; defaultPrune?: boolean };
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** One step of strategy.rollingSync: the apps whose labels match, at most maxUpdate (a number or "N%") at once. */
export interface RollingSyncStep {
  matchExpressions?: LabelSelector['matchExpressions'];
  maxUpdate?: number | string;
}

/** One entry of status.applicationStatus: where a RollingSync stands for one Application. */
export interface ApplicationSetApplicationStatus {
  application: string;
  status: 'Waiting' | 'Pending' | 'Progressing' | 'Healthy';
  message: string;
  lastTransitionTime?: string;
  /** The 1-based step that selects the app ("0": no step selects it). */
  step: string;
}

/** A condition of an ApplicationSet (ErrorOccurred, ParametersGenerated, ResourcesUpToDate). */
export interface ApplicationSetCondition {
  type: 'ErrorOccurred' | 'ParametersGenerated' | 'ResourcesUpToDate' | string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** One generated Application as status.resources lists it. */
export interface ApplicationSetResourceStatus {
  group: string;
  version: string;
  kind: string;
  name: string;
  namespace: string;
  status?: string;
  health?: { status?: string; message?: string };
}

/** status of an ApplicationSet. */
export interface ApplicationSetStatus {
  conditions?: ApplicationSetCondition[];
  resources?: ApplicationSetResourceStatus[];
  /** RollingSync only: each Application's progress. */
  applicationStatus?: ApplicationSetApplicationStatus[];
}

/** An argoproj.io/v1alpha1 ApplicationSet. */
export interface ApplicationSet extends KubeObject {
  spec: ApplicationSetSpec;
  status?: ApplicationSetStatus;
}
