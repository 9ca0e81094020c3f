import { useState } from 'react';
import { clusterLabel, type AppFilter, type Facets } from '../../lib/filter.js';
import { HealthStatus, SyncStatus } from '../StatusBadge/StatusBadge.js';

type ListKey = 'projects' | 'namespaces' | 'clusters' | 'health' | 'sync';
const GROUPS: [ListKey, string][] = [
  ['sync', 'Sync status'],
  ['health', 'Health status'],
  ['projects', 'Projects'],
  ['clusters', 'Clusters'],
  ['namespaces', 'Namespaces'],
];
// Long value lists (thousands of namespaces) show this many until asked for all.
const SHOWN = 12;

function Group(props: {
  k: ListKey;
  title: string;
  values: [string, number][];
  selected: string[];
  onChange: (v: string[]) => void;
}) {
  const [all, setAll] = useState(false);
  const values = all ? props.values : props.values.slice(0, SHOWN);
  const toggle = (v: string) =>
    props.onChange(
      props.selected.includes(v) ? props.selected.filter((x) => x !== v) : [...props.selected, v],
    );
  return (
    <fieldset className="filter-group">
      <legend>
        {props.title}
        {props.selected.length > 0 && (
          <button
            type="button"
            className="link-button small"
            onClick={() => props.onChange([])}
            aria-label={`Clear ${props.title} filter`}
          >
            clear
          </button>
        )}
      </legend>
      {props.values.length === 0 && <p className="muted small">None</p>}
      {values.map(([v, n]) => (
        <label key={v} className="filter-option">
          <input type="checkbox" checked={props.selected.includes(v)} onChange={() => toggle(v)} />
          <span className="filter-option__label">
            {props.k === 'health' ? (
              <HealthStatus status={v} />
            ) : props.k === 'sync' ? (
              <SyncStatus status={v} />
            ) : props.k === 'clusters' ? (
              clusterLabel(v)
            ) : (
              v || <em>(none)</em>
            )}
          </span>
          <span className="filter-option__count" aria-label={`${n} applications`}>
            {n}
          </span>
        </label>
      ))}
      {props.values.length > SHOWN && (
        <button type="button" className="link-button small" onClick={() => setAll(!all)}>
          {all ? 'Show fewer' : `Show all ${props.values.length}`}
        </button>
      )}
    </fieldset>
  );
}

/** The list's filter sidebar: a group of checkboxes per field (with counts) and a label selector. */
export function FilterPanel(props: {
  filter: AppFilter;
  facets: Facets;
  labelError?: string;
  onChange: (f: AppFilter) => void;
}) {
  const f = props.filter;
  return (
    <aside className="filters" aria-label="Filters">
      <div className="field">
        <label htmlFor="filter-labels">Labels</label>
        <input
          id="filter-labels"
          type="text"
          placeholder="env=prod,team!=x"
          value={f.labels}
          onChange={(e) => props.onChange({ ...f, labels: e.target.value })}
          aria-invalid={props.labelError ? true : undefined}
          aria-describedby={props.labelError ? 'label-error' : undefined}
        />
        {props.labelError && (
          <span id="label-error" className="field__error">
            {props.labelError}
          </span>
        )}
      </div>
      {GROUPS.map(([k, title]) => (
        <Group
          key={k}
          k={k}
          title={title}
          values={props.facets[k]}
          selected={f[k]}
          onChange={(v) => props.onChange({ ...f, [k]: v })}
        />
      ))}
    </aside>
  );
}
