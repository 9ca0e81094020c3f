// src/source/helm-repo: Helm chart repositories (index.yaml over HTTP(S)) as a source of charts.
export {
  createHelmRepositories,
  DEFAULT_HELM_REPO_LIMITS,
  type HelmRepositories,
  type HelmRepositoriesOptions,
  type HelmRepoLimits,
  type ResolvedChart,
  type ChartCheckout,
} from './helm-repositories.js';
export {
  isExactVersion,
  parseConstraint,
  parseVersion,
  newestMatching,
  satisfies,
  compareVersions,
} from './semver.js';
