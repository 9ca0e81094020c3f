import { shortRevision } from '../../lib/format.js';
import { sourceLocation, type SourceRevision } from '../../lib/sources.js';

/** A multi-source app's sources, one row each: repository, path or chart, target and resolved revision. */
export function SourcesTable(props: {
  sources: readonly SourceRevision[];
  deployed: readonly SourceRevision[];
}) {
  return (
    <table className="results sources" aria-label="Sources" style={{ marginBottom: 12 }}>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Repository</th>
          <th scope="col">Path or chart</th>
          <th scope="col">Tracking</th>
          <th scope="col">Revision</th>
          <th scope="col">Deployed</th>
        </tr>
      </thead>
      <tbody>
        {props.sources.map(({ source, revision }, i) => {
          const deployed = props.deployed[i]?.revision;
          return (
            <tr key={i}>
              <td>{source?.name ?? i + 1}</td>
              <td className="ellipsis" title={source?.repoURL}>
                {source?.repoURL}
              </td>
              <td>{sourceLocation(source)}</td>
              <td className="muted">{source?.targetRevision || 'HEAD'}</td>
              <td>
                <code title={revision}>{shortRevision(revision) || '—'}</code>
              </td>
              <td>
                <code title={deployed}>{shortRevision(deployed) || '—'}</code>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Every source's revision of a list, short and comma-separated, each with its full form on hover. */
export function RevisionList(props: { sources: readonly SourceRevision[] }) {
  if (props.sources.length === 0) return <code>—</code>;
  return (
    <>
      {props.sources.map(({ revision }, i) => (
        <span key={i}>
          {i > 0 && ', '}
          <code title={revision}>{shortRevision(revision) || '—'}</code>
        </span>
      ))}
    </>
  );
}
