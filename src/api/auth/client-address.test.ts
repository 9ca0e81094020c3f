import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { clientAddress, TrustedProxies } from './client-address.js';

describe('client address behind proxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', 'fd00::/8', '127.0.0.1']);

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy (anyone can send the header)', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1', proxies)).toBe('203.0.113.7');
    expect(clientAddress('203.0.113.7', '198.51.100.1', new TrustedProxies())).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7', undefined, proxies)).toBe('203.0.113.7');
  });

  it('takes the nearest address that is not a trusted proxy, never what an untrusted hop wrote', () => {
    expect(clientAddress('10.1.2.3', '198.51.100.1', proxies)).toBe('198.51.100.1');
    expect(clientAddress('::ffff:10.1.2.3', '198.51.100.1', proxies)).toBe('198.51.100.1');
    // The client forged a first entry; the trusted proxy appended the real address.
    expect(clientAddress('10.1.2.3', '1.1.1.1, 198.51.100.1', proxies)).toBe('198.51.100.1');
    // Two trusted proxies in a row.
    expect(clientAddress('10.1.2.3', '198.51.100.1, 10.9.9.9', proxies)).toBe('198.51.100.1');
    // Several headers count as one list; ports and IPv6 brackets are dropped.
    expect(clientAddress('fd00::1', ['1.1.1.1', '198.51.100.2:4431'], proxies)).toBe('198.51.100.2');
    expect(clientAddress('127.0.0.1', '[2001:db8::5]:443', proxies)).toBe('2001:db8::5');
  });

  it('falls back to the last trusted hop for a damaged entry or a list of proxies only', () => {
    expect(clientAddress('10.1.2.3', 'not-an-ip', proxies)).toBe('10.1.2.3');
    expect(clientAddress('10.1.2.3', '1.1.1.1, garbage, 10.2.2.2', proxies)).toBe('10.2.2.2');
    expect(clientAddress('10.1.2.3', '10.4.4.4', proxies)).toBe('10.4.4.4');
    expect(clientAddress('10.1.2.3', '', proxies)).toBe('10.1.2.3');
  });

  it('refuses a bad --trusted-proxies entry with a clear line', () => {
    expect(() => new TrustedProxies(['10.0.0.0/33'])).toThrow(/"10.0.0.0\/33" is not an IP address or CIDR/);
    expect(() => new TrustedProxies(['proxy.local'])).toThrow(/--trusted-proxies/);
    expect(new TrustedProxies(['10.0.0.1, 10.0.0.2']).has('10.0.0.2')).toBe(true);
  });

  it('reads the headers as a real HTTP server receives them (repeated X-Forwarded-For lines joined)', async () => {
    const seen: string[] = [];
    const loopbackTrusted = new TrustedProxies(['127.0.0.1']);
    const server = http.createServer((req, res) => {
      seen.push(clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], loopbackTrusted));
      seen.push(
        clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], new TrustedProxies()),
      );
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    // A raw request: two X-Forwarded-For lines, the client's forged one first.
    await new Promise<void>((resolve, reject) => {
      const sock = connect(port, '127.0.0.1', () =>
        sock.write(
          'GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 198.51.100.7\r\nConnection: close\r\n\r\n',
        ),
      );
      sock.on('data', () => {});
      sock.on('end', resolve);
      sock.on('error', reject);
    });
    await new Promise<void>((r) => server.close(() => r()));
    expect(seen).toEqual(['198.51.100.7', '127.0.0.1']);
  });
});
