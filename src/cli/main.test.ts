import { beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Out } from './output.js';

function capture(): Out & { text: string } {
  return {
    text: '',
    isTTY: false,
    write(t) {
      this.text += t;
    },
  };
}

// main() loads each command's modules when it runs it; loaded here first, so no test's time limit
// includes compiling them.
beforeAll(async () => {
  await import('./commands/index.js');
}, 120_000);

/** Runs the CLI in-process: exit code, stdout and stderr. */
async function cli(...argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(argv, out, err);
  return { code, out: out.text, err: err.text };
}

// Argo CD's command reference lists --server, --auth-token and --core of every subcommand under
// "Options inherited from parent commands"; kubectl takes --kubeconfig and -n before the verb too.
describe('global flags before the command', () => {
  it('--kubeconfig before the command reaches it (no "unknown command")', async () => {
    const r = await cli('--kubeconfig', '/nonexistent/kubeconfig', 'app', 'list');
    expect(r).toMatchObject({ code: 4, err: 'mooring: kubeconfig /nonexistent/kubeconfig does not exist\n' });
    // Same as the flag after the command.
    expect(await cli('app', 'list', '--kubeconfig', '/nonexistent/kubeconfig')).toEqual(r);
  });

  it('--server and --core before the command both reach app list (which refuses the pair)', async () => {
    const r = await cli('--server', 'http://127.0.0.1:1', '--core', 'app', 'list');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mooring: --core talks to Kubernetes through kubeconfig; --server/);
  });

  it('-n, --debug and --help before the command show the command help', async () => {
    const r = await cli('-n', 'team', '--debug', '--help', 'app', 'list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^List the Applications/);
    expect(r.out).toContain('Usage: mooring app list [flags]');
  });

  it('a global flag the command does not take is named with the command', async () => {
    expect(await cli('--server', 'https://x', 'version')).toEqual({
      code: 2,
      out: '',
      err: "mooring: --server is not a flag of 'mooring version'. Run 'mooring version --help'.\n",
    });
  });

  it('a command flag before the command is one usage line', async () => {
    const r = await cli('--prune', 'app', 'sync', 'web');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^mooring: --prune before the command is not a global flag: put it after the command\./,
    );
    expect(r.err.split('\n')).toHaveLength(2);
  });

  it('global flags alone show the top help, which lists them', async () => {
    const r = await cli('--debug');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: mooring [global flags] <command> [flags]');
    expect(r.out).toMatch(
      /Global flags, before or after the command: --kubeconfig, --context, -n\/--app-namespace, --debug, --server, --auth-token, --insecure, --core\./,
    );
  });

  it('an unknown command is still named as typed', async () => {
    const r = await cli('--debug', 'apps', 'list');
    expect(r).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^mooring: unknown command "apps list --debug"/),
    });
  });
});
