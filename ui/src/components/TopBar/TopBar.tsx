import type { StreamState } from '../../lib/api.js';
import { ThemeToggle } from './ThemeToggle.js';

const STREAM_TEXT: Record<StreamState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Offline: reconnecting…',
};

/** The bar on every page: the brand (home link), the live-stream indicator, theme, user and logout. */
export function TopBar(props: { username: string; stream: StreamState; onLogout: () => void }) {
  return (
    <header className="topbar">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <a className="topbar__brand" href="#/applications">
        <span className="brand-mark" aria-hidden="true">
          ⚓
        </span>{' '}
        Mooring
      </a>
      <a className="button button--small" href="#/applicationsets">
        ApplicationSets
      </a>
      <span
        className={`stream stream--${props.stream}`}
        role="status"
        aria-live="polite"
        title="Live updates from the server"
      >
        <span className="stream__dot" aria-hidden="true" />
        {STREAM_TEXT[props.stream]}
      </span>
      <span className="topbar__spacer" />
      <ThemeToggle />
      {props.username && <span className="topbar__user">{props.username}</span>}
      <button type="button" className="button button--small" onClick={props.onLogout}>
        Log out
      </button>
    </header>
  );
}
