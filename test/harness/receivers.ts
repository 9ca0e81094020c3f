import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';

/** One request an HTTP receiver got. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status the receiver answered. */
  status?: number;
}

/** A real HTTP server on loopback that records every request and answers what `respond` says. */
export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Requests whose path starts with the prefix. */
  at(prefix: string): ReceivedRequest[];
  /** The answer for a request (default 200 and an empty body); replace it any time. */
  respond: (req: ReceivedRequest) => { status: number; body?: string };
  stop(): Promise<void>;
}

/** Starts an HTTP receiver on 127.0.0.1 on a free port. */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const receiver: HttpReceiver = {
    url: '',
    requests,
    at: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    respond: () => ({ status: 200 }),
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(got);
      const answer = receiver.respond(got);
      got.status = answer.status;
      res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** One message an SMTP receiver accepted. */
export interface ReceivedMail {
  from: string;
  to: string[];
  /** The authenticated user, and whether the session had switched to TLS (STARTTLS) before AUTH. */
  user?: string;
  secure: boolean;
  raw: string;
  subject: string;
  /** The text body, quoted-printable decoded. */
  text: string;
}

/** A real SMTP server on loopback with STARTTLS (self-signed certificate) and required AUTH PLAIN/LOGIN. */
export interface SmtpReceiver {
  port: number;
  messages: ReceivedMail[];
  stop(): Promise<void>;
}

const run = promisify(execFile);

function decodeQuotedPrintable(s: string): string {
  const bytes = s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function parseMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body;
  return { subject: header('Subject'), text: text.replace(/\r\n/g, '\n').trim() };
}

/** Starts an SMTP receiver on 127.0.0.1 that accepts only `user`/`password`, and only after STARTTLS. */
export async function startSmtpReceiver(user: string, password: string): Promise<SmtpReceiver> {
  const dir = await mkdtemp(join(tmpdir(), 'mooring-smtp-'));
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const [key, cert] = await Promise.all([readFile(join(dir, 'key.pem')), readFile(join(dir, 'cert.pem'))]);
    const messages: ReceivedMail[] = [];
    const server = new SMTPServer({
      key,
      cert,
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: false, // AUTH only after STARTTLS
      disabledCommands: [],
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === user && auth.password === password) cb(null, { user: auth.username });
        else cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            secure: session.secure,
            raw,
            ...parseMail(raw),
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.server.address() as AddressInfo).port;
    return {
      port,
      messages,
      stop: () => new Promise<void>((r) => server.close(() => r())),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
