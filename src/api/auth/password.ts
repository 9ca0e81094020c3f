import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import bcrypt from 'bcryptjs';

// bcrypt cost for new hashes: Argo CD's (Go's bcrypt.DefaultCost), so either tool checks the other's.
const BCRYPT_COST = 10;
// Refuse stored bcrypt costs that would let one login eat the machine (each step doubles the work).
const MIN_BCRYPT_COST = 4;
const MAX_BCRYPT_COST = 15;
/** bcrypt reads at most 72 bytes of a password; Argo CD refuses to hash a longer one. */
export const MAX_PASSWORD_BYTES = 72;
// Older Mooring installs stored scrypt hashes; they are still verified (never written any more).
const KEY_LENGTH = 32;
// Refuse parameters that would let a stored hash make one login eat the machine.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

/** Thrown for a stored hash this module cannot check (unknown scheme, damaged string, abusive cost). */
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
 * Hashes a password with bcrypt as Argo CD does (`$2a$10$<salt><hash>`), so an Argo CD reading
 * `argocd-secret` accepts it. Throws for a password over 72 bytes (bcrypt would silently cut it).
 */
export async function hashPassword(password: string, cost: number = BCRYPT_COST): Promise<string> {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new RangeError(`a password may have at most ${MAX_PASSWORD_BYTES} bytes (bcrypt's limit)`);
  }
  const hash = await bcrypt.hash(password, await bcrypt.genSalt(cost));
  // bcryptjs writes the `2b` variant; `2a` is what Argo CD writes and the same algorithm for
  // passwords under 255 bytes, so old bcrypt readers accept it too.
  return hash.replace(/^\$2b\$/, '$2a$');
}

type ParsedHash =
  | { scheme: 'bcrypt'; hash: string }
  | { scheme: 'scrypt'; N: number; r: number; p: number; salt: Buffer; key: Buffer };

const BCRYPT_HASH = /^\$2[abxy]?\$(\d{2})\$[./A-Za-z0-9]{53}$/;

function parseHash(stored: string): ParsedHash {
  const trimmed = stored.trim();
  if (/^\$2[abxy]?\$/.test(trimmed)) {
    const m = BCRYPT_HASH.exec(trimmed);
    if (!m) throw new UnsupportedHashError('the stored bcrypt password hash is damaged');
    const cost = Number(m[1]);
    if (cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
      throw new UnsupportedHashError(
        `the stored bcrypt password hash has cost ${cost}, outside the accepted ${MIN_BCRYPT_COST}..${MAX_BCRYPT_COST}`,
      );
    }
    return { scheme: 'bcrypt', hash: trimmed };
  }
  const m = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(trimmed);
  if (!m)
    throw new UnsupportedHashError(
      'the stored password hash is not in a format Mooring knows (bcrypt $2a$…, or $scrypt$…)',
    );
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
  return { scheme: 'scrypt', N, r, p, salt, key };
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
 * Checks a password against a stored hash: bcrypt (Argo CD's and Mooring's) or the scrypt format
 * older Mooring versions wrote. Throws UnsupportedHashError for a hash it cannot check.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parseHash(stored);
  // bcryptjs compares in constant time.
  if (h.scheme === 'bcrypt') return bcrypt.compare(password, h.hash);
  const key = await scryptAsync(password, h.salt, h.key.length, {
    N: h.N,
    r: h.r,
    p: h.p,
    maxmem: maxmem(h.N, h.r),
  });
  return timingSafeEqual(key, h.key);
}

/**
 * Hashes with the scrypt format of older Mooring versions (`$scrypt$N=…,r=…,p=…$<salt>$<key>`);
 * kept only so tests can make such hashes.
 */
export async function legacyScryptHash(
  password: string,
  params: { N: number; r: number; p: number } = { N: 1 << 15, r: 8, p: 1 },
): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH, {
    ...params,
    maxmem: maxmem(params.N, params.r),
  });
  return `$scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random password of `length` characters (letters and digits without look-alikes), from the CSPRNG. */
export function generatePassword(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
