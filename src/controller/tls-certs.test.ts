import { describe, expect, it } from 'vitest';
import { certificatesFor } from './tls-certs.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('certificatesFor (argocd-tls-certs-cm)', () => {
  // Argo CD, `argocd cert add-tls SERVERNAME`: "Add TLS certificate data for connecting to repository
  // server SERVERNAME" — argocd-tls-certs-cm is keyed by server name.
  it('finds the certificates of a server by name, then by name and port', () => {
    expect(certificatesFor({ 'charts.example.com': PEM }, new URL('https://charts.example.com:8443/x'))).toBe(
      PEM,
    );
    expect(certificatesFor({ '127.0.0.1:8443': PEM }, new URL('https://127.0.0.1:8443/charts'))).toBe(PEM);
    expect(
      certificatesFor({ 'other.example.com': PEM }, new URL('https://charts.example.com/')),
    ).toBeUndefined();
    expect(
      certificatesFor({ 'charts.example.com': 'not a pem' }, new URL('https://charts.example.com/')),
    ).toBeUndefined();
    expect(certificatesFor(undefined, new URL('https://charts.example.com/'))).toBeUndefined();
  });
});
