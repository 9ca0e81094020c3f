import { describe, expect, it } from 'vitest';
import { Registry } from '../core/index.js';
import { createControllerMetrics } from './metrics.js';
import { kubeTransportStats } from '../cluster/index.js';

describe('transport events on /metrics', () => {
  it('shows each transport counter as mooring_kube_client_events{event}', () => {
    const registry = new Registry();
    createControllerMetrics(registry);
    kubeTransportStats.watchDecodeErrors += 3;
    const text = registry.render();
    expect(text).toContain(
      `mooring_kube_client_events{event="watch_decode_error"} ${kubeTransportStats.watchDecodeErrors}`,
    );
    for (const event of ['connection_opened', 'watch_error_event', 'watch_idle_timeout', 'request_timeout'])
      expect(text).toMatch(new RegExp(`mooring_kube_client_events\\{event="${event}"\\} \\d+`));
  });
});
