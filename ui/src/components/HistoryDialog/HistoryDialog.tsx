import { useState } from 'react';
import type { Application } from '../../../../src/api/contract/index.js';
import { historyNewestFirst, operationState } from '../../lib/apps.js';
import { shortRevision, timeAgo } from '../../lib/format.js';
import { historySourceRevisions, sourceLocation } from '../../lib/sources.js';
import { RevisionList } from '../AppPage/SourcesTable.js';
import { Dialog } from '../Dialog/Dialog.js';
import { ErrorMessage } from '../Feedback/Feedback.js';
import { OperationProgress } from '../OperationProgress/OperationProgress.js';
import { useApps } from '../Root/context.js';

/** The deployment history, newest first, with a Rollback button per earlier entry (asks to confirm). */
export function HistoryDialog(props: { app: Application; onClose: () => void }) {
  const { api } = useApps();
  const { app } = props;
  const history = historyNewestFirst(app);
  const [confirm, setConfirm] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [startedAfter, setStartedAfter] = useState<string | null | undefined>(undefined);
  const [rolledTo, setRolledTo] = useState<number | null>(null);

  const rollback = async (id: number) => {
    setBusy(true);
    setError(null);
    const before = operationState(app)?.startedAt ?? null;
    try {
      await api.rollback(app.metadata.namespace ?? '', app.metadata.name ?? '', { id, prune: true });
      setStartedAfter(before);
      setRolledTo(id);
      setConfirm(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const op = operationState(app);
  const ours = startedAfter !== undefined && op && (op.startedAt ?? null) !== startedAfter ? op : undefined;
  const auto = !!app.spec.syncPolicy?.automated;

  return (
    <Dialog title={`History of ${app.metadata.name}`} onClose={props.onClose} wide>
      {history.length === 0 ? (
        <p className="muted">No deployments yet: history starts with the first sync.</p>
      ) : (
        <table className="results history">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Revision</th>
              <th scope="col">Source</th>
              <th scope="col">Deployed</th>
              <th scope="col">By</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {history.map((h, i) => {
              // Multi-source entries list every source's revision, in spec.sources order.
              const sources = historySourceRevisions(h);
              const where = sources
                .filter((x) => x.source)
                .map((x) => `${sourceLocation(x.source)} @ ${x.source?.targetRevision ?? ''}`)
                .join(', ');
              const revisions = sources.map((x) => shortRevision(x.revision)).join(', ');
              return (
                <tr key={h.id} className={i === 0 ? 'history__current' : ''}>
                  <td>{h.id}</td>
                  <td>
                    <RevisionList sources={sources} />
                    {i === 0 && <span className="pill">current</span>}
                  </td>
                  <td className="ellipsis" title={where}>
                    {where}
                  </td>
                  <td title={h.deployedAt}>{timeAgo(h.deployedAt)}</td>
                  <td>{h.initiatedBy?.automated ? 'automated' : (h.initiatedBy?.username ?? '')}</td>
                  <td>
                    {confirm === h.id ? (
                      <span className="confirm">
                        <button
                          type="button"
                          className="button button--danger button--small"
                          onClick={() => rollback(h.id)}
                          disabled={busy}
                          data-autofocus
                        >
                          {busy ? 'Rolling back…' : `Confirm rollback to ${h.id}`}
                        </button>
                        <button
                          type="button"
                          className="button button--small"
                          onClick={() => setConfirm(null)}
                        >
                          Cancel
                        </button>
                      </span>
                    ) : (
                      i > 0 && (
                        <button
                          type="button"
                          className="button button--small"
                          onClick={() => setConfirm(h.id)}
                          aria-label={`Rollback to ${h.id} (${revisions})`}
                        >
                          Rollback
                        </button>
                      )
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {auto && confirm !== null && (
        <p className="text-warn small">
          Rolling back turns automated sync off, so the app stays on the older revision.
        </p>
      )}
      <ErrorMessage title="Cannot roll back" error={error} />
      {startedAfter !== undefined && !ours && (
        <p role="status">Rollback to {rolledTo} requested; waiting for the controller…</p>
      )}
      {ours && <OperationProgress op={ours} />}
    </Dialog>
  );
}
