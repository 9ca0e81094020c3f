import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { Controller, type ControllerOptions } from '../../src/controller/index.js';
import { jsonLogger, silentLogger } from '../../src/core/index.js';
import { startApiServer, type ApiServer } from '../../src/api/index.js';
import { AuthService, type AuthServiceOptions } from '../../src/api/auth/index.js';
import { testKubeConfig } from './cluster.js';

/** Options of startTestServer. */
export interface TestServerOptions {
  /** Control-plane namespace (created when missing; not deleted by stop()). */
  namespace: string;
  applicationNamespaces?: string[];
  /** More controller options (pollIntervalMs, jitter, …). */
  controller?: Partial<ControllerOptions>;
  /** Auth service options (sessionTtlSeconds, rateLimit, now …). */
  auth?: Partial<Omit<AuthServiceOptions, 'client' | 'namespace' | 'projects'>>;
  /** Event-stream heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /** Where the built UI is (default dist/ui). */
  uiDir?: string;
}

/** A running Controller + API server in the test process. */
export interface TestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The generated admin password (from argocd-initial-admin-secret). */
  adminPassword: string;
  controller: Controller;
  server: ApiServer;
  /** Logs in (default admin with the generated password) and resolves to the session token. */
  login(username?: string, password?: string): Promise<string>;
  /** Stops the server and the controller, removes the controller's cache folder. */
  stop(): Promise<void>;
}

/**
 * Starts the engine (Controller) and `mooring server`'s API in-process against the suite's cluster,
 * with the real AuthService, on a free loopback port.
 */
export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'mooring-api-'));
  const logger = process.env.MOORING_TEST_LOGS ? jsonLogger({ level: 'debug' }) : silentLogger;
  const controller = new Controller({
    kubeConfig: testKubeConfig(),
    namespace: opts.namespace,
    applicationNamespaces: opts.applicationNamespaces,
    cacheDir,
    pollIntervalMs: 180_000,
    allowFileRepos: true,
    logger,
    ...opts.controller,
  });
  let server: ApiServer | undefined;
  try {
    await controller.start();
    server = await startApiServer({
      controller,
      auth: (projects) =>
        new AuthService({
          client: controller.client,
          namespace: opts.namespace,
          projects,
          logger,
          ...opts.auth,
        }),
      port: 0,
      address: '127.0.0.1',
      applicationNamespaces: opts.applicationNamespaces,
      heartbeatMs: opts.heartbeatMs,
      uiDir: opts.uiDir,
      logger,
    });
  } catch (err) {
    await controller.stop();
    await rm(cacheDir, { recursive: true, force: true });
    throw err;
  }
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const secret = await core.readNamespacedSecret({
    name: 'argocd-initial-admin-secret',
    namespace: opts.namespace,
  });
  const adminPassword = Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8');
  const url = server.url;
  const running = server;
  return {
    url,
    adminPassword,
    controller,
    server: running,
    async login(username = 'admin', password = adminPassword) {
      const res = await fetch(`${url}/api/v1/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      const body = (await res.json()) as { token?: string; message?: string };
      if (!res.ok || !body.token)
        throw new Error(`login as ${username} failed: ${res.status} ${body.message}`);
      return body.token;
    },
    async stop() {
      await running.close();
      await controller.stop();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}
