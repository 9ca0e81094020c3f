import { keyOf, keyString, type KubeObject } from '../core/index.js';

/**
 * App keys by the key of each object they want: one app's key alone (the common case, no array), or
 * several apps' keys. A live change to an object no app tracks yet finds the apps that want it in one
 * lookup, not a walk over every app (at 10,000 apps a cold start's new namespaces make tens of
 * thousands of such changes).
 */
export class WantedObjects {
  private readonly apps = new Map<string, string | string[]>();

  /** The keys of the apps that want the object with this key (keyString). */
  wanting(objectKey: string): readonly string[] {
    const apps = this.apps.get(objectKey);
    return apps === undefined ? [] : typeof apps === 'string' ? [apps] : apps;
  }

  /** An app now wants `after` (nothing: undefined) instead of `before`. */
  update(appKey: string, before: readonly KubeObject[] = [], after: readonly KubeObject[] = []): void {
    for (const o of before) this.remove(keyString(keyOf(o)), appKey);
    for (const o of after) this.add(keyString(keyOf(o)), appKey);
  }

  /** Objects wanted by some app (tests, metrics). */
  get size(): number {
    return this.apps.size;
  }

  private add(k: string, appKey: string): void {
    const apps = this.apps.get(k);
    if (apps === undefined) this.apps.set(k, appKey);
    else if (apps === appKey || (Array.isArray(apps) && apps.includes(appKey))) return;
    else this.apps.set(k, typeof apps === 'string' ? [apps, appKey] : [...apps, appKey]);
  }

  private remove(k: string, appKey: string): void {
    const apps = this.apps.get(k);
    if (apps === appKey) this.apps.delete(k);
    else if (Array.isArray(apps) && apps.includes(appKey)) {
      const rest = apps.filter((a) => a !== appKey);
      this.apps.set(k, rest.length === 1 ? rest[0]! : rest);
    }
  }
}
