import type { HealthStatus, KubeObject } from '../core/index.js';
import { conditionsOf, health, rec, str } from './util.js';

/**
 * argoproj.io/Workflow: by phase, as Argo CD's built-in check; the workflow's message is kept. A workflow
 * suspended by `spec.suspend` waits for a person to resume it.
 */
export function workflowHealth(obj: KubeObject): HealthStatus {
  const status = rec(obj.status);
  const message = str(status.message);
  const phase = str(status.phase);
  if (rec(obj.spec).suspend === true && (phase === '' || phase === 'Pending' || phase === 'Running')) {
    return health('Suspended', message || 'Workflow is suspended');
  }
  switch (phase) {
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

/**
 * argoproj.io/CronWorkflow, from the status Argo Workflows documents: `spec.suspend` (or phase Stopped,
 * once a stop strategy ended it) is Suspended; a SubmissionError or SpecError condition is Degraded;
 * otherwise the schedule is in place and Healthy (the workflows it starts have their own health).
 */
export function cronWorkflowHealth(obj: KubeObject): HealthStatus {
  if (rec(obj.spec).suspend === true) return health('Suspended', 'CronWorkflow is suspended');
  const status = rec(obj.status);
  if (str(status.phase) === 'Stopped') return health('Suspended', 'CronWorkflow is stopped');
  const error = conditionsOf(status).find(
    (c) => (c.type === 'SubmissionError' || c.type === 'SpecError') && c.status === 'True',
  );
  if (error) return health('Degraded', error.message || error.type);
  return health('Healthy');
}
