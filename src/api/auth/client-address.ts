import { BlockList, isIP } from 'node:net';

/** Which direct peers are proxies whose X-Forwarded-For is believed. */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly count: number;

  /** `cidrs`: addresses or CIDR ranges, IPv4 or IPv6 (e.g. `10.0.0.0/8`, `::1`). Throws on a bad entry. */
  constructor(cidrs: string[] = []) {
    let n = 0;
    for (const raw of cidrs.flatMap((c) => c.split(',')).map((c) => c.trim())) {
      if (!raw) continue;
      const [addr, bits, extra] = raw.split('/');
      const family = isIP(addr ?? '');
      const max = family === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : Number(bits);
      if (
        !family ||
        extra !== undefined ||
        !Number.isInteger(prefix) ||
        prefix < 0 ||
        prefix > max ||
        bits === ''
      ) {
        throw new Error(
          `--trusted-proxies: ${JSON.stringify(raw)} is not an IP address or CIDR range (e.g. 10.0.0.0/8)`,
        );
      }
      this.list.addSubnet(addr!, prefix, family === 4 ? 'ipv4' : 'ipv6');
      n++;
    }
    this.count = n;
  }

  /** Whether an address (as the socket reports it) is a trusted proxy. */
  has(address: string): boolean {
    if (this.count === 0) return false;
    const a = normalise(address);
    const family = isIP(a);
    return family !== 0 && this.list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** An IPv4 address the socket reports IPv4-mapped (`::ffff:10.0.0.1`) as plain IPv4. */
function normalise(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/**
 * The client's address: the direct peer, unless that peer is a trusted proxy; then X-Forwarded-For
 * read from the right (the entries nearest to us), skipping trusted proxies, and the first other
 * address is the client. Entries an untrusted hop could have forged (left of it) are never read.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: TrustedProxies,
): string {
  let current = normalise(peer ?? 'unknown');
  if (!trusted.has(current) || forwardedFor === undefined) return current;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalise(stripPort(hops[i]!));
    // A damaged entry: the last trusted hop is the best we know.
    if (!isIP(hop)) return current;
    current = hop;
    if (!trusted.has(hop)) return hop;
  }
  return current;
}

/** `1.2.3.4:5678` → `1.2.3.4`, `[::1]:80` → `::1`; anything else unchanged. */
function stripPort(hop: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (v6) return v6[1]!;
  const v4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop);
  return v4 ? v4[1]! : hop;
}
