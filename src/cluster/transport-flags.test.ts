import { describe, expect, it } from 'vitest';
import { kubeTransportFromFlags } from './transport-flags.js';

describe('Kubernetes client flags', () => {
  // Argo CD (pkg/apis/application/v1alpha1/cluster_constants.go): "EnvK8sClientQPS is the QPS value used
  // for the kubernetes client (default: 50)" and "EnvK8sClientBurst is the burst value used for the
  // kubernetes client (default: twice the client QPS)".
  it("defaults to Argo CD's QPS 50 and burst 100", () => {
    expect(kubeTransportFromFlags({}, {})).toMatchObject({
      qps: 50,
      burst: 100,
      maxSockets: 32,
      requestTimeoutMs: 60_000,
    });
  });

  it("reads Argo CD's ARGOCD_K8S_CLIENT_QPS / _BURST, burst twice the QPS when only QPS is set; flags win", () => {
    expect(kubeTransportFromFlags({}, { ARGOCD_K8S_CLIENT_QPS: '20' })).toMatchObject({ qps: 20, burst: 40 });
    expect(
      kubeTransportFromFlags({}, { ARGOCD_K8S_CLIENT_QPS: '20', ARGOCD_K8S_CLIENT_BURST: '25' }),
    ).toMatchObject({ qps: 20, burst: 25 });
    expect(kubeTransportFromFlags({ 'kube-qps': '0' }, { ARGOCD_K8S_CLIENT_QPS: '20' })).toMatchObject({
      qps: 0,
    });
    expect(
      kubeTransportFromFlags({ 'kube-max-connections': '8', 'kube-request-timeout': '2m' }, {}),
    ).toMatchObject({ maxSockets: 8, requestTimeoutMs: 120_000 });
  });

  it('refuses bad values with one line that names the flag or variable', () => {
    expect(() => kubeTransportFromFlags({ 'kube-qps': 'fast' }, {})).toThrow(
      '--kube-qps must be a number of at least 0, not "fast"',
    );
    expect(() => kubeTransportFromFlags({}, { ARGOCD_K8S_CLIENT_BURST: '0' })).toThrow(
      /ARGOCD_K8S_CLIENT_BURST/,
    );
    expect(() => kubeTransportFromFlags({ 'kube-max-connections': '2.5' }, {})).toThrow(
      /--kube-max-connections/,
    );
    expect(() => kubeTransportFromFlags({ 'kube-request-timeout': '10ms' }, {})).toThrow(/at least 1s/);
    expect(() => kubeTransportFromFlags({ 'kube-request-timeout': 'soon' }, {})).toThrow(
      /--kube-request-timeout/,
    );
  });
});
