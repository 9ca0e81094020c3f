import type { ServiceConfig } from '../config.js';
import type { Notification } from '../engine.js';
import { DeliveryError } from './http.js';
import { bool, partOf, str, type SendOptions } from './types.js';

/** One e-mail, before it is handed to SMTP. */
export interface EmailMessage {
  from: string;
  to: string;
  subject: string;
  text?: string;
  html?: string;
}

/** The e-mail for a notification: subject from the template's `email.subject`, body from `email.body` or the message. */
export function buildEmail(n: Notification, service: ServiceConfig): EmailMessage {
  const s = service.settings;
  const part = partOf(n);
  const from = str(s, 'from');
  if (!from) throw new DeliveryError(`service.email.${service.name}: 'from' is required`, undefined, false);
  if (!n.recipient) throw new DeliveryError('email: the subscription names no address', undefined, false);
  const body = str(part, 'body') || n.message;
  return {
    from,
    to: n.recipient,
    subject: str(part, 'subject') || n.message.split('\n')[0]!.slice(0, 120),
    ...(bool(s, 'html') ? { html: body } : { text: body }),
  };
}

/** The nodemailer transport options of `service.email`: port 465 is TLS from the start, others STARTTLS. */
export function smtpOptions(service: ServiceConfig, timeoutMs = 10_000): Record<string, unknown> {
  const s = service.settings;
  const host = str(s, 'host');
  if (!host) throw new DeliveryError(`service.email.${service.name}: 'host' is required`, undefined, false);
  const port = Number(str(s, 'port') || 587);
  const username = str(s, 'username');
  return {
    host,
    port,
    secure: port === 465,
    // With credentials, refuse to go on without STARTTLS rather than send a password in clear text.
    requireTLS: port !== 465 && !!username,
    ...(username ? { auth: { user: username, pass: str(s, 'password') } } : {}),
    tls: { rejectUnauthorized: !bool(s, 'insecure_skip_verify') },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** Sends over SMTP with nodemailer; errors carry only the SMTP code, never a credential. */
export async function sendEmail(n: Notification, service: ServiceConfig, opts: SendOptions): Promise<void> {
  const message = buildEmail(n, service);
  // Loaded on the first e-mail: a controller that sends none never holds the SMTP library.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport(smtpOptions(service, opts.timeoutMs));
  try {
    await transport.sendMail(message);
  } catch (err) {
    const e = err as { code?: string; responseCode?: number };
    const code = e.responseCode;
    // 5xx SMTP answers and refused logins are permanent; 4xx and connection failures are worth a retry.
    const permanent = e.code === 'EAUTH' || (code !== undefined && code >= 500);
    throw new DeliveryError(
      `SMTP ${e.code === 'EAUTH' ? 'authentication failed' : 'delivery failed'}${e.code ? ` (${e.code}${code ? ` ${code}` : ''})` : code ? ` (${code})` : ''}`,
      undefined,
      !permanent,
    );
  } finally {
    transport.close();
  }
}
