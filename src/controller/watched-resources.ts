import type { ApiResource } from '../cluster/index.js';

/** Applications, in one namespace or (apps in any namespace) in all. */
export const APP_RESOURCE: ApiResource = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'Application',
  plural: 'applications',
  namespaced: true,
  verbs: ['list', 'watch'],
};

export const PROJECT_RESOURCE: ApiResource = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'AppProject',
  plural: 'appprojects',
  namespaced: true,
  verbs: ['list', 'watch'],
};

export const SECRET_RESOURCE: ApiResource = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  verbs: [],
};
