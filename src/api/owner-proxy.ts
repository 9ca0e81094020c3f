// Per-app views (resource tree, managed resources, manifests, events) come from the last reconcile pass
// of the app, which only the replica owning it has. Any replica answers them: one that does not own
// the app forwards the request, as it came, to the owner's API (its URL is on the owner's Lease).
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { errorMessage, type Logger } from '../core/index.js';
import { API_URL_ANNOTATION, API_URL_SIGNATURE_ANNOTATION, type Controller } from '../controller/index.js';
import { HttpError } from './http.js';

/** Set on a forwarded request: the owner answers it itself, whatever it thinks of the ownership. */
export const FORWARDED_HEADER = 'x-mooring-forwarded-by';

/** Request headers passed on to the owner (the credentials, the body's type, what the client accepts). */
const PASSED = ['authorization', 'cookie', 'content-type', 'content-length', 'accept', 'x-forwarded-for'];

/**
 * The API URL other replicas reach this one at: `--advertise`d, else `http://$POD_IP:<port>` in a pod,
 * else the listening URL.
 */
export function advertisedUrl(listening: string, port: number, env = process.env): string {
  const ip = env.POD_IP;
  if (!ip) return listening;
  return `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

/** What a replica signs of its API URL: its id and the URL (a URL copied to another Lease does not verify). */
export const signedUrlData = (replicaId: string, url: string): string => `${replicaId} ${url}`;

/** Whether signature is sign(data) (hex), compared in constant time; false without a signer. */
export function verifySignature(
  sign: ((data: string) => string) | undefined,
  data: string,
  signature?: string,
): boolean {
  if (!sign || !signature) return false;
  const want = Buffer.from(sign(data), 'hex');
  const got = Buffer.from(signature, 'hex');
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * The replica that must answer a per-app view: undefined when it is this one (or there is one replica).
 * Its URL is used only with a valid signature: whoever may write Leases but not read argocd-secret
 * cannot send users' tokens elsewhere.
 */
export function ownerUrl(
  controller: Controller,
  appKey: string,
  forwarded: boolean,
  sign: ((data: string) => string) | undefined,
): string | undefined {
  const shards = controller.shards;
  if (!shards || forwarded) return undefined;
  const owner = shards.claimant(appKey);
  if (owner === shards.replicaId) return undefined;
  if (!owner)
    throw new HttpError(503, `application "${appKey}" is moving between replicas: retry in a few seconds`, {
      'Retry-After': '2',
    });
  const url = shards.membership.annotationOf(owner, API_URL_ANNOTATION);
  if (!url)
    throw new HttpError(
      503,
      `application "${appKey}" is handled by replica "${owner}", which serves no API (run it as mooring server)`,
    );
  const signature = shards.membership.annotationOf(owner, API_URL_SIGNATURE_ANNOTATION);
  if (!verifySignature(sign, signedUrlData(owner, url), signature))
    throw new HttpError(
      503,
      `the API URL on replica "${owner}"'s Lease is not signed with this server's key: not forwarding to it`,
    );
  return url;
}

/** Forwards the request to the owner's API and pipes its answer back (server-sent events included). */
export function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  owner: string,
  self: string,
  logger: Logger,
): Promise<void> {
  const target = new URL(req.url ?? '/', owner);
  const headers: http.OutgoingHttpHeaders = { [FORWARDED_HEADER]: self };
  for (const h of PASSED) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
  return new Promise<void>((resolve, reject) => {
    const upstream = http.request(target, { method: req.method, headers }, (answer) => {
      const { connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...kept } = answer.headers;
      res.writeHead(answer.statusCode ?? 502, kept);
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', () => resolve());
    });
    // A client that goes away (a closed event stream) ends the forwarded request too.
    res.on('close', () => upstream.destroy());
    upstream.on('error', (err) => {
      if (res.headersSent) return resolve();
      logger.warn('forwarding to the owner replica failed', {
        owner: target.origin,
        error: errorMessage(err),
      });
      reject(new HttpError(502, `the replica owning this application did not answer: ${errorMessage(err)}`));
    });
    req.pipe(upstream);
  });
}
