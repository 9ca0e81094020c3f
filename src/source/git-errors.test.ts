import { describe, expect, it } from 'vitest';
import { classifyGitFailure } from './git-errors.js';

const url = 'https://git.example.com/team/repo.git';

describe('classifyGitFailure', () => {
  it.each([
    [
      `fatal: Authentication failed for '${url}/'`,
      { password: 'x1234' },
      `authentication failed for ${url}: check the repository Secret's username and password`,
    ],
    [
      `fatal: could not read Username for 'https://git.example.com': terminal prompts disabled`,
      {},
      `authentication required for ${url}: add a repository Secret with a username and password`,
    ],
    [
      `fatal: repository '${url}/' not found`,
      {},
      `repository ${url} not found: check the repoURL (a private repository also needs credentials)`,
    ],
    [
      `fatal: unable to access '${url}/': Failed to connect to git.example.com port 443 after 0 ms: Couldn't connect to server`,
      {},
      `cannot reach ${url}: connection refused`,
    ],
    [
      `fatal: unable to access '${url}/': Could not resolve host: git.example.com`,
      {},
      `cannot reach ${url}: cannot resolve host git.example.com`,
    ],
    [
      'git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.',
      { sshPrivateKey: 'k' },
      `authentication failed for ${url}: check the repository Secret's sshPrivateKey`,
    ],
    [
      'Host key verification failed.',
      {},
      `host key verification failed for ${url}: add the server's key to the known hosts, or set insecure: "true" in the repository Secret`,
    ],
    [
      `fatal: unable to access '${url}/': SSL certificate problem: self-signed certificate`,
      {},
      `the TLS certificate of ${url} is not trusted (self-signed certificate): add its CA, or set insecure: "true" in the repository Secret`,
    ],
    [
      'fatal: remote error: no such repository: /repo.git',
      {},
      `repository ${url} not found: check the repoURL (a private repository also needs credentials)`,
    ],
  ])('%s', (stderr, creds, message) => {
    const err = classifyGitFailure('fetch', url, stderr, creds);
    expect(err.message).toBe(message);
    expect(err.conditionType).toBe('ComparisonError');
  });

  it('keeps the tail of unknown failures, redacted', () => {
    const stderr = 'error: something odd with s3cr3t-token\nfatal: giving up';
    const err = classifyGitFailure('fetch', url, stderr, {}, ['s3cr3t-token']);
    expect(err.message).toBe(`git fetch failed for ${url}: something odd with ***; giving up`);
  });

  it('drops git output entirely when a secret is too short to redact', () => {
    const err = classifyGitFailure('fetch', url, 'fatal: odd abc', {}, ['abc']);
    expect(err.message).toBe(`git fetch failed for ${url}`);
  });
});
