import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { startTestServer, type TestServer } from '../harness/api.js';
import { ensureUiBuilt, launchBrowser, screenshot } from '../harness/browser.js';
import { createTestNamespace, kubectl, uniqueName } from '../harness/cluster.js';
import { createRepo } from '../harness/git-repo.js';
import { repoSecret, suiteGitServer, waitForApp } from '../harness/suite.js';

// A multi-source app in the web UI: its page lists every source with the commit it resolved to, the
// table counts the extra source, and the history shows each source's revision. Two repositories, so
// the two commits differ and a revision shown against the wrong source would fail the test.
describe('the web UI with a multi-source app', () => {
  const git = suiteGitServer();
  const name = uniqueName('ui-sources');
  let cp_: { name: string; cleanup: () => Promise<void> };
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const commits: string[] = [];

  beforeAll(async () => {
    await ensureUiBuilt();
    cp_ = await createTestNamespace('ui-src');
    dir = await mkdtemp(join(tmpdir(), 'mooring-ui-sources-'));
    const sources = [];
    for (const part of ['one', 'two']) {
      await mkdir(join(dir, part, part), { recursive: true });
      await writeFile(
        join(dir, part, part, 'cm.yaml'),
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${part}\ndata:\n  from: ${part}\n`,
      );
      const repo = uniqueName(`ui-src-${part}`);
      commits.push(await createRepo(git, repo, join(dir, part)));
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(cp_.name, git.repoUrl(repo))) });
      sources.push({ repoURL: git.repoUrl(repo), path: part, targetRevision: 'HEAD' });
    }
    server = await startTestServer({ namespace: cp_.name, controller: { pollIntervalMs: 2_000, jitter: 0 } });
    const app: Application = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: cp_.name },
      spec: {
        project: 'default',
        sources,
        destination: { server: 'https://kubernetes.default.svc', namespace: `${name}-target` },
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(app) });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    page.setDefaultTimeout(30_000);
  });

  afterAll(async () => {
    await browser?.close();
    await kubectl([
      'delete',
      'application',
      name,
      '-n',
      cp_.name,
      '--ignore-not-found',
      '--wait=false',
    ]).catch(() => {});
    await server?.stop();
    await kubectl(['delete', 'namespace', `${name}-target`, '--ignore-not-found', '--wait=false']).catch(
      () => {},
    );
    await cp_?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows a row per source with its own revision, +1 in the table, and both revisions in the history', async () => {
    expect(commits[0]).not.toBe(commits[1]);
    const synced = await waitForApp(
      cp_.name,
      name,
      'synced with both sources in its history',
      (a) => a.status?.sync?.status === 'Synced' && (a.status.history?.[0]?.revisions?.length ?? 0) === 2,
    );
    expect(synced.status?.sync?.revisions).toEqual(commits);

    await page.goto(server.url);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();

    await page.getByRole('button', { name: 'Table' }).click();
    const row = page.getByRole('table').getByRole('row').filter({ hasText: name });
    await row.getByText('+1', { exact: true }).first().waitFor();

    await page.getByRole('table').getByRole('link', { name }).click();
    const table = page.getByRole('table', { name: 'Sources' });
    await table.waitFor();
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    for (const [i, part] of ['one', 'two'].entries()) {
      const cells = await rows.nth(i).locator('td').allTextContents();
      // #, repository, path, tracking, revision, deployed
      expect(cells[2]).toBe(part);
      expect(cells[3]).toBe('HEAD');
      expect(cells[4]).toBe(commits[i]!.slice(0, 7));
      expect(cells[5]).toBe(commits[i]!.slice(0, 7));
    }
    await screenshot(page, 'app-multi-source');

    await page.getByRole('button', { name: 'History & rollback' }).click();
    const history = page.getByRole('dialog', { name: `History of ${name}` });
    const first = history.locator('tbody tr').first();
    await first.waitFor();
    const text = await first.textContent();
    expect(text).toContain(`${commits[0]!.slice(0, 7)}, ${commits[1]!.slice(0, 7)}`);
    expect(text).toContain('one @ HEAD, two @ HEAD');
  });
});
