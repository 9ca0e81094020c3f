import type { OperationStateView } from '../../lib/apps.js';
import { shortRevision, timeAgo } from '../../lib/format.js';
import { PhaseStatus } from '../StatusBadge/StatusBadge.js';

/** An operation's phase, message and per-resource results, as they come in. */
export function OperationProgress({ op }: { op: OperationStateView }) {
  const results = op.syncResult?.resources ?? [];
  return (
    <section className="operation" aria-label="Operation progress" aria-live="polite">
      <p className="operation__head">
        <PhaseStatus phase={op.phase} />
        <span>{op.message}</span>
        {op.syncResult?.revision && (
          <span className="muted">
            revision <code>{shortRevision(op.syncResult.revision)}</code>
          </span>
        )}
        <span className="muted">
          started {timeAgo(op.startedAt)}
          {op.finishedAt ? `, finished ${timeAgo(op.finishedAt)}` : ''}
        </span>
      </p>
      {results.length > 0 && (
        <table className="results">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Name</th>
              <th scope="col">Result</th>
              <th scope="col">Progress</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {results.map((r) => (
              <tr key={`${r.syncPhase ?? ''}/${r.group}/${r.kind}/${r.namespace}/${r.name}`}>
                <td>{r.kind}</td>
                <td>{r.name}</td>
                <td className={r.status === 'SyncFailed' ? 'text-bad' : ''}>{r.status}</td>
                <td>{r.hookPhase}</td>
                <td className="wrap">{r.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
