import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import {
  generatePassword,
  hashPassword,
  isSupportedHash,
  legacyScryptHash,
  UnsupportedHashError,
  verifyPassword,
} from './password.js';

// Argo CD's argocd-secret example: "bcrypt hash of the admin password and its last modified time
// (required)." This is the hash of "password" that Argo CD's FAQ-style recipes patch into admin.password
// (Go's bcrypt, cost 10, `$2a$` prefix).
const ARGOCD_ADMIN_HASH = '$2a$10$rRyBsGSHK6.uc8fntPwVIuLVHgsAhAX7TcdrqW/RADU0uh7CaChLa';

describe('password hashing', () => {
  it('verifies the bcrypt hash Argo CD stores in argocd-secret admin.password', async () => {
    expect(isSupportedHash(ARGOCD_ADMIN_HASH)).toBe(true);
    expect(await verifyPassword('password', ARGOCD_ADMIN_HASH)).toBe(true);
    expect(await verifyPassword('Password', ARGOCD_ADMIN_HASH)).toBe(false);
    expect(await verifyPassword('', ARGOCD_ADMIN_HASH)).toBe(false);
    // A Secret value with a trailing newline (kubectl create secret --from-file) still checks.
    expect(await verifyPassword('password', `${ARGOCD_ADMIN_HASH}\n`)).toBe(true);
  });

  it('verifies hashes made by another bcrypt implementation, $2a$ and $2b$, at cost 10', async () => {
    const b = bcrypt.hashSync('alice-pw-1', 10);
    expect(b).toMatch(/^\$2b\$10\$/);
    expect(await verifyPassword('alice-pw-1', b)).toBe(true);
    expect(await verifyPassword('alice-pw-2', b)).toBe(false);
    const a = b.replace(/^\$2b\$/, '$2a$');
    expect(await verifyPassword('alice-pw-1', a)).toBe(true);
  });

  it('writes Argo CD-readable bcrypt ($2a$, cost 10) with a fresh salt, checked by another implementation', async () => {
    const a = await hashPassword('s3cret-pw');
    const b = await hashPassword('s3cret-pw');
    expect(a).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret-pw');
    expect(bcrypt.compareSync('s3cret-pw', a)).toBe(true);
    expect(bcrypt.compareSync('s3cret-pw ', a)).toBe(false);
    expect(await verifyPassword('s3cret-pw', a)).toBe(true);
  });

  // `htpasswd -nbBC 10` is the usual recipe for an Argo CD admin.password made by hand.
  it.skipIf(!hasHtpasswd())('agrees with Apache htpasswd (a C bcrypt) both ways', async () => {
    const line = execFileSync('htpasswd', ['-nbBC', '10', 'admin', 'htpasswd-pw'], { encoding: 'utf8' });
    const theirs = line.trim().slice('admin:'.length);
    expect(theirs).toMatch(/^\$2y\$10\$/);
    expect(await verifyPassword('htpasswd-pw', theirs)).toBe(true);
    expect(await verifyPassword('htpasswd-pX', theirs)).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'mooring-pw-'));
    const file = join(dir, 'htpasswd');
    writeFileSync(file, `admin:${await hashPassword('mooring-pw')}\n`);
    // -v exits 0 only when the password matches.
    execFileSync('htpasswd', ['-vb', file, 'admin', 'mooring-pw'], { stdio: 'ignore' });
    expect(() =>
      execFileSync('htpasswd', ['-vb', file, 'admin', 'mooring-pX'], { stdio: 'ignore' }),
    ).toThrow();
  });

  it('refuses to hash a password bcrypt would cut (over 72 bytes)', async () => {
    await expect(hashPassword('x'.repeat(73))).rejects.toThrow(/at most 72 bytes/);
    await expect(hashPassword('é'.repeat(37))).rejects.toThrow(/at most 72 bytes/);
  });

  it('still verifies the scrypt hashes older Mooring versions wrote', async () => {
    const old = await legacyScryptHash('older-pw', { N: 1024, r: 8, p: 1 });
    expect(old).toMatch(/^\$scrypt\$N=1024,r=8,p=1\$/);
    expect(await verifyPassword('older-pw', old)).toBe(true);
    expect(await verifyPassword('older-pw!', old)).toBe(false);
  });

  it('refuses damaged strings and abusive parameters with a clear error', async () => {
    await expect(verifyPassword('password', 'plain-text')).rejects.toBeInstanceOf(UnsupportedHashError);
    await expect(verifyPassword('password', ARGOCD_ADMIN_HASH.slice(0, 40))).rejects.toThrow(/damaged/);
    const costly = ARGOCD_ADMIN_HASH.replace('$10$', '$31$');
    await expect(verifyPassword('password', costly)).rejects.toThrow(/cost 31, outside/);
    const huge = (await legacyScryptHash('x', { N: 1024, r: 8, p: 1 })).replace('N=1024', 'N=1073741824');
    await expect(verifyPassword('x', huge)).rejects.toThrow(/out of the accepted range/);
    expect(isSupportedHash('plain-text')).toBe(false);
  });

  it('generates random passwords of the asked length', () => {
    const p = generatePassword(20);
    expect(p).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(generatePassword(20)).not.toBe(p);
  });
});

function hasHtpasswd(): boolean {
  try {
    execFileSync('htpasswd', ['-nbBC', '4', 'u', 'p'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
