import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt cost parameters for new hashes: N=2^15, r=8 costs ~32 MiB and tens of milliseconds per try.
const DEFAULT_PARAMS = { N: 1 << 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
// Refuse parameters that would let a stored hash make one login eat the machine.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

/** Thrown for a stored hash this module cannot check (unknown scheme, bcrypt, damaged string). */
export class UnsupportedHashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedHashError';
  }
}

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function maxmem(N: number, r: number): number {
  // scrypt needs 128 * N * r bytes; leave headroom so node does not refuse it.
  return 128 * N * r * 2 + 1024 * 1024;
}

/**
 * Hashes a password with scrypt into a self-describing string:
 * `$scrypt$N=<n>,r=<r>,p=<p>$<salt base64>$<key base64>`.
 */
export async function hashPassword(
  password: string,
  params: { N: number; r: number; p: number } = DEFAULT_PARAMS,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scryptAsync(password, salt, KEY_LENGTH, {
    ...params,
    maxmem: maxmem(params.N, params.r),
  });
  return `$scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash {
  if (/^\$2[abxy]?\$/.test(stored)) {
    // Argo CD stores bcrypt hashes; Mooring has no bcrypt implementation (no dependency for it).
    throw new UnsupportedHashError(
      'the stored password is a bcrypt hash (as Argo CD writes them), which Mooring does not support: ' +
        'set a new password (remove admin.password and admin.passwordMtime from argocd-secret and restart the server to generate one)',
    );
  }
  const m = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored.trim());
  if (!m)
    throw new UnsupportedHashError('the stored password hash is not in a format Mooring knows ($scrypt$…)');
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[5]!, 'base64');
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (
    !powerOfTwo ||
    N > MAX_N ||
    r < 1 ||
    r > MAX_R ||
    p < 1 ||
    p > MAX_P ||
    key.length < 16 ||
    salt.length < 8
  ) {
    throw new UnsupportedHashError('the stored password hash has parameters out of the accepted range');
  }
  return { N, r, p, salt, key };
}

/** Whether a string looks like a hash this module can verify. */
export function isSupportedHash(stored: string): boolean {
  try {
    parseHash(stored);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a password against a stored hash in constant time. Throws UnsupportedHashError for a
 * hash it cannot check (bcrypt hashes copied from Argo CD among them).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parseHash(stored);
  const key = await scryptAsync(password, h.salt, h.key.length, {
    N: h.N,
    r: h.r,
    p: h.p,
    maxmem: maxmem(h.N, h.r),
  });
  return timingSafeEqual(key, h.key);
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random password of `length` characters (letters and digits without look-alikes), from the CSPRNG. */
export function generatePassword(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
