import { keyOf, type KubeObject } from '../../core/index.js';
import type { Kube } from '../kube.js';

/** Field manager of `mooring install --apply`, apart from the controller's `mooring`. */
export const INSTALL_FIELD_MANAGER = 'mooring-install';

/** What applying one object did. */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** `kind/name` as kubectl prints it, with the API group for non-core kinds. */
export function objectRef(obj: KubeObject): string {
  const slash = obj.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : obj.apiVersion.slice(0, slash);
  return `${obj.kind.toLowerCase()}${group ? `.${group}` : ''}/${obj.metadata.name}`;
}

/**
 * Server-side applies the objects in order and reports each as created, configured or unchanged.
 * Conflicts are forced: the install owns these objects, and an upgrade must win over fields the
 * controller wrote when it created the CRDs itself.
 */
export async function applyManifests(
  kube: Kube,
  objects: KubeObject[],
  report: (ref: string, action: ApplyAction) => void,
): Promise<void> {
  for (const obj of objects) {
    const before = await kube.writer.get(keyOf(obj));
    const after = await kube.writer.apply(obj, { fieldManager: INSTALL_FIELD_MANAGER, force: true });
    const action: ApplyAction = !before
      ? 'created'
      : before.metadata.resourceVersion === after.metadata.resourceVersion
        ? 'unchanged'
        : 'configured';
    report(objectRef(obj), action);
  }
}
