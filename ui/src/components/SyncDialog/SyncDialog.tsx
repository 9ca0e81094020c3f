import { useState, type FormEvent } from 'react';
import type { Application, ResourceDiff } from '../../../../src/api/contract/index.js';
import { operationState } from '../../lib/apps.js';
import {
  buildSyncRequest,
  defaultSyncChoices,
  resourceKey,
  SYNC_OPTION_FLAGS,
  type SyncChoices,
} from '../../lib/sync-request.js';
import { Dialog } from '../Dialog/Dialog.js';
import { ErrorMessage } from '../Feedback/Feedback.js';
import { OperationProgress } from '../OperationProgress/OperationProgress.js';
import { useApps } from '../Root/context.js';
import { SyncStatus } from '../StatusBadge/StatusBadge.js';

/**
 * The sync dialog: revision, prune, dry run, force, sync options and a checkbox per resource;
 * "Synchronize" starts the sync, then the dialog follows status.operationState live until it ends.
 */
export function SyncDialog(props: {
  app: Application;
  resources: readonly ResourceDiff[];
  onClose: () => void;
}) {
  const { api } = useApps();
  const { app } = props;
  const [c, setC] = useState<SyncChoices>(() =>
    defaultSyncChoices(props.resources, app.spec.syncPolicy?.syncOptions),
  );
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The operation that was current before ours: progress shows only once a newer one appears.
  const [startedAfter, setStartedAfter] = useState<string | null | undefined>(undefined);
  const selectable = props.resources.filter((r) => !r.hook);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    let req;
    try {
      req = buildSyncRequest(c, props.resources, app.spec.syncPolicy?.syncOptions);
    } catch (err) {
      setError(err);
      return;
    }
    setBusy(true);
    const before = operationState(app)?.startedAt ?? null;
    try {
      await api.sync(app.metadata.namespace ?? '', app.metadata.name ?? '', req);
      setStartedAfter(before);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const op = operationState(app);
  const ours = startedAfter !== undefined && op && (op.startedAt ?? null) !== startedAfter ? op : undefined;
  const waiting = startedAfter !== undefined && !ours;
  const done = ours && ours.phase !== 'Running' && ours.phase !== 'Terminating';

  const toggle = (key: string) =>
    setC({
      ...c,
      selected: c.selected.includes(key) ? c.selected.filter((k) => k !== key) : [...c.selected, key],
    });
  const check = (k: keyof SyncChoices, label: string, hint?: string) => (
    <label className="check" key={k}>
      <input
        type="checkbox"
        name={k}
        checked={c[k] as boolean}
        onChange={(e) => setC({ ...c, [k]: e.target.checked })}
        disabled={startedAfter !== undefined}
      />
      {/* One span, so a long hint wraps under the label instead of becoming a column of its own. */}
      <span>
        {label}
        {hint && <span className="muted small"> {hint}</span>}
      </span>
    </label>
  );

  return (
    <Dialog title={`Sync ${app.metadata.name}`} onClose={props.onClose} wide>
      <form onSubmit={submit}>
        <div className="sync-grid">
          <fieldset className="field">
            <legend>Options</legend>
            <label className="field">
              <span>Revision</span>
              <input
                name="revision"
                value={c.revision}
                placeholder={app.spec.source?.targetRevision ?? 'HEAD'}
                onChange={(e) => setC({ ...c, revision: e.target.value })}
                disabled={startedAfter !== undefined}
              />
            </label>
            {check('prune', 'Prune', 'delete what Git no longer has')}
            {check('dryRun', 'Dry run', 'validate only, change nothing')}
            {/* Force=true: Mooring's applies always take over conflicting fields, so all it changes
                is that the dry run that validates everything before the first write is skipped. */}
            {check('force', 'Force', 'skip the dry-run check before applying')}
            {SYNC_OPTION_FLAGS.map(([k, , label, hint]) => check(k, label, hint))}
          </fieldset>
          <fieldset className="field">
            <legend>
              Resources ({c.selected.length} of {selectable.length})
              <button
                type="button"
                className="link-button small"
                onClick={() => setC({ ...c, selected: selectable.map(resourceKey) })}
                disabled={startedAfter !== undefined}
              >
                all
              </button>
              <button
                type="button"
                className="link-button small"
                onClick={() =>
                  setC({
                    ...c,
                    selected: selectable
                      .filter((r) => r.modified || r.syncStatus === 'OutOfSync' || r.liveState === 'null')
                      .map(resourceKey),
                  })
                }
                disabled={startedAfter !== undefined}
              >
                out of sync
              </button>
              <button
                type="button"
                className="link-button small"
                onClick={() => setC({ ...c, selected: [] })}
                disabled={startedAfter !== undefined}
              >
                none
              </button>
            </legend>
            {selectable.length === 0 && <p className="muted">No resources yet: the whole app is synced.</p>}
            <ul className="resource-checks">
              {selectable.map((r) => {
                const key = resourceKey(r);
                return (
                  <li key={key}>
                    <label className="check">
                      <input
                        type="checkbox"
                        checked={c.selected.includes(key)}
                        onChange={() => toggle(key)}
                        disabled={startedAfter !== undefined}
                        aria-label={`${r.kind} ${r.name}`}
                      />
                      <span className="muted">{r.kind}</span> {r.name}
                      {r.namespace && <span className="muted small"> ({r.namespace})</span>}
                      <SyncStatus
                        status={
                          r.syncStatus ?? (r.modified || r.liveState === 'null' ? 'OutOfSync' : 'Synced')
                        }
                        compact
                      />
                    </label>
                  </li>
                );
              })}
            </ul>
          </fieldset>
        </div>
        <ErrorMessage title="Cannot sync" error={error} />
        {waiting && <p role="status">Sync requested; waiting for the controller to start it…</p>}
        {ours && <OperationProgress op={ours} />}
        <div className="dialog__actions">
          {done && <span className="muted">Finished: you can close this dialog.</span>}
          <button type="button" className="button" onClick={props.onClose}>
            {startedAfter !== undefined ? 'Close' : 'Cancel'}
          </button>
          {startedAfter === undefined && (
            <button type="submit" className="button button--primary" disabled={busy}>
              {busy ? 'Starting…' : 'Synchronize'}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
