import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appInstanceName, type Application, type KubeObject } from '../../core/index.js';
import {
  ClusterRegistry,
  SourceFetch,
  appSources,
  isMultiSource,
  prepareDesired,
  renderSources,
  type ClusterTarget,
} from '../../controller/index.js';
import { renderSource } from '../../render/index.js';
import {
  createHelmRepositories,
  createOciCharts,
  createRepoCache,
  credentialsFromSecrets,
  ociCredentialsFromSecrets,
  removeTree,
} from '../../source/index.js';
import { CliError, EXIT } from '../cli-error.js';
import type { Kube } from '../kube.js';
import { listTypedSecrets } from './common.js';

/** The destination cluster of an app, as the controller resolves it (in-cluster or a cluster Secret). */
export async function targetOf(
  kube: Kube,
  app: Application,
): Promise<{ target: ClusterTarget; close: () => void }> {
  const registry = new ClusterRegistry(kube.config);
  registry.updateFromSecrets(await listTypedSecrets(kube, 'cluster'));
  const target = registry.target(app.spec.destination);
  if (!target) {
    const d = app.spec.destination;
    throw new CliError(
      `destination cluster ${d.server ?? d.name} of application "${app.metadata.name}" is not registered: see 'mooring cluster list'`,
      EXIT.notFound,
    );
  }
  // Only the client, discovery and writer are used: the watch cache is never started.
  return { target, close: () => registry.stop() };
}

/**
 * Renders an app's source at a revision (default its targetRevision) the way the controller does: the
 * controller's SourceFetch (Git, Helm repositories, OCI registries, chart dependencies) over private
 * caches in a temp dir, credentials from the repository Secrets of the app namespace, then
 * prepareDesired (destination namespace, tracking ids, hooks set apart).
 */
export async function renderDesired(
  kube: Kube,
  app: Application,
  target: ClusterTarget,
  revision?: string,
): Promise<{ commit: string; objects: KubeObject[]; hooks: KubeObject[] }> {
  // With spec.sources, spec.source is ignored (as Argo CD): every source at its targetRevision.
  const multi = isMultiSource(app.spec);
  const source = appSources(app.spec)[0];
  if (!source) {
    throw new CliError(`application "${app.metadata.name}" has no spec.source`, EXIT.failure);
  }
  if (multi && revision) {
    throw new CliError(
      `application "${app.metadata.name}" has multiple sources: --revision names one revision; leave it out to render each source at its targetRevision`,
      EXIT.failure,
    );
  }
  const secrets = [
    ...(await listTypedSecrets(kube, 'repository')),
    ...(await listTypedSecrets(kube, 'repo-creds')),
  ];
  // A temp dir per run: two CLI processes never share (and race on) one mirror.
  const root = await mkdtemp(join(tmpdir(), 'mooring-cli-'));
  try {
    const project = app.spec.project;
    const sources = new SourceFetch(
      createRepoCache({
        root: join(root, 'repos'),
        credentials: async (url) => credentialsFromSecrets(secrets, url, project),
      }),
      createHelmRepositories({
        root: join(root, 'helm'),
        credentials: async (url) => credentialsFromSecrets(secrets, url, project, 'helm'),
      }),
      createOciCharts({
        root: join(root, 'oci'),
        credentials: async (url, chart) => ociCredentialsFromSecrets(secrets, url, chart, project),
      }),
    );
    let commit: string;
    let rendered;
    if (multi) {
      const all = appSources(app.spec);
      const revisions: string[] = [];
      for (const s of all) revisions.push((await sources.resolve(s, { fetch: true })).revision);
      commit = revisions.join(',');
      rendered = await renderSources(
        {
          checkout: (s, rev) => sources.checkout(s, rev),
          render: async (s, rev, refs) => {
            const { dir, chartDependencies } = await sources.checkout(s, rev);
            return renderSource({
              repoRoot: dir,
              source: s,
              appName: app.metadata.name ?? '',
              namespace: app.spec.destination.namespace,
              chartDependencies,
              ...(refs.refSources ? { refSources: refs.refSources } : {}),
            });
          },
        },
        all,
        revisions,
      );
    } else {
      ({ revision: commit } = await sources.resolve(source, { fetch: true, revision }));
      const { dir, chartDependencies } = await sources.checkout(source, commit);
      rendered = await renderSource({
        repoRoot: dir,
        source,
        appName: app.metadata.name ?? '',
        namespace: app.spec.destination.namespace,
        chartDependencies,
      });
    }
    await target.discovery.load();
    const prepared = prepareDesired(rendered.objects, {
      appInstance: appInstanceName(app, kube.appNamespace),
      defaultNamespace: app.spec.destination.namespace,
      isNamespaced: (g, k) => target.discovery.peek(g, k)?.namespaced,
    });
    return { commit, objects: prepared.objects, hooks: prepared.hooks };
  } finally {
    // The checked-out tree is read-only: a plain rm fails for any user but root.
    await removeTree(root);
  }
}
