import type { HealthStatus, KubeObject } from '../core/index.js';
import { health, rec, str } from './util.js';

/** argoproj.io/Workflow: by phase, as Argo CD's built-in check; the workflow's message is kept. */
export function workflowHealth(obj: KubeObject): HealthStatus {
  const status = rec(obj.status);
  const message = str(status.message);
  switch (str(status.phase)) {
    case '':
    case 'Pending':
    case 'Running':
      return health('Progressing', message);
    case 'Succeeded':
      return health('Healthy', message);
    case 'Failed':
    case 'Error':
      return health('Degraded', message);
    default:
      return health('Unknown', message);
  }
}
