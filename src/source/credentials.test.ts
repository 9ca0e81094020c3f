import { describe, expect, it } from 'vitest';
import { SECRET_TYPE_LABEL, type KubeObject } from '../core/index.js';
import { credentialsFromSecrets, ociCredentialsFromSecrets } from './credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(name: string, type: string, fields: Record<string, string>, encode = false): KubeObject {
  const body = encode
    ? { data: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, b64(v)])) }
    : { stringData: fields };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'argocd', labels: { [SECRET_TYPE_LABEL]: type } },
    ...body,
  };
}

describe('credentialsFromSecrets', () => {
  const secrets = [
    secret('org', 'repo-creds', { url: 'https://github.com/org', username: 'org-user', password: 'org-pw' }),
    secret(
      'team',
      'repo-creds',
      { url: 'https://github.com/org/team-', username: 'team', password: 'team-pw' },
      true,
    ),
    secret(
      'exact',
      'repository',
      { url: 'https://GitHub.com/org/app.git', username: 'app', password: 'app-pw' },
      true,
    ),
    secret('ssh', 'repository', {
      url: 'git@github.com:org/infra.git',
      sshPrivateKey: 'KEY',
      insecure: 'true',
    }),
  ];

  it('prefers the repository Secret whose url matches (normalized)', () => {
    expect(credentialsFromSecrets(secrets, 'https://github.com/org/app')).toEqual({
      username: 'app',
      password: 'app-pw',
    });
    expect(credentialsFromSecrets(secrets, 'https://github.com/org/app/')).toEqual({
      username: 'app',
      password: 'app-pw',
    });
    expect(credentialsFromSecrets(secrets, 'git@github.com:org/infra')).toEqual({
      sshPrivateKey: 'KEY',
      insecure: true,
    });
  });

  it('falls back to the repo-creds Secret with the longest matching prefix', () => {
    expect(credentialsFromSecrets(secrets, 'https://github.com/org/team-a.git')).toEqual({
      username: 'team',
      password: 'team-pw',
    });
    expect(credentialsFromSecrets(secrets, 'https://github.com/org/other.git')).toEqual({
      username: 'org-user',
      password: 'org-pw',
    });
    expect(credentialsFromSecrets(secrets, 'https://gitlab.com/org/other.git')).toBeUndefined();
  });

  it('never lends credentials to another host whose name merely starts the same', () => {
    const s = [secret('c', 'repo-creds', { url: 'https://git.corp', password: 'pw' })];
    expect(credentialsFromSecrets(s, 'https://git.corp.evil.example/x')).toBeUndefined();
    expect(credentialsFromSecrets(s, 'https://git.corp:8443/x')).toBeUndefined();
    expect(credentialsFromSecrets(s, 'https://git.corp/x')).toEqual({ password: 'pw' });
  });

  it('reads base64 data and plain stringData (stringData wins)', () => {
    const both: KubeObject = {
      ...secret('b', 'repository', { url: 'https://h/r', password: 'from-data' }, true),
      stringData: { password: 'from-stringData' },
    };
    expect(credentialsFromSecrets([both], 'https://h/r')).toEqual({ password: 'from-stringData' });
  });

  it('lets a repository Secret without credentials inherit them from repo-creds', () => {
    const s = [
      secret('tpl', 'repo-creds', { url: 'https://h/', username: 'u', password: 'p' }),
      secret('repo', 'repository', { url: 'https://h/r', insecure: 'true' }),
    ];
    expect(credentialsFromSecrets(s, 'https://h/r')).toEqual({
      username: 'u',
      password: 'p',
      insecure: true,
    });
  });

  it('ignores other Secrets, and project-scoped ones outside their project', () => {
    const unlabeled: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'x' },
      stringData: { url: 'https://h/r', password: 'no' },
    };
    const scoped = secret('s', 'repository', { url: 'https://h/r', password: 'scoped', project: 'team' });
    const global = secret('g', 'repository', { url: 'https://h/r', password: 'global' });
    expect(credentialsFromSecrets([unlabeled], 'https://h/r')).toBeUndefined();
    expect(credentialsFromSecrets([scoped], 'https://h/r')).toBeUndefined();
    expect(credentialsFromSecrets([global, scoped], 'https://h/r', 'team')).toEqual({ password: 'scoped' });
    expect(credentialsFromSecrets([global, scoped], 'https://h/r', 'other')).toEqual({ password: 'global' });
  });
});

describe('credentialsFromSecrets for Helm repositories (type: helm)', () => {
  // Argo CD, declarative setup: "Non standard Helm Chart repositories have to be registered explicitly.
  // Each repository must have `url`, `type` and `name` fields."
  it('reads a type: helm repository Secret, with TLS client certificate and passCredentials', () => {
    const s = [
      secret('git', 'repository', { url: 'https://charts.example.com', type: 'git', password: 'git-pw' }),
      secret('helm', 'repository', {
        url: 'https://charts.example.com/',
        type: 'helm',
        name: 'example',
        username: 'u',
        password: 'helm-pw',
        tlsClientCertData: 'CERT',
        tlsClientCertKey: 'KEY',
        passCredentials: 'true',
      }),
    ];
    expect(credentialsFromSecrets(s, 'https://charts.example.com', undefined, 'helm')).toEqual({
      username: 'u',
      password: 'helm-pw',
      tlsClientCertData: 'CERT',
      tlsClientCertKey: 'KEY',
      passCredentials: true,
    });
    // A git source of the same URL still gets the git Secret.
    expect(credentialsFromSecrets(s, 'https://charts.example.com')).toEqual({ password: 'git-pw' });
  });

  it('takes repo-creds of type helm by URL prefix, and lets a repository inherit the client certificate', () => {
    const s = [
      secret('tpl', 'repo-creds', {
        url: 'https://charts.corp/',
        type: 'helm',
        username: 'u',
        password: 'p',
        tlsClientCertData: 'CERT',
        tlsClientCertKey: 'KEY',
      }),
      secret('repo', 'repository', { url: 'https://charts.corp/stable', type: 'helm', name: 'stable' }),
    ];
    const inherited = { username: 'u', password: 'p', tlsClientCertData: 'CERT', tlsClientCertKey: 'KEY' };
    expect(credentialsFromSecrets(s, 'https://charts.corp/stable', undefined, 'helm')).toEqual(inherited);
    expect(credentialsFromSecrets(s, 'https://charts.corp/incubator', undefined, 'helm')).toEqual(inherited);
  });
});

describe('ociCredentialsFromSecrets (OCI chart sources)', () => {
  it('reads a type: oci Secret by its oci:// url, chart in the URL or not', () => {
    // Argo CD's OCI guide: "if there is a need to have credentials for a OCI repository, a repository
    // credential of type *oci needs to be created."
    const secrets = [
      secret('oci', 'repository', {
        type: 'oci',
        url: 'oci://registry.example.com/charts/app',
        username: 'u',
        password: 'p',
        insecureOCIForceHttp: 'true',
      }),
    ];
    const want = { username: 'u', password: 'p', forceHttp: true };
    expect(ociCredentialsFromSecrets(secrets, 'oci://registry.example.com/charts/app')).toEqual(want);
    expect(ociCredentialsFromSecrets(secrets, 'oci://registry.example.com/charts', 'app')).toEqual(want);
    expect(ociCredentialsFromSecrets(secrets, 'oci://registry.example.com/charts', 'other')).toBeUndefined();
  });

  it('reads a type: helm, enableOCI: "true" Secret whose url has no scheme, and repo-creds by prefix', () => {
    const secrets = [
      secret('helm-oci', 'repository', {
        type: 'helm',
        enableOCI: 'true',
        url: 'registry-1.docker.io/bitnamicharts',
        username: 'bn',
        password: 'bn-pw',
      }),
      secret('creds', 'repo-creds', {
        type: 'oci',
        url: 'oci://ghcr.io/org',
        username: 'gh',
        password: 'gh-pw',
      }),
    ];
    expect(ociCredentialsFromSecrets(secrets, 'registry-1.docker.io/bitnamicharts', 'nginx')).toEqual({
      username: 'bn',
      password: 'bn-pw',
      enableOCI: true,
    });
    expect(ociCredentialsFromSecrets(secrets, 'oci://registry-1.docker.io/bitnamicharts', 'nginx')).toEqual({
      username: 'bn',
      password: 'bn-pw',
      enableOCI: true,
    });
    expect(ociCredentialsFromSecrets(secrets, 'oci://ghcr.io/org/charts', 'app')).toEqual({
      username: 'gh',
      password: 'gh-pw',
    });
  });
});
