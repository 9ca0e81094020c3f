import type { ServiceConfig } from '../config.js';
import type { Notification } from '../engine.js';
import { DeliveryError, sendHttp, statusError, type HttpRequest } from './http.js';
import { bool, jsonField, partOf, str, type SendOptions } from './types.js';

interface Fact {
  name: string;
  value: string;
}

function facts(v: unknown): Fact[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null)
    .map((f) => ({ name: String(f.name ?? f.title ?? ''), value: String(f.value ?? '') }));
}

/**
 * Builds the Microsoft Teams payload: a MessageCard (Office 365 connector, as Argo CD sends) from the
 * template's `teams` part (`title`, `text`, `summary`, `themeColor`, `facts`, `sections`,
 * `potentialAction`; `template` replaces the whole card), or an Adaptive Card in a message when the
 * service says `format: adaptive` (Teams workflows).
 */
export function buildTeamsPayload(n: Notification, service: ServiceConfig): unknown {
  const part = partOf(n);
  const where = `template ${n.template}: teams`;
  const json = (field: string) => {
    try {
      return jsonField(part, field, where);
    } catch (err) {
      throw new DeliveryError((err as Error).message, undefined, false);
    }
  };
  const whole = json('template');
  if (whole !== undefined) return whole;
  const title = str(part, 'title');
  const text = str(part, 'text') || n.message;
  const factList = facts(json('facts'));
  if (str(service.settings, 'format') === 'adaptive') {
    const body: unknown[] = [];
    if (title) body.push({ type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true });
    if (text) body.push({ type: 'TextBlock', text, wrap: true });
    if (factList.length)
      body.push({ type: 'FactSet', facts: factList.map((f) => ({ title: f.name, value: f.value })) });
    return {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body,
          },
        },
      ],
    };
  }
  const sections = json('sections');
  const actions = json('potentialAction');
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: str(part, 'summary') || title || n.message.slice(0, 80),
    ...(title ? { title } : {}),
    text,
    ...(str(part, 'themeColor') ? { themeColor: str(part, 'themeColor') } : {}),
    sections: [
      ...(Array.isArray(sections) ? sections : []),
      ...(factList.length ? [{ facts: factList }] : []),
    ],
    ...(Array.isArray(actions) ? { potentialAction: actions } : {}),
  };
}

/** The request to the recipient's URL from `service.teams`' `recipientUrls`. */
export function buildTeamsRequest(n: Notification, service: ServiceConfig): HttpRequest {
  const urls = service.settings.recipientUrls;
  const url = urls && typeof urls === 'object' ? (urls as Record<string, unknown>)[n.recipient] : undefined;
  if (typeof url !== 'string' || !url) {
    throw new DeliveryError(
      `service.${service.name}: recipientUrls has no entry '${n.recipient}'`,
      undefined,
      false,
    );
  }
  return {
    url,
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(buildTeamsPayload(n, service)),
  };
}

/** Sends to Teams: a 2xx answer is success. */
export async function sendTeams(n: Notification, service: ServiceConfig, opts: SendOptions): Promise<void> {
  const res = await sendHttp(buildTeamsRequest(n, service), {
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    insecureSkipVerify: bool(service.settings, 'insecureSkipVerify'),
  });
  if (res.status < 200 || res.status >= 300) throw statusError('teams', res.status);
}
