// Hands credentials to git without ever putting them on a command line or in a repository's config:
// passwords through GIT_ASKPASS + environment variables, ssh keys through a 0600 temporary file.
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RepoCredentials } from './credentials.js';
import { transportOf } from './url.js';

/** Environment and config for one authenticated git command, and what to delete afterwards. */
export interface GitAuth {
  env: Record<string, string>;
  config: [string, string][];
  /** Strings to redact from anything git prints. */
  secrets: string[];
  cleanup(): Promise<void>;
}

// Answers git's "Username for …" / "Password for …" prompts from variables set for that one process.
const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$MOORING_GIT_USERNAME" ;;
  *) printf '%s\\n' "$MOORING_GIT_PASSWORD" ;;
esac
`;

/** Writes the askpass helper under dir (idempotent) and returns its path. */
export async function installAskpass(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'askpass.sh');
  // Written to a unique name then renamed: a concurrent reader never sees a half-written script.
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, ASKPASS_SCRIPT, { mode: 0o700 });
  await rename(tmp, file);
  return file;
}

/** Options of prepareAuth. */
export interface PrepareAuthOptions {
  url: string;
  credentials?: RepoCredentials;
  askpass: string;
  /** Where to create the private directory for an ssh key. */
  tmpDir: string;
  /** known_hosts used when host keys are checked. */
  knownHostsFile: string;
}

/** Builds the environment git needs to authenticate to url with the given credentials. */
export async function prepareAuth(opts: PrepareAuthOptions): Promise<GitAuth> {
  const creds = opts.credentials ?? {};
  const secrets = [creds.password, creds.sshPrivateKey].filter((s): s is string => !!s);
  const env: Record<string, string> = {};
  const config: [string, string][] = [];
  let cleanup = async () => {};
  const transport = transportOf(opts.url);

  if (transport === 'http' || transport === 'https') {
    if (creds.username !== undefined || creds.password !== undefined) {
      env.GIT_ASKPASS = opts.askpass;
      env.MOORING_GIT_USERNAME = creds.username ?? '';
      env.MOORING_GIT_PASSWORD = creds.password ?? '';
    }
    if (creds.insecure) config.push(['http.sslVerify', 'false']);
  }

  if (transport === 'ssh') {
    const ssh = [
      'ssh',
      '-F /dev/null', // ignore ~/.ssh/config
      '-o BatchMode=yes', // never prompt
      '-o IdentitiesOnly=yes',
      '-o ConnectTimeout=30',
      '-o ServerAliveInterval=15',
      '-o ServerAliveCountMax=4',
    ];
    if (creds.insecure || creds.insecureIgnoreHostKey) {
      ssh.push('-o StrictHostKeyChecking=no', '-o UserKnownHostsFile=/dev/null', '-o LogLevel=ERROR');
    } else {
      ssh.push('-o StrictHostKeyChecking=yes', `-o UserKnownHostsFile=${shellQuote(opts.knownHostsFile)}`);
    }
    if (creds.sshPrivateKey) {
      await mkdir(opts.tmpDir, { recursive: true });
      const dir = await mkdtemp(path.join(opts.tmpDir, 'ssh-')); // 0700
      const keyFile = path.join(dir, 'key');
      const key = creds.sshPrivateKey.endsWith('\n') ? creds.sshPrivateKey : creds.sshPrivateKey + '\n';
      await writeFile(keyFile, key, { mode: 0o600 });
      await chmod(keyFile, 0o600); // in case a umask or an existing file changed it
      ssh.push(`-i ${shellQuote(keyFile)}`);
      cleanup = () => rm(dir, { recursive: true, force: true });
    }
    env.GIT_SSH_COMMAND = ssh.join(' ');
    env.GIT_SSH_VARIANT = 'ssh';
  }
  return { env, config, secrets, cleanup };
}

/** Quotes a string for /bin/sh (GIT_SSH_COMMAND is run by a shell). */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
