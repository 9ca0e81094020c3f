// The webhook's provider secrets, read from a watch of argocd-secret: a request costs no apiserver
// read, and a rotated secret applies as soon as the watch sees it.
import { errorMessage, type Logger } from '../core/index.js';
import { Informer, type KubeClient } from '../cluster/index.js';
import type { WebhookSecrets } from '../source/index.js';
import { secretData } from './clusters.js';
import { SECRET_RESOURCE } from './watched-resources.js';

const ARGOCD_SECRET = 'argocd-secret';

/** The webhook secrets of argocd-secret's data (`webhook.<provider>.secret`, `webhook.bitbucket.uuid`). */
export function webhookSecretsOf(data: Record<string, string>): WebhookSecrets {
  return {
    github: data['webhook.github.secret'],
    gitlab: data['webhook.gitlab.secret'],
    gitea: data['webhook.gitea.secret'] ?? data['webhook.gogs.secret'],
    gogs: data['webhook.gogs.secret'],
    bitbucket: data['webhook.bitbucket.uuid'],
  };
}

/**
 * argocd-secret's webhook secrets from a watch started at the first webhook. Until the watch has its
 * first list, or when it is refused, there are no secrets to check with: `current` says so
 * (undefined) and the webhook is refused rather than accepted unsigned.
 */
export class WebhookSecretsWatch {
  private informer?: Informer;
  private synced = false;
  private refused = false;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly logger: Logger,
    /** How long a request waits for the first list. */
    private readonly syncTimeoutMs = 10_000,
  ) {}

  /** The secrets now, or undefined when the watch cannot tell them (not listed yet, or refused). */
  async current(): Promise<WebhookSecrets | undefined> {
    const informer = this.start();
    if (!this.synced && !this.refused) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        informer.synced,
        informer.refused,
        new Promise((r) => (timer = setTimeout(r, this.syncTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    if (!this.synced) return undefined;
    const secret = informer.list()[0];
    return webhookSecretsOf(secret ? secretData(secret) : {});
  }

  /** Stops the watch. */
  stop(): void {
    this.informer?.stop();
  }

  private start(): Informer {
    if (this.informer) return this.informer;
    const informer = new Informer(this.client, {
      resource: SECRET_RESOURCE,
      namespace: this.namespace,
      fieldSelector: `metadata.name=${ARGOCD_SECRET}`,
      logger: this.logger,
    });
    this.informer = informer;
    void informer.synced.then(() => (this.synced = true));
    void informer.refused.then((err) => {
      this.refused = true;
      this.logger.warn(
        `cannot watch Secret ${ARGOCD_SECRET} in ${this.namespace}: ${errorMessage(err)}; webhooks are refused until the controller may read it`,
      );
    });
    return informer.start();
  }
}
