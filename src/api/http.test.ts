import { Readable } from 'node:stream';
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { errorBody, parseCookies, readJsonBody, requestToken } from './http.js';

const req = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  Object.assign(Readable.from([Buffer.from(body)]), { headers }) as unknown as http.IncomingMessage;

describe('request helpers', () => {
  it('reads JSON bodies and refuses what is not', async () => {
    expect(await readJsonBody(req('{"a":1}'))).toEqual({ a: 1 });
    expect(await readJsonBody(req(''))).toBeUndefined();
    await expect(readJsonBody(req('{"a":'))).rejects.toMatchObject({
      status: 400,
      message: /not valid JSON/,
    });
    await expect(readJsonBody(req('x'.repeat(20)), 10)).rejects.toMatchObject({ status: 413 });
    await expect(
      readJsonBody(req('{}', { 'content-type': 'text/plain', cookie: 'argocd.token=t' })),
    ).rejects.toMatchObject({ status: 415 });
    await expect(readJsonBody(req('{}', { 'content-type': 'multipart/form-data' }))).rejects.toMatchObject({
      status: 415,
    });
    // What `curl -d '{"username":…}'` sends, as in Argo CD's API docs.
    const curl = req('{"username":"admin"}', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(await readJsonBody(curl)).toEqual({ username: 'admin' });
  });

  it('takes the token from the Authorization header, else the cookie', () => {
    const r = (headers: Record<string, string>) => ({ headers }) as unknown as http.IncomingMessage;
    expect(requestToken(r({ authorization: 'Bearer abc.def' }))).toBe('abc.def');
    expect(requestToken(r({ authorization: 'Basic xyz', cookie: 'argocd.token=c' }))).toBeUndefined();
    expect(requestToken(r({ cookie: 'a=1; argocd.token=tok%2E1' }))).toBe('tok.1');
    expect(parseCookies('x=1;bad; y = 2')).toEqual({ x: '1', y: '2' });
  });

  it("answers errors in grpc-gateway's shape", () => {
    expect(errorBody(403, 'no')).toEqual({ error: 'no', message: 'no', code: 7 });
    expect(errorBody(401, 'who').code).toBe(16);
  });
});
