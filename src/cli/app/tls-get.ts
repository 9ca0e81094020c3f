// One HTTP/1.1 GET over node:tls, for `mooring app list`'s one request: node:https would load and set
// up the http client, its agent and parser (~4 ms of a ~60 ms command) for a single request whose
// answer is read whole. The response is accepted only when it is exactly what this reads (a status
// line, headers, a body by Content-Length, chunks or the connection's end); anything else is
// undefined and the caller asks again through the full client.
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { PlainCluster } from './plain-kubeconfig.js';

/** A response read whole. */
export interface WholeResponse {
  status: number;
  body: Buffer;
}

/** The body of a chunked message, or undefined when it is not exactly a chunked body (no trailers). */
function unchunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = data.toString('latin1', at, eol).replace(/;.*$/, '');
    if (!/^[0-9a-fA-F]{1,8}$/.test(size)) return undefined;
    const n = parseInt(size, 16);
    const start = eol + 2;
    if (n === 0)
      return data.length === start + 2 && data.toString('latin1', start) === '\r\n'
        ? Buffer.concat(parts)
        : undefined;
    if (data.length < start + n + 2 || data.toString('latin1', start + n, start + n + 2) !== '\r\n')
      return undefined;
    parts.push(data.subarray(start, start + n));
    at = start + n + 2;
  }
}

/**
 * A whole HTTP/1.1 response (the connection closed after it), or undefined when it is not one this
 * reads exactly: no status line, a transfer or content coding, a body shorter or longer than said.
 */
export function readResponse(data: Buffer): WholeResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.toString('latin1', 0, end).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine!);
  if (!status) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!m) return undefined;
    const name = m[1]!.toLowerCase();
    if (headers.has(name) && ['content-length', 'transfer-encoding', 'content-encoding'].includes(name))
      return undefined;
    headers.set(name, m[2]!);
  }
  const rest = data.subarray(end + 4);
  const coding = headers.get('content-encoding');
  if (coding !== undefined && coding.toLowerCase() !== 'identity') return undefined;
  const transfer = headers.get('transfer-encoding');
  let body: Buffer | undefined;
  if (transfer !== undefined) body = transfer.toLowerCase() === 'chunked' ? unchunk(rest) : undefined;
  else if (headers.has('content-length')) {
    const length = headers.get('content-length')!;
    body = /^\d{1,12}$/.test(length) && Number(length) === rest.length ? rest : undefined;
  } else body = rest;
  return body && { status: Number(status[1]), body };
}

/**
 * GETs a path of the cluster's apiserver over TLS as node:https would (the same certificates, SNI and
 * verification), with `Connection: close`; rejects on a transport error or after 30 s.
 */
export function tlsGet(cluster: PlainCluster, path: string): Promise<WholeResponse | undefined> {
  const server = cluster.server;
  const host = server.hostname.replace(/^\[(.*)\]$/, '$1');
  const base = server.pathname.replace(/\/$/, '');
  // What node:https would send differently or refuse (a query, user info, a token it would not send).
  if (server.search || server.hash || server.username || server.password) return Promise.resolve(undefined);
  if (cluster.token !== undefined && !/^[\t\x20-\x7e]*$/.test(cluster.token))
    return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(server.port || 443),
      servername: isIP(host) ? undefined : host,
      ca: cluster.ca,
      cert: cluster.cert,
      key: cluster.key,
      rejectUnauthorized: !cluster.insecure,
    });
    const chunks: Buffer[] = [];
    socket.setTimeout(30_000, () => socket.destroy(new Error(`request to ${path} timed out`)));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      resolve(readResponse(Buffer.concat(chunks)));
    });
    socket.write(
      [
        `GET ${base}${path} HTTP/1.1`,
        `Host: ${server.host}`,
        'Accept: application/json',
        ...(cluster.token ? [`Authorization: Bearer ${cluster.token}`] : []),
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
    );
  });
}
