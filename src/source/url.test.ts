import { describe, expect, it } from 'vitest';
import {
  checkRepoURL,
  normalizeRepoURL,
  redactSecrets,
  redactURL,
  repoKey,
  splitURLCredentials,
} from './url.js';

describe('normalizeRepoURL', () => {
  it('compares as Argo CD does: whole URL case-insensitive, trailing .git or slash ignored', () => {
    const same = [
      'https://github.com/org/repo',
      'https://github.com/Org/Repo.git',
      'https://github.com/Org/Repo/',
      'HTTPS://GitHub.COM/Org/Repo.git/',
      '  https://github.com/Org/Repo  ',
    ];
    for (const url of same) expect(normalizeRepoURL(url)).toBe('https://github.com/org/repo');
  });

  it('drops a password but keeps the user, and reads scp-like ssh as ssh://', () => {
    expect(normalizeRepoURL('https://me:secret@Host.example/r.git')).toBe('https://me@host.example/r');
    expect(normalizeRepoURL('git@GitHub.com:org/repo.git')).toBe('git@github.com/org/repo');
    expect(normalizeRepoURL('ssh://git@GitHub.com/org/repo')).toBe('git@github.com/org/repo');
    expect(normalizeRepoURL('ssh://git@Host:2222/org/repo.git')).toBe('git@host:2222/org/repo');
  });

  it('gives one key per repository', () => {
    expect(repoKey('https://h/r.git')).toBe(repoKey('https://H/r/'));
    expect(repoKey('https://h/r')).toMatch(/^[0-9a-f]{20}$/);
    expect(repoKey('https://h/r')).not.toBe(repoKey('https://h/s'));
  });
});

describe('redaction', () => {
  it('hides userinfo of http(s) URLs and passwords of ssh ones, keeps an ssh login', () => {
    expect(redactURL("unable to access 'https://tok3n@github.com/x/': 403")).toBe(
      "unable to access 'https://***@github.com/x/': 403",
    );
    expect(redactURL('http://u:p@h/r and ssh://git@h/r')).toBe('http://***@h/r and ssh://git@h/r');
    expect(redactURL('ssh://git:pw@h/r')).toBe('ssh://***@h/r');
  });

  it('hides known secrets, each line of a key, and their URL-encoded form', () => {
    const key = '-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQAB\n-----END KEY-----';
    const out = redactSecrets('pw=p@ss/word enc=p%40ss%2Fword line AAAAB3NzaC1yc2EAAAADAQAB', [
      'p@ss/word',
      key,
    ]);
    expect(out).toBe('pw=*** enc=*** line ***');
  });
});

describe('splitURLCredentials', () => {
  it('moves http userinfo out of the URL', () => {
    expect(splitURLCredentials('https://me:p%40ss@h/r.git')).toEqual({
      url: 'https://h/r.git',
      username: 'me',
      password: 'p@ss',
    });
    expect(splitURLCredentials('https://token@h/r')).toEqual({ url: 'https://h/r', username: 'token' });
  });

  it('keeps the ssh login, drops only a password', () => {
    expect(splitURLCredentials('ssh://git@h/r')).toEqual({ url: 'ssh://git@h/r' });
    expect(splitURLCredentials('ssh://git:pw@h/r')).toEqual({ url: 'ssh://git@h/r', password: 'pw' });
    expect(splitURLCredentials('git@h:r')).toEqual({ url: 'git@h:r' });
  });
});

describe('checkRepoURL', () => {
  it('accepts network transports', () => {
    for (const url of ['https://h/r', 'http://h:8080/r', 'ssh://git@h/r', 'git@h:org/r.git', 'git://h/r']) {
      expect(() => checkRepoURL(url)).not.toThrow();
    }
  });

  it('refuses local, remote-helper and option-like URLs', () => {
    for (const url of [
      'file:///etc',
      '/etc',
      './repo',
      'ext::sh -c id',
      'fd::3',
      'foo://h/r',
      'ssh://-oProxyCommand=x/r',
      '-u',
    ]) {
      expect(() => checkRepoURL(url), url).toThrow();
    }
    expect(() => checkRepoURL('ssh://-oProxyCommand=x@h/r')).toThrow();
    expect(() => checkRepoURL('file:///tmp/repo', true)).not.toThrow();
    expect(() => checkRepoURL('ext::sh', true)).toThrow();
  });
});
