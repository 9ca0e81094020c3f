import type { ReactNode } from 'react';

/** A readable error box (role=alert, so screen readers announce it), with an optional retry. */
export function ErrorMessage(props: { error: unknown; title?: string; onRetry?: () => void }) {
  if (!props.error) return null;
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <div className="error" role="alert">
      <strong>{props.title ?? 'Something went wrong'}</strong>
      <span className="error__message">{message}</span>
      {props.onRetry && (
        <button type="button" className="button button--small" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A loading indicator with words, announced politely. */
export function Loading(props: { what?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading{props.what ? ` ${props.what}` : ''}…
    </div>
  );
}

/** What a page shows when there is nothing to list. */
export function EmptyState(props: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{props.title}</h2>
      {props.children}
    </div>
  );
}
