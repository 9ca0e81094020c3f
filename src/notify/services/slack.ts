import type { ServiceConfig } from '../config.js';
import type { Notification } from '../engine.js';
import { DeliveryError, sendHttp, statusError, type HttpRequest } from './http.js';
import { bool, jsonField, partOf, str, type SendOptions } from './types.js';

/** Slack's Web API base, as Argo CD's `apiURL` defaults to. */
export const SLACK_API_URL = 'https://slack.com/api/';

function postMessageUrl(apiURL: string): string {
  // Argo CD's apiURL is the API base; a full chat.postMessage URL is accepted too.
  if (/\/chat\.postMessage\/?$/.test(apiURL)) return apiURL;
  return `${apiURL.replace(/\/+$/, '')}/chat.postMessage`;
}

/**
 * Builds the Slack request: with `token`, chat.postMessage at `apiURL` (channel = recipient, bearer
 * token); with `webhookURL` (Mooring's addition), an incoming webhook, whose channel is fixed by Slack.
 * The template's `slack.attachments` and `slack.blocks` (JSON, as in Argo CD) go in as they are.
 */
export function buildSlackRequest(n: Notification, service: ServiceConfig): HttpRequest {
  const s = service.settings;
  const part = partOf(n);
  const where = `template ${n.template}: slack`;
  let attachments: unknown;
  let blocks: unknown;
  try {
    attachments = jsonField(part, 'attachments', where);
    blocks = jsonField(part, 'blocks', where);
  } catch (err) {
    throw new DeliveryError((err as Error).message, undefined, false);
  }
  const icon = str(s, 'icon');
  const payload: Record<string, unknown> = {
    text: n.message,
    ...(attachments !== undefined ? { attachments } : {}),
    ...(blocks !== undefined ? { blocks } : {}),
    ...(str(s, 'username') ? { username: str(s, 'username') } : {}),
    ...(icon ? (/^https?:\/\//.test(icon) ? { icon_url: icon } : { icon_emoji: icon }) : {}),
    ...(bool(s, 'disableUnfurl') ? { unfurl_links: false, unfurl_media: false } : {}),
    ...(bool(part, 'notifyBroadcast') ? { reply_broadcast: true } : {}),
  };
  const headers = { 'Content-Type': 'application/json; charset=utf-8' };
  const token = str(s, 'token');
  if (token) {
    if (!n.recipient) throw new DeliveryError('slack: the subscription names no channel', undefined, false);
    return {
      url: postMessageUrl(str(s, 'apiURL') || SLACK_API_URL),
      method: 'POST',
      headers: { ...headers, Authorization: `Bearer ${token}` },
      body: JSON.stringify({ channel: n.recipient, ...payload }),
    };
  }
  const webhookURL = str(s, 'webhookURL');
  if (!webhookURL) {
    throw new DeliveryError(`service.${service.name}: set 'token' or 'webhookURL'`, undefined, false);
  }
  return { url: webhookURL, method: 'POST', headers, body: JSON.stringify(payload) };
}

/** Sends to Slack; chat.postMessage's `{ok: false, error}` answers are failures naming Slack's error code. */
export async function sendSlack(n: Notification, service: ServiceConfig, opts: SendOptions): Promise<void> {
  const req = buildSlackRequest(n, service);
  const res = await sendHttp(req, {
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    insecureSkipVerify: bool(service.settings, 'insecureSkipVerify'),
  });
  if (res.status < 200 || res.status >= 300) throw statusError('slack', res.status);
  if (!str(service.settings, 'token')) return; // an incoming webhook answers "ok" as text
  let answer: { ok?: unknown; error?: unknown };
  try {
    answer = JSON.parse(res.body) as typeof answer;
  } catch {
    throw new DeliveryError('slack answered something that is not JSON', res.status);
  }
  if (answer.ok !== true) {
    // Slack's error codes (channel_not_found, invalid_auth, …) are safe to show.
    const code =
      typeof answer.error === 'string' ? answer.error.replace(/[^\w.-]/g, '').slice(0, 64) : 'unknown';
    throw new DeliveryError(`slack API error: ${code}`, res.status, code === 'ratelimited');
  }
}
