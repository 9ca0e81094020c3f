import type {
  ApiError,
  Application,
  ApplicationList,
  ApplicationSet,
  ApplicationResourceResponse,
  ApplicationRollbackRequest,
  ApplicationSyncRequest,
  ApplicationTree,
  ApplicationWatchEvent,
  EventList,
  ManagedResourcesResponse,
  SessionResponse,
  Settings,
  UserInfo,
} from '../../../src/api/contract/index.js';
import { SseParser } from './sse.js';

/** An API answer that was not 2xx, with the server's readable message. */
export class ApiRequestError extends Error {
  /** Builds the error; `status` 0 means the server could not be reached. */
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** The readable message of an error answer: its JSON `message` (or `error`), else a generic one by status. */
export function errorMessage(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string' && parsed.message) return parsed.message;
    if (typeof parsed.error === 'string' && parsed.error) return parsed.error;
  } catch {
    // Not JSON: fall through.
  }
  const text = body.trim();
  // A short plain-text body is a message; an HTML error page is not.
  if (text && text.length < 300 && !text.startsWith('<')) return text;
  if (status === 401) return 'Your session has expired or is not valid. Log in again.';
  if (status === 403) return 'Permission denied.';
  if (status === 404) return 'Not found.';
  if (status >= 500) return `The server failed (HTTP ${status}).`;
  return `Request failed (HTTP ${status}).`;
}

/** The path of an application endpoint: /api/v1/applications/{name}[/sub]?appNamespace=… */
export function appPath(
  namespace: string,
  name: string,
  sub = '',
  query: Record<string, string | undefined> = {},
): string {
  const q = new URLSearchParams();
  if (namespace) q.set('appNamespace', namespace);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, v);
  return `api/v1/applications/${encodeURIComponent(name)}${sub ? `/${sub}` : ''}?${q.toString()}`;
}

/** The state of the live stream, for the connection indicator. */
export type StreamState = 'connecting' | 'live' | 'reconnecting';

/** What the UI calls on the server; every method rejects with ApiRequestError. */
export interface Api {
  settings(): Promise<Settings>;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  userInfo(): Promise<UserInfo>;
  listApps(): Promise<ApplicationList>;
  /** The ApplicationSets the user may see. */
  listAppSets(): Promise<{ items: ApplicationSet[] }>;
  getAppSet(name: string): Promise<ApplicationSet>;
  getApp(namespace: string, name: string, refresh?: 'normal' | 'hard'): Promise<Application>;
  createApp(app: Application, upsert?: boolean): Promise<Application>;
  deleteApp(namespace: string, name: string, cascade: boolean): Promise<void>;
  tree(namespace: string, name: string): Promise<ApplicationTree>;
  managedResources(namespace: string, name: string): Promise<ManagedResourcesResponse>;
  events(
    namespace: string,
    name: string,
    resource?: { name: string; namespace: string; uid?: string },
  ): Promise<EventList>;
  resourceManifest(
    namespace: string,
    name: string,
    r: { group: string; version: string; kind: string; namespace: string; name: string },
  ): Promise<string>;
  sync(namespace: string, name: string, req: ApplicationSyncRequest): Promise<Application>;
  rollback(namespace: string, name: string, req: ApplicationRollbackRequest): Promise<Application>;
  terminate(namespace: string, name: string): Promise<void>;
  /** Follows the application stream until the returned function is called; reconnects by itself. */
  watchApps(
    onEvents: (events: ApplicationWatchEvent[]) => void,
    onState: (s: StreamState) => void,
  ): () => void;
}

/**
 * The API client. Paths are relative (the UI is served under the server's root or a sub-path);
 * the session lives in the server's `argocd.token` cookie, and the token from login is also sent as
 * a Bearer header while the page is open. `onUnauthorized` runs on any 401 except the login itself.
 */
export function createApi(onUnauthorized: (message: string) => void, base = ''): Api {
  let token = '';

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { noAuthRedirect?: boolean } = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        credentials: 'same-origin',
        headers: {
          Accept: 'application/json',
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiRequestError('Cannot reach the Mooring server. Check your connection and try again.', 0);
    }
    const text = await res.text();
    if (!res.ok) {
      const message = errorMessage(res.status, text);
      if (res.status === 401 && !opts.noAuthRedirect) {
        token = '';
        onUnauthorized(message);
      }
      throw new ApiRequestError(message, res.status);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  return {
    settings: () => call<Settings>('GET', 'api/v1/settings', undefined, { noAuthRedirect: true }),
    async login(username, password) {
      const r = await call<SessionResponse>(
        'POST',
        'api/v1/session',
        { username, password },
        { noAuthRedirect: true },
      );
      token = r.token ?? '';
    },
    async logout() {
      try {
        await call('DELETE', 'api/v1/session', undefined, { noAuthRedirect: true });
      } finally {
        token = '';
      }
    },
    userInfo: () => call<UserInfo>('GET', 'api/v1/session/userinfo', undefined, { noAuthRedirect: true }),
    listApps: () => call<ApplicationList>('GET', 'api/v1/applications'),
    listAppSets: () => call<{ items: ApplicationSet[] }>('GET', 'api/v1/applicationsets'),
    getAppSet: (name) => call<ApplicationSet>('GET', `api/v1/applicationsets/${encodeURIComponent(name)}`),
    getApp: (ns, name, refresh) => call<Application>('GET', appPath(ns, name, '', { refresh })),
    createApp: (app, upsert) =>
      call<Application>('POST', `api/v1/applications${upsert ? '?upsert=true' : ''}`, app),
    async deleteApp(ns, name, cascade) {
      await call('DELETE', appPath(ns, name, '', { cascade: String(cascade) }));
    },
    tree: (ns, name) => call<ApplicationTree>('GET', appPath(ns, name, 'resource-tree')),
    managedResources: (ns, name) =>
      call<ManagedResourcesResponse>('GET', appPath(ns, name, 'managed-resources')),
    events: (ns, name, r) =>
      call<EventList>(
        'GET',
        appPath(
          ns,
          name,
          'events',
          r ? { resourceName: r.name, resourceNamespace: r.namespace, resourceUID: r.uid } : {},
        ),
      ),
    async resourceManifest(ns, name, r) {
      const q = {
        namespace: r.namespace,
        resourceName: r.name,
        version: r.version,
        group: r.group,
        kind: r.kind,
      };
      const answer = await call<ApplicationResourceResponse>('GET', appPath(ns, name, 'resource', q));
      return answer.manifest ?? '';
    },
    sync: (ns, name, req) =>
      call<Application>('POST', appPath(ns, name, 'sync'), { ...req, name, appNamespace: ns }),
    rollback: (ns, name, req) =>
      call<Application>('POST', appPath(ns, name, 'rollback'), { ...req, name, appNamespace: ns }),
    async terminate(ns, name) {
      await call('DELETE', appPath(ns, name, 'operation'));
    },
    watchApps(onEvents, onState) {
      let stopped = false;
      let controller: AbortController | undefined;
      let attempt = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const connect = async () => {
        controller = new AbortController();
        onState(attempt === 0 ? 'connecting' : 'reconnecting');
        try {
          const res = await fetch(`${base}api/v1/stream/applications`, {
            credentials: 'same-origin',
            headers: { Accept: 'text/event-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
            signal: controller.signal,
          });
          if (res.status === 401) {
            onUnauthorized(errorMessage(401, await res.text()));
            return;
          }
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          onState('live');
          attempt = 0;
          const parser = new SseParser();
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const events: ApplicationWatchEvent[] = [];
            for (const { event, data } of parser.push(value)) {
              try {
                const parsed = JSON.parse(data) as ApplicationWatchEvent & Partial<ApiError>;
                // The server ends the stream with an error event when the session ends (code 16: Unauthenticated).
                if (event === 'error') {
                  if (parsed.code === 16) {
                    stopped = true;
                    onUnauthorized(parsed.message || 'Your session has ended. Log in again.');
                  }
                } else if (parsed?.result?.application) events.push(parsed);
              } catch {
                // A malformed line is skipped; the next event carries the full object anyway.
              }
            }
            if (stopped) return;
            if (events.length) onEvents(events);
          }
        } catch {
          // Network error or abort: reconnect below unless stopped.
        }
        if (stopped) return;
        attempt++;
        onState('reconnecting');
        // 1 s, 2 s, 4 s … up to 15 s between attempts.
        timer = setTimeout(() => void connect(), Math.min(15_000, 1000 * 2 ** Math.min(attempt - 1, 4)));
      };
      void connect();
      return () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        controller?.abort();
      };
    },
  };
}
