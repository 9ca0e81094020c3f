import { describe, expect, it } from 'vitest';
import {
  generatePassword,
  hashPassword,
  isSupportedHash,
  UnsupportedHashError,
  verifyPassword,
} from './password.js';

// Low cost parameters keep the test fast; the format and the checks are the same.
const FAST = { N: 1024, r: 8, p: 1 };

describe('password hashing', () => {
  it('hashes into a self-describing scrypt string with a fresh salt, and verifies it', async () => {
    const a = await hashPassword('s3cret-pw', FAST);
    const b = await hashPassword('s3cret-pw', FAST);
    expect(a).toMatch(/^\$scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret-pw');
    expect(await verifyPassword('s3cret-pw', a)).toBe(true);
    expect(await verifyPassword('s3cret-pw ', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('uses a slow default cost', async () => {
    expect(await hashPassword('x')).toMatch(/^\$scrypt\$N=32768,r=8,p=1\$/);
  });

  it("refuses Argo CD's bcrypt hashes, damaged strings and abusive parameters with a clear error", async () => {
    const bcrypt = '$2a$10$rRyBsGSHK6.uc8fntPwVIuLVHgsAhAX7TcdrqW/RADU0uh7CaChLa';
    await expect(verifyPassword('password', bcrypt)).rejects.toThrow(/bcrypt.*not support/);
    await expect(verifyPassword('password', 'plain-text')).rejects.toBeInstanceOf(UnsupportedHashError);
    const huge = (await hashPassword('x', FAST)).replace('N=1024', 'N=1073741824');
    await expect(verifyPassword('x', huge)).rejects.toThrow(/out of the accepted range/);
    expect(isSupportedHash(bcrypt)).toBe(false);
  });

  it('generates random passwords of the asked length', () => {
    const p = generatePassword(20);
    expect(p).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(generatePassword(20)).not.toBe(p);
  });
});
