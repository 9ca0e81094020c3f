import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, type Logger } from '../core/index.js';
import type { ToolLimits } from './types.js';

/** Defaults of ToolLimits: generous for real charts and overlays, far below what hurts a node. */
export const DEFAULT_TOOL_LIMITS = {
  memoryBytes: 512 * 1024 * 1024,
  cpuSeconds: 60,
  isolateNetwork: true,
} as const satisfies Required<ToolLimits>;

/** ToolLimits with every default filled in. */
export function toolLimits(given: ToolLimits = {}): Required<ToolLimits> {
  const out = { ...DEFAULT_TOOL_LIMITS } as Required<ToolLimits>;
  for (const [k, v] of Object.entries(given) as [keyof ToolLimits, unknown][]) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** "512 MiB", "1.5 GiB": how a memory limit reads in a message. */
export function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  if (mib >= 1024 && mib % 1024 === 0) return `${mib / 1024} GiB`;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** The message of a tool stopped for memory: the same whichever watch caught it. */
export function memoryError(tool: string, limits: Required<ToolLimits>): UserError {
  return new UserError(`${tool} used more than ${formatMiB(limits.memoryBytes)} of memory`);
}

/** The message of a tool stopped for CPU time. */
export function cpuError(tool: string, limits: Required<ToolLimits>): UserError {
  return new UserError(`${tool} used more than ${limits.cpuSeconds} s of CPU`);
}

/** The first line of a Go runtime crash (not a tool's own error). */
export const GO_RUNTIME_CRASH = /^(fatal error: |SIGSEGV: |unexpected fault address|runtime: )/m;

/** What a Go runtime (kustomize, helm) prints when an allocation fails under RLIMIT_DATA. */
export const OUT_OF_MEMORY =
  /fatal error: (runtime: )?(out of memory|cannot allocate memory)|runtime: out of memory/;

/**
 * The environment a tool runs with: nothing of the controller's own (no credentials, SSH agent,
 * proxies, kubeconfig, git or helm configuration), HOME and every tool home inside the render's
 * workspace, and git told to reach nothing (kustomize runs git for remote bases).
 */
export function toolEnv(tmp: string, extra: Record<string, string>): Record<string, string> {
  const home = path.join(tmp, 'home');
  const helm = path.join(tmp, 'helm');
  return {
    PATH: process.env['PATH'] || '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: home,
    TMPDIR: tmp,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    KUSTOMIZE_PLUGIN_HOME: path.join(home, 'kustomize', 'plugin'),
    HELM_CACHE_HOME: path.join(helm, 'cache'),
    HELM_CONFIG_HOME: path.join(helm, 'config'),
    HELM_DATA_HOME: path.join(helm, 'data'),
    HELM_PLUGINS: path.join(helm, 'plugins'),
    HELM_REPOSITORY_CONFIG: path.join(helm, 'config', 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: path.join(helm, 'cache', 'repository'),
    HELM_REGISTRY_CONFIG: path.join(helm, 'config', 'registry', 'config.json'),
    // An empty allow list lets git use no transport at all; prompts and ssh fail at once.
    GIT_ALLOW_PROTOCOL: '',
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: 'false',
    GIT_SSH: 'false',
    GIT_ASKPASS: 'false',
    SSH_ASKPASS: 'false',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    ...extra,
  };
}

/** How tools are kept off the network: a network namespace of their own, when the system allows it. */
export type NetworkIsolation = 'netns' | 'userns+netns' | 'none';

let isolation: Promise<{ mode: NetworkIsolation; unshare?: string }> | undefined;

function findOnPath(name: string): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/bin', '/bin']) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

function succeeds(bin: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 5000 }, (err) => resolve(!err));
  });
}

/**
 * Finds out once per process whether `unshare --net` works here (as root or with CAP_SYS_ADMIN), else
 * `unshare --net --map-root-user` (unprivileged user namespaces); containers under a default seccomp
 * profile allow neither, and tools then run in the controller's network namespace.
 */
export function networkIsolation(): Promise<{ mode: NetworkIsolation; unshare?: string }> {
  isolation ??= (async () => {
    const unshare = findOnPath('unshare');
    const sh = shell();
    if (!unshare || !sh) return { mode: 'none' as const };
    if (await succeeds(unshare, ['--net', '--', sh, '-c', 'exit 0']))
      return { mode: 'netns' as const, unshare };
    if (await succeeds(unshare, ['--net', '--map-root-user', '--', sh, '-c', 'exit 0']))
      return { mode: 'userns+netns' as const, unshare };
    return { mode: 'none' as const };
  })();
  return isolation;
}

let reported = false;

/** Says once per process, in the controller's log, whether tools get a network namespace of their own. */
export async function reportNetworkIsolation(logger: Logger | undefined): Promise<void> {
  if (reported || !logger) return;
  reported = true;
  const net = await networkIsolation();
  if (net.mode === 'none') {
    logger.warn('render tools share the controller network namespace: unshare --net is not permitted here', {
      component: 'render',
    });
  } else {
    logger.info('render tools run in a network namespace of their own', {
      component: 'render',
      mode: net.mode,
    });
  }
}

function shell(): string | undefined {
  try {
    accessSync('/bin/sh', constants.X_OK);
    return '/bin/sh';
  } catch {
    return undefined;
  }
}

/**
 * The command line that runs bin under the limits: `[unshare --net [--map-root-user] --] /bin/sh -c
 * 'ulimit …; exec "$0" "$@"' bin args…`. The shell execs, so the child's pid is the tool's. RLIMIT_DATA
 * bounds the heap (RLIMIT_AS would not do: a Go runtime reserves far more address space than it uses);
 * RLIMIT_CPU's soft limit is a little above the CPU cap so the watch names it first, its hard limit kills.
 */
export async function sandboxedCommand(
  bin: string,
  args: string[],
  limits: Required<ToolLimits>,
): Promise<{ file: string; args: string[] }> {
  const sh = shell();
  if (!sh) return { file: bin, args };
  const dataKiB = Math.max(1024, Math.floor(limits.memoryBytes / 1024));
  const cpu = Math.max(1, Math.ceil(limits.cpuSeconds));
  const script = `ulimit -d ${dataKiB} && ulimit -S -t ${cpu + 1} && ulimit -H -t ${cpu + 5} && exec "$0" "$@"`;
  const wrapped = [sh, '-c', script, bin, ...args];
  if (!limits.isolateNetwork) return { file: wrapped[0]!, args: wrapped.slice(1) };
  const net = await networkIsolation();
  if (net.mode === 'none' || !net.unshare) return { file: wrapped[0]!, args: wrapped.slice(1) };
  const flags = net.mode === 'netns' ? ['--net'] : ['--net', '--map-root-user'];
  return { file: net.unshare, args: [...flags, '--', ...wrapped] };
}

/** Resident memory and CPU time of one process, from /proc; undefined once it is gone. */
export async function processUsage(
  pid: number,
): Promise<{ rssBytes: number; cpuSeconds: number } | undefined> {
  try {
    const [status, stat] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: rss ? Number(rss[1]) * 1024 : 0, cpuSeconds: ticks / 100 };
  } catch {
    return undefined;
  }
}
