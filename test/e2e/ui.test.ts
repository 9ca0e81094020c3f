import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Browser, Page } from 'playwright-core';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/core/index.js';
import { startTestServer, type TestServer } from '../harness/api.js';
import { ensureUiBuilt, launchBrowser, screenshot } from '../harness/browser.js';
import { createTestNamespace, kubectl, testKubeConfig, uniqueName, waitFor } from '../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../harness/git-repo.js';
import { repoSecret, suiteGitServer, waitForApp } from '../harness/suite.js';

const root = resolve(import.meta.dirname, '../..');
const ENVS = ['development', 'staging', 'production'] as const;

// The web UI driven by Debian's Chromium against the real server, controller, cluster and git server:
// log in, see the seed's three apps, open production, see its tree, watch a kubectl drift appear as a
// diff without reloading, sync from the dialog, roll back from the history. Screenshots of the main
// pages go to .run/screenshots/.
describe('the web UI', () => {
  const git = suiteGitServer();
  const prefix = uniqueName('ui');
  const appName = (env: string) => `${prefix}-${env}`;
  const target = (env: string) => `${prefix}-${env}`;
  const prod = appName('production');
  const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
  const deployment = () => apps.readNamespacedDeployment({ name: 'myapp', namespace: target('production') });
  let cp_: { name: string; cleanup: () => Promise<void> };
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let work: WorkingCopy;
  let repoDir: string;
  let firstRevision: string;
  let repoURL: string;

  /** The seed's Application for one environment, on this test's repo and namespaces. */
  async function seedApplication(env: string, repoURL: string): Promise<Application> {
    const text = await readFile(join(root, 'examples/argocd-application.yaml'), 'utf8');
    const app = parse(text.replace('https://github.com/myorg/myapp-config.git', repoURL)) as Application;
    app.metadata.name = appName(env);
    app.metadata.namespace = cp_.name;
    app.spec.source!.path = `overlays/${env}`;
    app.spec.destination.namespace = target(env);
    // Production is synced by hand from the UI here, so a drift stays until the test syncs it.
    if (env === 'production') app.spec.syncPolicy = { syncOptions: ['CreateNamespace=true'] };
    return app;
  }

  // What of the app table does not fit: the table against its scrolling pane, each header against its cell.
  // (A string: the test's TypeScript has no DOM types.)
  const tableOverflow = () =>
    page.evaluate<string[]>(`(() => {
      const cut = [];
      const pane = document.querySelector('.app-table').parentElement;
      if (pane.scrollWidth > pane.clientWidth) cut.push('table ' + (pane.scrollWidth - pane.clientWidth) + 'px too wide');
      for (const th of document.querySelectorAll('.app-table thead th')) {
        if (th.scrollWidth > th.clientWidth) cut.push('header ' + th.textContent + ' cut');
      }
      return cut;
    })()`);
  /** The tree node button of a kind (and name). */
  const treeNode = (kind: string, name?: string) =>
    page.locator(`.tree-node[data-kind="${kind}"]${name ? `[data-name="${name}"]` : ''}`);

  beforeAll(async () => {
    await ensureUiBuilt();
    cp_ = await createTestNamespace('ui-cp');
    // The seed's config repo with the overlays' namespaces made this test's own.
    repoDir = await mkdtemp(join(tmpdir(), 'mooring-ui-repo-'));
    await cp(join(root, 'examples/config-repo'), repoDir, { recursive: true });
    for (const env of ENVS) {
      const file = join(repoDir, `overlays/${env}/kustomization.yaml`);
      await writeFile(
        file,
        (await readFile(file, 'utf8')).replace(`namespace: ${env}`, `namespace: ${target(env)}`),
      );
    }
    const repoName = uniqueName('ui-config');
    await createRepo(git, repoName, repoDir);
    work = await cloneRepo(git, repoName);
    repoURL = git.repoUrl(repoName);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(cp_.name, repoURL)) });
    server = await startTestServer({
      namespace: cp_.name,
      controller: { pollIntervalMs: 2_000, jitter: 0 },
      // The stream checks the session this often: a revoked one shows within seconds.
      heartbeatMs: 2_000,
    });
    for (const env of ENVS) {
      await kubectl(['apply', '-f', '-'], { input: JSON.stringify(await seedApplication(env, repoURL)) });
    }
    browser = await launchBrowser();
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      colorScheme: 'light',
    });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
  });

  afterAll(async () => {
    await browser?.close();
    for (const env of ENVS) {
      await kubectl([
        'delete',
        'application',
        appName(env),
        '-n',
        cp_.name,
        '--ignore-not-found',
        '--wait=false',
      ]).catch(() => {});
    }
    await server?.stop();
    for (const env of ENVS) {
      await kubectl(['delete', 'namespace', target(env), '--ignore-not-found', '--wait=false']).catch(
        () => {},
      );
    }
    await cp_?.cleanup();
    await work?.dispose();
    if (repoDir) await rm(repoDir, { recursive: true, force: true });
  });

  it('asks for a login, says why a wrong password fails, and logs in', async () => {
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Mooring' }).waitFor();
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/invalid|password|credentials/i);
    await page.getByLabel('Password').fill(server.adminPassword);
    await screenshot(page, 'login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();
    expect(page.url()).toContain('#/applications');
  });

  it("lists the seed's three apps with their statuses, as tiles and as a table, light and dark", async () => {
    for (const env of ENVS) await page.getByRole('link', { name: new RegExp(`^${appName(env)}:`) }).waitFor();
    expect(await page.locator('.tile').count()).toBe(3);
    // development and staging sync themselves; the stream brings their new status without a reload.
    for (const env of ['development', 'staging']) {
      await page
        .getByRole('link', { name: `${appName(env)}: health Healthy, sync Synced` })
        .waitFor({ timeout: 90_000 });
    }
    await page.getByRole('link', { name: new RegExp(`^${prod}: .*sync OutOfSync`) }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    await screenshot(page, 'list-tiles-light');

    // The filters: sync status OutOfSync leaves production alone; the search box narrows by name.
    await page
      .locator('.filter-group', { hasText: 'Sync status' })
      .getByRole('checkbox', { name: /OutOfSync/ })
      .check();
    await waitFor('one tile left', async () => (await page.locator('.tile').count()) === 1);
    expect(await page.locator('.tile__name').textContent()).toBe(prod);
    await page.getByRole('button', { name: 'Clear all filters' }).first().click();
    await page.getByRole('searchbox', { name: 'Search applications' }).fill('staging');
    await waitFor('only staging', async () => (await page.locator('.tile').count()) === 1);
    expect(await page.locator('.tile__name').textContent()).toBe(appName('staging'));
    await page.getByRole('searchbox', { name: 'Search applications' }).fill('');

    await page.getByRole('button', { name: 'Table' }).click();
    await page.getByRole('table').getByRole('link', { name: prod }).waitFor();
    expect(await page.getByRole('table').getByRole('row').count()).toBe(4);
    await screenshot(page, 'list-table-light');
    // At common window widths the whole table is in view: no column off the right edge, no header cut.
    for (const width of [1920, 1280, 1440]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await tableOverflow(), `at ${width}px`).toEqual([]);
    }

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByRole('button', { name: 'Tiles' }).click();
    await page.locator('.tile').first().waitFor();
    const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(bg).toBe('rgb(13, 17, 23)');
    await screenshot(page, 'list-tiles-dark');
    await page.getByRole('button', { name: 'Table' }).click();
    await screenshot(page, 'list-table-dark');
    // The toggle overrides the system's choice: light, then dark, then the system's again.
    const bodyBg = () => page.evaluate('getComputedStyle(document.body).backgroundColor');
    await page.getByRole('button', { name: 'Theme: system (change)' }).click();
    expect(await bodyBg()).toBe('rgb(245, 247, 250)');
    await page.getByRole('button', { name: 'Theme: light (change)' }).click();
    expect(await bodyBg()).toBe('rgb(13, 17, 23)');
    await page.getByRole('button', { name: 'Theme: dark (change)' }).click();
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await bodyBg()).toBe('rgb(245, 247, 250)');
    await page.getByRole('button', { name: 'Tiles' }).click();
  });

  it('opens production, syncs it from the dialog with live progress, and draws its tree', async () => {
    await page.getByRole('link', { name: new RegExp(`^${prod}:`) }).click();
    await page.getByRole('heading', { name: prod, level: 1 }).waitFor();
    // Before the first sync, Git's objects are drawn as missing.
    await treeNode('Deployment', 'myapp').and(page.locator('.tree-node--missing')).waitFor();

    await page.getByRole('button', { name: '⟳ Sync' }).click();
    const dialog = page.getByRole('dialog', { name: `Sync ${prod}` });
    await dialog.waitFor();
    expect(await dialog.getByRole('checkbox', { name: 'Deployment myapp' }).isChecked()).toBe(true);
    expect(await dialog.getByRole('checkbox', { name: 'Service myapp' }).isChecked()).toBe(true);
    await dialog.getByRole('checkbox', { name: /^Prune delete/ }).check();
    // Mooring always applies server-side: no checkbox pretends that is a choice.
    expect(await dialog.getByRole('checkbox', { name: /server-side/i }).count()).toBe(0);
    await screenshot(page, 'sync-dialog');
    await dialog.getByRole('button', { name: 'Synchronize' }).click();
    await dialog
      .locator('.operation__head')
      .getByText('Succeeded', { exact: true })
      .waitFor({ timeout: 90_000 });
    expect(await dialog.getByRole('cell', { name: 'Deployment' }).count()).toBeGreaterThan(0);
    await screenshot(page, 'sync-dialog-done');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // Application → Deployment → ReplicaSet → 5 Pods, and the Service and ConfigMap beside it.
    await waitFor('five pods in the tree', async () => (await treeNode('Pod').count()) === 5, {
      timeoutMs: 60_000,
    });
    await treeNode('ReplicaSet').first().waitFor();
    await treeNode('Service', 'myapp').waitFor();
    await treeNode('ConfigMap', 'myapp-config').waitFor();
    const x = async (kind: string) => (await treeNode(kind).first().boundingBox())!.x;
    expect(await x('Deployment')).toBeLessThan(await x('ReplicaSet'));
    expect(await x('ReplicaSet')).toBeLessThan(await x('Pod'));
    expect(await x('Service')).toBe(await x('Deployment'));
    await page.locator('.app-header').getByText('Synced', { exact: true }).waitFor();
    await page.locator('.app-header').getByText('Healthy', { exact: true }).waitFor({ timeout: 60_000 });
    expect(await page.locator('.tree-node--missing').count()).toBe(0);
    await screenshot(page, 'app-tree');
    // Keyboard: a node opens its panel with Enter, Escape closes it.
    await treeNode('Service', 'myapp').focus();
    await page.keyboard.press('Enter');
    const panel = page.getByRole('complementary', { name: 'Details of Service myapp' });
    await panel.getByRole('tab', { name: 'Summary' }).waitFor();
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    // A Pod is not in Git: its live manifest comes from the cluster, and it has no desired side.
    const pod = treeNode('Pod').first();
    const podName = (await pod.getAttribute('data-name'))!;
    await pod.click();
    const podPanel = page.getByRole('complementary', { name: `Details of Pod ${podName}` });
    await podPanel.getByRole('tab', { name: 'Live manifest' }).click();
    await podPanel.getByText('kind: Pod').waitFor();
    await podPanel.getByText(`name: ${podName}`).first().waitFor();
    await podPanel.getByRole('tab', { name: 'Desired manifest' }).click();
    await podPanel.getByText('Not in Git').waitFor();
    await podPanel.getByRole('button', { name: 'Close details' }).click();
  });

  it('shows a kubectl scale as a diff without reloading, and the dialog syncs it back', async () => {
    await page.evaluate('window.marker = 42');
    await kubectl(['scale', 'deployment', 'myapp', '--replicas=2', '-n', target('production')]);
    await page.locator('.app-header').getByText('OutOfSync', { exact: true }).waitFor({ timeout: 60_000 });
    await treeNode('Deployment', 'myapp').and(page.locator('.tree-node--outofsync')).waitFor();
    await treeNode('Deployment', 'myapp').click();
    const panel = page.getByRole('complementary', { name: 'Details of Deployment myapp' });
    await panel.waitFor();
    await panel.getByRole('tab', { name: /Diff/ }).click();
    await panel.locator('.diff__line--del', { hasText: 'replicas: 2' }).waitFor();
    await panel.locator('.diff__line--add', { hasText: 'replicas: 5' }).waitFor();
    expect(await page.evaluate('window.marker')).toBe(42);
    await screenshot(page, 'resource-panel-diff');
    await panel.getByRole('tab', { name: 'Live manifest' }).click();
    await panel.getByText('replicas: 2').first().waitFor();
    await panel.getByRole('tab', { name: 'Desired manifest' }).click();
    await panel.getByText('registry.example.com/myapp:v1.4.2').waitFor();
    await panel.getByRole('tab', { name: 'Summary' }).click();
    await panel.getByText('OutOfSync').first().waitFor();
    // The Deployment's own events, from the cluster's deployment controller.
    await panel.getByRole('tab', { name: 'Events' }).click();
    await panel.getByRole('cell', { name: 'ScalingReplicaSet' }).first().waitFor();

    await page.getByRole('button', { name: '⟳ Sync' }).click();
    const dialog = page.getByRole('dialog', { name: `Sync ${prod}` });
    await dialog.getByRole('button', { name: 'Synchronize' }).click();
    await dialog
      .locator('.operation__head')
      .getByText('Succeeded', { exact: true })
      .waitFor({ timeout: 90_000 });
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await page.locator('.app-header').getByText('Synced', { exact: true }).waitFor({ timeout: 60_000 });
    await panel.getByRole('tab', { name: /Diff/ }).click();
    await panel.getByText('No differences').waitFor();
    expect((await deployment()).spec?.replicas).toBe(5);
    expect(await page.evaluate('window.marker')).toBe(42);
    await panel.getByRole('button', { name: 'Close details' }).click();
  });

  it('deploys a new commit after Refresh and Sync, and rolls back to the first revision from the history', async () => {
    firstRevision = (await waitForApp(cp_.name, prod, 'synced', (a) => a.status?.sync?.status === 'Synced'))
      .status!.sync!.revision!;
    const file = 'overlays/production/kustomization.yaml';
    await work.writeFile(file, (await readFile(join(work.dir, file), 'utf8')).replace('v1.4.2', 'v1.4.3'));
    const newRevision = await work.commit('Deploy myapp v1.4.3');
    await work.push();
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.locator('.app-header').getByText('OutOfSync', { exact: true }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: '⟳ Sync' }).click();
    const dialog = page.getByRole('dialog', { name: `Sync ${prod}` });
    await dialog.getByRole('button', { name: 'Synchronize' }).click();
    await dialog
      .locator('.operation__head')
      .getByText('Succeeded', { exact: true })
      .waitFor({ timeout: 90_000 });
    await page.keyboard.press('Escape');
    await waitFor(
      'v1.4.3 deployed',
      async () =>
        (await deployment()).spec?.template.spec?.containers[0]?.image ===
        'registry.example.com/myapp:v1.4.3',
    );

    await page.getByRole('button', { name: 'History & rollback' }).click();
    const history = page.getByRole('dialog', { name: `History of ${prod}` });
    await history.getByText(newRevision.slice(0, 7)).waitFor();
    const firstRow = history
      .getByRole('row')
      .filter({ hasText: firstRevision.slice(0, 7) })
      .first();
    await firstRow.getByRole('button', { name: /^Rollback to/ }).waitFor();
    await screenshot(page, 'history');
    await firstRow.getByRole('button', { name: /^Rollback to/ }).click();
    await history.getByRole('button', { name: /^Confirm rollback/ }).click();
    await history
      .locator('.operation__head')
      .getByText('Succeeded', { exact: true })
      .waitFor({ timeout: 90_000 });
    await history.locator('.operation__head').getByText(firstRevision.slice(0, 7)).waitFor();
    await screenshot(page, 'history-rolled-back');
    await waitFor(
      'v1.4.2 back',
      async () =>
        (await deployment()).spec?.template.spec?.containers[0]?.image ===
        'registry.example.com/myapp:v1.4.2',
    );
    await page.keyboard.press('Escape');
    // Rollback turns automated sync off and leaves the app behind main: the header says so.
    await page.locator('.app-header').getByText('OutOfSync', { exact: true }).waitFor({ timeout: 60_000 });
    // The header tells the deployed revision (the first) from the one Git's main has now.
    const fact = (name: string) => page.locator('.app-header__facts > div', { hasText: name }).locator('dd');
    await fact('Deployed').getByText(firstRevision.slice(0, 7)).waitFor();
    await fact('Git revision').getByText(newRevision.slice(0, 7)).waitFor();
    await fact('Sync policy').getByText('Manual').waitFor();
  });

  it('creates an app from the form (refusing a bad name, then a bad YAML, readably) and deletes it', async () => {
    const extra = appName('extra');
    await page.getByRole('link', { name: 'Applications', exact: true }).click();
    await page.getByRole('button', { name: '+ New app' }).click();
    const dialog = page.getByRole('dialog', { name: 'New application' });
    await dialog.getByLabel('Application name', { exact: true }).fill('Not_A_Name');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByText('Lowercase letters, digits').waitFor();
    await dialog.getByText('A repository URL is required.').waitFor();
    await dialog.getByRole('button', { name: 'YAML' }).click();
    await dialog.getByLabel('Application manifest (YAML)').fill('kind: Deployment\nmetadata: {name: x}\n');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').getByText('Expected kind: Application, got kind: Deployment.').waitFor();
    await dialog.getByRole('button', { name: 'Form' }).click();
    await dialog.getByLabel('Application name', { exact: true }).fill(extra);
    await dialog.getByLabel('Repository URL').fill(repoURL);
    await dialog.getByLabel('Path', { exact: true }).fill('overlays/development');
    await dialog.getByLabel('Revision', { exact: true }).fill('main');
    await dialog.getByLabel('Destination namespace').fill(target('extra'));
    await dialog.getByLabel('Application namespace').fill(cp_.name);
    await screenshot(page, 'new-app-form');
    await dialog.getByRole('button', { name: 'Create' }).click();
    // The new app's page opens with its tree (manual sync: Mooring only compares; the development
    // app owns what it finds, so it is OutOfSync here).
    await page.getByRole('heading', { name: extra, level: 1 }).waitFor();
    await page.locator('.app-header').getByText('OutOfSync', { exact: true }).waitFor({ timeout: 60_000 });
    await treeNode('Deployment', 'myapp').waitFor();
    const created = JSON.parse(
      await kubectl(['get', 'application', extra, '-n', cp_.name, '-o', 'json']),
    ) as Application;
    expect(created.spec.source).toEqual({ repoURL, path: 'overlays/development', targetRevision: 'main' });
    expect(created.spec.syncPolicy).toBeUndefined();

    await page.getByRole('button', { name: 'Delete' }).click();
    const del = page.getByRole('dialog', { name: `Delete ${extra}` });
    const confirm = del.getByRole('button', { name: 'Delete' });
    expect(await confirm.isDisabled()).toBe(true);
    // Its objects belong to the development app: delete the Application only.
    await del.getByRole('checkbox', { name: /cascade/ }).uncheck();
    await del.getByLabel(/to confirm/).fill(extra);
    await confirm.click();
    await page.getByRole('heading', { name: 'Applications' }).waitFor();
    await waitFor('the app gone', async () =>
      (await kubectl(['get', 'applications', '-n', cp_.name, '-o', 'name'])).includes(`/${extra}\n`)
        ? false
        : true,
    );
    await waitFor('its tile gone', async () => (await page.locator('.tile').count()) === 3);
  });

  it('sends the user to the login page with the reason when the session is revoked, and back after login', async () => {
    await page.goto(`${server.url}/#/applications/${cp_.name}/${prod}`);
    await page.getByRole('heading', { name: prod, level: 1 }).waitFor();
    const token = (await page.context().cookies()).find((c) => c.name === 'argocd.token')?.value;
    expect(token).toBeTruthy();
    // Revoked from elsewhere (another tab's logout): the page's next request or the stream gets a 401.
    const res = await fetch(`${server.url}/api/v1/session`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const message = page.locator('#login-message');
    await message.waitFor();
    expect((await message.textContent())?.length).toBeGreaterThan(5);
    await screenshot(page, 'login-session-ended');
    await page.getByLabel('Password').fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the user was.
    await page.getByRole('heading', { name: prod, level: 1 }).waitFor();
  });

  it('logs out, and a link opened logged out goes through the login page', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByText('You have logged out.').waitFor();
    await page.goto(`${server.url}/#/applications/${cp_.name}/${prod}`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(decodeURIComponent(page.url())).toContain(`next=#/applications/${cp_.name}/${prod}`);
  });
});
