// A real OCI registry on loopback for tests: the CNCF distribution registry started by
// `scripts/oci-registry up` under a name of its own (optionally with basic authentication), charts
// packaged and pushed by the real `helm package` / `helm push` from the tool cache, and raw manifests
// and blobs uploaded through the distribution API (for wrong media types and oversized layers).
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { locateTools } from '../../src/render/index.js';
import type { TestChart } from './helm-repo-server.js';

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/oci-registry');

/** A running registry. */
export interface OciRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  username?: string;
  password?: string;
  /** Packages the chart and pushes it to oci://host/<namespace>; resolves to the manifest digest. */
  push(namespace: string, chart: TestChart): Promise<string>;
  /** Uploads a blob and a manifest under repository:tag through the API (for malformed artifacts). */
  pushRaw(
    repository: string,
    tag: string,
    o: { configMediaType: string; layerMediaType: string; layer: Buffer },
  ): Promise<string>;
  stop(): Promise<void>;
}

/** Options of startOciRegistry. */
export interface OciRegistryOptions {
  /** Turns on basic authentication (htpasswd) with this user. */
  username?: string;
  password?: string;
}

/** Starts a registry of its own (stopped and removed by stop()). */
export async function startOciRegistry(opts: OciRegistryOptions = {}): Promise<OciRegistry> {
  const helm = locateTools().helm;
  if (!helm) throw new Error('helm is not built: run scripts/build-tools');
  const name = `t${process.pid}-${randomBytes(3).toString('hex')}`;
  const work = await mkdtemp(path.join(os.tmpdir(), 'mooring-oci-'));
  const env = { ...process.env, MOORING_REGISTRY_NAME: name, MOORING_REGISTRY_DIR: path.join(work, 'run') };
  const args = ['up', ...(opts.username ? ['--htpasswd', `${opts.username}:${opts.password ?? ''}`] : [])];
  const { stdout } = await run(SCRIPT, args, { env });
  const m = /OCI_REGISTRY=(\S+)/.exec(stdout);
  if (!m) throw new Error(`scripts/oci-registry up printed no address: ${stdout}`);
  const host = m[1]!;
  const home = path.join(work, 'home');
  const helmEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HELM_CACHE_HOME: home,
    HELM_CONFIG_HOME: home,
    HELM_DATA_HOME: home,
    HELM_REGISTRY_CONFIG: path.join(home, 'registry.json'),
  };
  if (opts.username) {
    // The password through stdin, never on a command line.
    await new Promise<void>((resolve, reject) => {
      const p = spawn(
        helm,
        ['registry', 'login', host, '--insecure', '-u', opts.username!, '--password-stdin'],
        {
          env: helmEnv,
          stdio: ['pipe', 'ignore', 'pipe'],
        },
      );
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('error', reject);
      p.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`helm registry login failed: ${err}`)),
      );
      p.stdin.end(opts.password ?? '');
    });
  }
  const authHeader: Record<string, string> = opts.username
    ? { Authorization: `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}` }
    : {};

  async function upload(repository: string, bytes: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const start = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
      headers: authHeader,
    });
    if (start.status !== 202) throw new Error(`blob upload start: ${start.status}`);
    const loc = new URL(start.headers.get('location')!, `http://${host}`);
    loc.searchParams.set('digest', digest);
    const put = await fetch(loc, {
      method: 'PUT',
      headers: { ...authHeader, 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    if (put.status !== 201) throw new Error(`blob upload: ${put.status}`);
    return digest;
  }

  return {
    host,
    username: opts.username,
    password: opts.password,
    async push(namespace, chart) {
      const dir = path.join(work, 'src', `${chart.name}-${chart.version}`, chart.name);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, 'Chart.yaml'),
        stringify({ apiVersion: 'v2', name: chart.name, version: chart.version, type: 'application' }),
      );
      for (const [rel, text] of Object.entries(chart.files)) {
        await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
        await writeFile(path.join(dir, rel), text);
      }
      const out = path.join(work, 'out');
      await mkdir(out, { recursive: true });
      await run(helm, ['package', dir, '-d', out], { env: helmEnv });
      const tgz = path.join(out, `${chart.name}-${chart.version}.tgz`);
      const { stdout, stderr } = await run(
        helm,
        ['push', tgz, `oci://${host}/${namespace}`, '--plain-http'],
        {
          env: helmEnv,
        },
      );
      const d = /Digest:\s*(sha256:[a-f0-9]{64})/.exec(stdout + stderr);
      if (!d) throw new Error(`helm push printed no digest: ${stdout}${stderr}`);
      return d[1]!;
    },
    async pushRaw(repository, tag, o) {
      const config = Buffer.from('{}');
      const configDigest = await upload(repository, config);
      const layerDigest = await upload(repository, o.layer);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: o.configMediaType, digest: configDigest, size: config.length },
          layers: [{ mediaType: o.layerMediaType, digest: layerDigest, size: o.layer.length }],
        }),
      );
      const put = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
        method: 'PUT',
        headers: { ...authHeader, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
        body: manifest,
      });
      if (put.status !== 201) throw new Error(`manifest upload: ${put.status} ${await put.text()}`);
      return `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    },
    async stop() {
      await run(SCRIPT, ['down'], { env }).catch(() => undefined);
      await rm(work, { recursive: true, force: true });
    },
  };
}
