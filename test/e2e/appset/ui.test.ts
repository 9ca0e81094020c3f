import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../harness/api.js';
import { ensureUiBuilt, launchBrowser, screenshot } from '../../harness/browser.js';
import { createTestNamespace, kubectl, waitFor } from '../../harness/cluster.js';

// The web UI's ApplicationSet pages in a real browser, against a real server and cluster. The set's
// one Application points at a repository that does not exist: it is generated and listed, and
// deploys nothing.
describe('web UI: ApplicationSets', () => {
  let server: TestServer;
  let ns: { name: string; cleanup: () => Promise<void> };
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await ensureUiBuilt();
    ns = await createTestNamespace('appset-ui');
    server = await startTestServer({ namespace: ns.name });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'ApplicationSet',
        metadata: { name: 'fleet', namespace: ns.name },
        spec: {
          generators: [{ list: { elements: [{ env: 'qa' }] } }],
          template: {
            metadata: { name: 'fleet-{{env}}', labels: { env: '{{env}}' } },
            spec: {
              project: 'default',
              source: { repoURL: 'http://127.0.0.1:9/none.git', path: '{{env}}', targetRevision: 'main' },
              destination: { server: 'https://kubernetes.default.svc', namespace: '{{env}}' },
            },
          },
        },
      }),
    });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(30_000);
  });

  afterAll(async () => {
    await browser?.close();
    await kubectl(['delete', 'applicationsets', '--all', '-n', ns.name, '--wait=false']).catch(() => {});
    await kubectl(['delete', 'applications', '--all', '-n', ns.name, '--wait=false']).catch(() => {});
    await server?.stop();
    await ns?.cleanup();
  });

  it('lists the sets, and shows a set with its conditions and Applications', async () => {
    await waitFor('the set reported its app', async () => {
      const out = await kubectl(['get', 'applicationset', 'fleet', '-n', ns.name, '-o', 'json']);
      return (JSON.parse(out) as { status?: { resources?: unknown[] } }).status?.resources?.length === 1;
    });
    await page.goto(server.url);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();

    await page.getByRole('link', { name: 'ApplicationSets' }).click();
    await page.getByRole('heading', { name: 'ApplicationSets' }).waitFor();
    const row = page.getByRole('row', { name: /fleet/ });
    expect(await row.textContent()).toMatch(/fleet\s*AllAtOnce\s*1/);
    await screenshot(page, 'appsets');

    await page.getByRole('link', { name: 'fleet' }).click();
    await page.getByRole('heading', { name: 'fleet', exact: true }).waitFor();
    expect(page.url()).toContain('#/applicationsets/fleet');
    await page.getByRole('cell', { name: 'ResourcesUpToDate' }).waitFor();
    const app = page.getByRole('link', { name: 'fleet-qa' });
    await app.waitFor();
    await screenshot(page, 'appset');
    await app.click();
    await page.waitForURL(/#\/applications\/[^/]+\/fleet-qa/);
  });
});
