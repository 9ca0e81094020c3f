// Custom CA certificates for repositories served over HTTPS, from Argo CD's argocd-tls-certs-cm
// ConfigMap: one key per server name, its value one or more PEM certificates.
import type { KubeObject, Logger } from '../core/index.js';
import { Informer, type ApiResource, type KubeClient } from '../cluster/index.js';

/** The ConfigMap Argo CD keeps repository server certificates in. */
export const TLS_CERTS_CM = 'argocd-tls-certs-cm';

const CONFIGMAP: ApiResource = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
  verbs: ['list', 'watch'],
};

/** The PEM certificates argocd-tls-certs-cm's data holds for a URL's server: by host name, else by host:port. */
export function certificatesFor(data: Record<string, string> | undefined, url: URL): string | undefined {
  if (!data) return undefined;
  const pem = data[url.hostname] ?? data[url.host];
  return pem && pem.includes('-----BEGIN CERTIFICATE-----') ? pem : undefined;
}

/** Follows argocd-tls-certs-cm in the controller's namespace; absent or unreadable, no extra CA is trusted. */
export class TlsCertsWatch {
  private informer?: Informer;

  constructor(private readonly opts: { client: KubeClient; namespace: string; logger: Logger }) {}

  /** Starts the watch and waits for its first list (or a refusal, logged once). */
  async start(): Promise<void> {
    this.informer = new Informer(this.opts.client, {
      resource: CONFIGMAP,
      namespace: this.opts.namespace,
      fieldSelector: `metadata.name=${TLS_CERTS_CM}`,
      logger: this.opts.logger,
    });
    this.informer.start();
    const refused = await Promise.race([this.informer.synced.then(() => undefined), this.informer.refused]);
    if (refused) {
      this.informer.stop();
      this.informer = undefined;
      this.opts.logger.warn(
        `cannot read ConfigMap ${TLS_CERTS_CM} in ${this.opts.namespace}: ${refused.message}`,
      );
    }
  }

  stop(): void {
    this.informer?.stop();
  }

  /** Extra CA certificates (PEM) for the URL's server. */
  caFor(url: URL): string | undefined {
    const cm = this.informer?.list()[0] as (KubeObject & { data?: Record<string, string> }) | undefined;
    return certificatesFor(cm?.data, url);
  }
}
