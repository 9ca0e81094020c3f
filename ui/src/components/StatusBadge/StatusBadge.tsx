import { healthLook, phaseLook, syncLook, type StatusLook } from '../../lib/status.js';

function Badge({ look, text, compact }: { look: StatusLook; text: string; compact?: boolean }) {
  return (
    <span className={`status status--${look.tone}`} title={look.label}>
      <span className="status__icon" role="img" aria-label={look.label}>
        {look.icon}
      </span>
      {!compact && (
        <span className="status__text" aria-hidden="true">
          {text}
        </span>
      )}
    </span>
  );
}

/** A health status as icon and text, coloured; the icon carries an ARIA label. */
export function HealthStatus({ status, compact }: { status?: string; compact?: boolean }) {
  return <Badge look={healthLook(status)} text={status ?? 'Unknown'} compact={compact} />;
}

/** A sync status as icon and text, coloured. */
export function SyncStatus({ status, compact }: { status?: string; compact?: boolean }) {
  return <Badge look={syncLook(status)} text={status ?? 'Unknown'} compact={compact} />;
}

/** An operation phase as icon and text, coloured. */
export function PhaseStatus({ phase }: { phase?: string }) {
  return <Badge look={phaseLook(phase)} text={phase ?? 'Unknown'} />;
}
