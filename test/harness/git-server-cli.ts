// Foreground entry of scripts/git-server: starts the loopback Git server until Ctrl-C.
import { parseArgs } from 'node:util';
import { startGitServer } from './git-server.js';

const USAGE = `Usage: scripts/git-server [--root DIR] [--port N] [--daemon-port N] [--user U --password P] [--no-daemon]
                         [--webhook URL [--webhook-secret SECRET]]

Serves the bare repositories under DIR (default: a temporary directory, removed on exit) on 127.0.0.1:
smart HTTP through git http-backend (push enabled; basic auth when --user is given) and git:// through
git daemon. Repositories are DIR/<name>.git; create one with: git init --bare DIR/<name>.git

--webhook URL calls URL after every push as a GitHub push webhook does (X-GitHub-Event: push, one
event per ref), e.g. Mooring's: --webhook http://127.0.0.1:8080/api/webhook. --webhook-secret (or
$MOORING_WEBHOOK_SECRET, which stays out of ps) signs it (X-Hub-Signature-256), as argocd-secret's
webhook.github.secret expects. A failed call is printed and never fails the push.
Ctrl-C stops both servers.`;

/** Parses the command line, starts the server and stops it on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      port: { type: 'string' },
      'daemon-port': { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      'no-daemon': { type: 'boolean' },
      webhook: { type: 'string' },
      'webhook-secret': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if ((values.user === undefined) !== (values.password === undefined)) {
    throw new Error('--user and --password go together');
  }
  const secret = values['webhook-secret'] ?? (process.env.MOORING_WEBHOOK_SECRET || undefined);
  if (values['webhook-secret'] !== undefined && values.webhook === undefined)
    throw new Error('--webhook-secret needs --webhook URL');
  if (values.webhook !== undefined && !/^https?:\/\/[^/]/.test(values.webhook)) {
    throw new Error(`--webhook: not an http(s) URL: ${values.webhook}`);
  }
  const port = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag}: not a port: ${v}`);
    return n;
  };

  const server = await startGitServer({
    root: values.root,
    port: port('--port', values.port),
    daemonPort: port('--daemon-port', values['daemon-port']),
    username: values.user,
    password: values.password,
    daemon: !values['no-daemon'],
    webhook: values.webhook === undefined ? undefined : { url: values.webhook, secret },
  });
  console.log(`Repositories: ${server.root}${values.root === undefined ? ' (temporary)' : ''}`);
  console.log(
    `HTTP:         ${server.httpUrl}/<name>.git${server.username ? ` (user ${server.username})` : ''}`,
  );
  if (server.daemonUrl) console.log(`git://:       ${server.daemonUrl}/<name>.git`);
  if (values.webhook !== undefined) {
    console.log(`Webhook:      ${values.webhook} after every push${secret ? ' (signed)' : ''}`);
  }
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`git-server: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
