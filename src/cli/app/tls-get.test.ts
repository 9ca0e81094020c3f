import { describe, expect, it } from 'vitest';
import { readResponse, tlsGet } from './tls-get.js';

const head = (...lines: string[]) => `HTTP/1.1 200 OK\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
const read = (text: string) => {
  const r = readResponse(Buffer.from(text, 'latin1'));
  return r && { status: r.status, body: r.body.toString('latin1') };
};

describe('readResponse', () => {
  it('reads a body by Content-Length, by chunks (as the apiserver sends lists) or to the end', () => {
    expect(read(head('Content-Type: application/json', 'Content-Length: 2') + '{}')).toEqual({
      status: 200,
      body: '{}',
    });
    expect(read(head('Transfer-Encoding: chunked') + '3\r\n{"a\r\n4;ext=1\r\n":1}\r\n0\r\n\r\n')).toEqual({
      status: 200,
      body: '{"a":1}',
    });
    expect(read(head() + 'to the end')).toEqual({ status: 200, body: 'to the end' });
    expect(read('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n')).toEqual({ status: 401, body: '' });
  });

  it('refuses what it cannot read exactly: the caller then asks through the full client', () => {
    const refused = [
      '',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n', // headers never end
      'HTTP/2 200\r\n\r\n{}',
      'garbage\r\n\r\n',
      head('Content-Length: 3') + '{}', // shorter or longer than said
      head('Content-Length: 1') + '{}',
      head('Content-Length: 2', 'Content-Length: 2') + '{}',
      head('Content-Length: -2') + '{}',
      head('Content-Encoding: gzip') + 'xx', // codings
      head('Transfer-Encoding: gzip, chunked') + '0\r\n\r\n',
      head('Transfer-Encoding: chunked') + '2\r\n{}\r\n', // no last chunk
      head('Transfer-Encoding: chunked') + '3\r\n{}\r\n0\r\n\r\n', // a chunk of the wrong size
      head('Transfer-Encoding: chunked') + 'zz\r\n{}\r\n0\r\n\r\n',
      head('Transfer-Encoding: chunked') + '2\r\n{}\r\n0\r\nTrailer: x\r\n\r\n', // trailers
      head('Transfer-Encoding: chunked') + '2\r\n{}\r\n0\r\n\r\nextra',
      'HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n', // obsolete line folding
      'HTTP/1.1 200 OK\r\nbad header\r\n\r\n',
    ];
    for (const text of refused) expect(read(text), JSON.stringify(text)).toBeUndefined();
  });
});

describe('tlsGet', () => {
  it('leaves to the full client what node:https would send differently', async () => {
    const cluster = { server: new URL('https://127.0.0.1:1/?x=1'), insecure: true };
    expect(await tlsGet(cluster, '/api')).toBeUndefined();
    expect(
      await tlsGet({ server: new URL('https://u:p@127.0.0.1:1'), insecure: true }, '/api'),
    ).toBeUndefined();
    const withNewline = { server: new URL('https://127.0.0.1:1'), insecure: true, token: 'a\r\nX: b' };
    expect(await tlsGet(withNewline, '/api')).toBeUndefined();
  });

  it('rejects on a transport error (nothing listens)', async () => {
    await expect(
      tlsGet({ server: new URL('https://127.0.0.1:1'), insecure: true }, '/api'),
    ).rejects.toThrow();
  });
});
