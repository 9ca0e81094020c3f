// Mooring's built-in triggers and templates, mirroring the names and conditions of Argo CD's
// notifications catalog so subscriptions written for Argo CD work unchanged. They apply when the
// ConfigMap does not define an entry of the same name. The message wording is Mooring's own.

const SYNC_OP = 'app.status.operationState != nil and app.status.operationState.phase in';
const SYNCED_REVISION = 'app.status.operationState.syncResult.revision';

/** Built-in `trigger.<name>` entries, as the YAML values the ConfigMap would hold. */
export const BUILTIN_TRIGGERS: Record<string, { when: string; send: string[]; oncePer?: string }[]> = {
  'on-created': [{ when: 'true', oncePer: 'app.metadata.name', send: ['app-created'] }],
  'on-deleted': [
    { when: 'app.metadata.deletionTimestamp != nil', oncePer: 'app.metadata.name', send: ['app-deleted'] },
  ],
  'on-deployed': [
    {
      when: `${SYNC_OP} ['Succeeded'] and app.status.health.status == 'Healthy'`,
      oncePer: SYNCED_REVISION,
      send: ['app-deployed'],
    },
  ],
  'on-health-degraded': [{ when: "app.status.health.status == 'Degraded'", send: ['app-health-degraded'] }],
  'on-sync-failed': [{ when: `${SYNC_OP} ['Error', 'Failed']`, send: ['app-sync-failed'] }],
  'on-sync-running': [{ when: `${SYNC_OP} ['Running']`, send: ['app-sync-running'] }],
  'on-sync-status-unknown': [
    { when: "app.status.sync.status == 'Unknown'", send: ['app-sync-status-unknown'] },
  ],
  'on-sync-succeeded': [
    { when: `${SYNC_OP} ['Succeeded']`, oncePer: SYNCED_REVISION, send: ['app-sync-succeeded'] },
  ],
  // Mooring's addition for alert-only mode: out of sync while Git has not moved since the last sync,
  // so the live state changed outside Git, and self-heal is off so nothing will undo it.
  'on-drift-detected': [
    {
      when:
        "app.status.sync.status == 'OutOfSync' and app.status.operationState != nil" +
        // Only after a finished sync, compared since: a running or failed sync at a new revision is
        // not drift, nor the OutOfSync left over from before the sync until the next comparison.
        " and app.status.operationState.phase == 'Succeeded'" +
        // As times: reconciledAt carries milliseconds and finishedAt whole seconds, so as strings a
        // comparison in the same second as the sync ('…22.542Z' < '…22Z') would never see the drift.
        ' and time.Parse(app.status.reconciledAt).After(time.Parse(app.status.operationState.finishedAt))' +
        ` and app.status.sync.revision == ${SYNCED_REVISION}` +
        ' and app.spec.syncPolicy?.automated?.selfHeal != true',
      send: ['app-drift-detected'],
    },
  ],
};

const NAME = '{{.app.metadata.name}}';
const REV = '{{.app.status.sync.revision}}';

function tmpl(message: string, subject: string): Record<string, unknown> {
  return { message, email: { subject }, teams: { title: subject } };
}

/** Built-in `template.<name>` entries, as the YAML values the ConfigMap would hold. */
export const BUILTIN_TEMPLATES: Record<string, Record<string, unknown>> = {
  'app-created': tmpl(`Application ${NAME} was created.`, `${NAME}: created`),
  'app-deleted': tmpl(`Application ${NAME} was deleted.`, `${NAME}: deleted`),
  'app-deployed': tmpl(
    `Application ${NAME} is synced and healthy at revision ${REV}.`,
    `${NAME}: deployed ${REV}`,
  ),
  'app-health-degraded': tmpl(
    `Application ${NAME} is degraded: {{.app.status.health.message | default "no message"}}`,
    `${NAME}: degraded`,
  ),
  'app-sync-failed': tmpl(
    `Sync of application ${NAME} failed ({{.app.status.operationState.phase}}): {{.app.status.operationState.message}}`,
    `${NAME}: sync failed`,
  ),
  'app-sync-running': tmpl(`Application ${NAME} is syncing.`, `${NAME}: sync running`),
  'app-sync-status-unknown': tmpl(
    `The sync status of application ${NAME} is Unknown.`,
    `${NAME}: sync status unknown`,
  ),
  'app-sync-succeeded': tmpl(`Application ${NAME} synced revision ${REV}.`, `${NAME}: sync succeeded`),
  'app-drift-detected': tmpl(
    `Application ${NAME} drifted from Git at revision ${REV}: the live state was changed outside Git.`,
    `${NAME}: drift detected`,
  ),
};
