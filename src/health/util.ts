import { isRecord, type HealthStatus, type HealthStatusCode, type KubeObject } from '../core/index.js';

/** A plain JSON object read from an unstructured Kubernetes object. */
export type Obj = Record<string, unknown>;

/** The value when it is an object, else an empty one: live objects are read defensively. */
export function rec(value: unknown): Obj {
  return isRecord(value) ? value : {};
}

/** The value when it is an array, else an empty one. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value when it is a finite number, else undefined (an unset optional field). */
export function optNum(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The value when it is a number, else 0: absent counters read as Go's zero value, as Argo CD's typed structs do. */
export function num(value: unknown): number {
  return optNum(value) ?? 0;
}

/** The value when it is a string, else ''. */
export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** One entry of a status.conditions list, with absent fields read as ''. */
export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  /** The generation the condition was set for, when the controller records it per condition. */
  observedGeneration?: number;
}

/** The conditions of a status object (or of any list of condition-shaped values). */
export function conditionsOf(value: unknown): Condition[] {
  const raw = isRecord(value) ? value.conditions : value;
  return list(raw).map((c) => {
    const r = rec(c);
    const condition: Condition = {
      type: str(r.type),
      status: str(r.status),
      reason: str(r.reason),
      message: str(r.message),
    };
    const observed = optNum(r.observedGeneration);
    if (observed !== undefined) condition.observedGeneration = observed;
    return condition;
  });
}

/** The first condition of the given type. */
export function findCondition(conditions: Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/** A HealthStatus; an empty message is left out, as Argo CD's JSON (omitempty) does. */
export function health(status: HealthStatusCode, message?: string): HealthStatus {
  return message ? { status, message } : { status };
}

/** True when the condition exists with status "True". */
export function isTrue(condition: Condition | undefined): boolean {
  return condition?.status === 'True';
}

/**
 * True when the object's controller has not yet seen its latest spec: status.observedGeneration (a number,
 * or a numeric string as Argo Rollouts writes it) behind metadata.generation. Absent fields say nothing.
 */
export function generationStale(
  obj: KubeObject,
  observed: unknown = rec(obj.status).observedGeneration,
): boolean {
  const generation = optNum(obj.metadata.generation);
  if (generation === undefined) return false;
  const seen = typeof observed === 'string' && /^\d+$/.test(observed) ? Number(observed) : optNum(observed);
  return seen !== undefined && seen < generation;
}

/** True when a condition records the generation it was set for, and that generation is not the latest. */
export function conditionStale(obj: KubeObject, condition: Condition | undefined): boolean {
  const generation = optNum(obj.metadata.generation);
  const seen = condition?.observedGeneration;
  return generation !== undefined && seen !== undefined && seen < generation;
}

/** "Reason: message", or whichever of the two is set. */
export function reasonMessage(condition: Condition): string {
  if (condition.reason && condition.message) return `${condition.reason}: ${condition.message}`;
  return condition.message || condition.reason;
}
