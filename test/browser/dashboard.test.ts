// The master's dashboard, a file's chunk map and a node's page in Chromium: every node listed,
// a stopped node shown dead without a reload, no console errors.

import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { bytes, startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumAvailable, launchChromium } from './support/chromium.js';
import { expectNoErrors, failedLoad, openPage } from './support/pages.js';

describe('master dashboard and node pages in a browser', () => {
  let cluster: TestCluster;
  let browser: Browser;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    [cluster, browser] = await Promise.all([
      // A timeout a loaded machine's scheduler cannot trip (a false death would add a third copy).
      startCluster({ nodes: 3, heartbeatTimeout: 5, chunkSize: '64KiB' }),
      launchChromium(),
    ]);
    await cluster.sdk.upload(bytes(Buffer.alloc(150_000, 7)), '/reports/q3 <b>final</b>.bin');
  });
  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('lists every node as alive, with totals and recent events', async () => {
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/`);
    for (const node of cluster.nodes) {
      const line = page.locator(`#nodes tr[data-node="${node.id}"]`);
      expect(await line.locator('a').first().textContent()).to.equal(node.url);
      expect(await line.locator('.badge').first().textContent()).to.equal('alive');
    }
    expect(await page.locator('#nodes tbody tr').count()).to.equal(3);
    expect(await page.locator('#totals').textContent()).to.contain('3 of 3');
    expect(await page.locator('#events').textContent()).to.contain('joined');
    expectNoErrors(errors);
    await close();
  });

  it('finds a file and opens its chunk map', async () => {
    const path = '/reports/q3 <b>final</b>.bin';
    // A pipeline retried on a busy machine may leave a third copy until the master trims it.
    await waitFor(
      async () => (await cluster.sdk.stat(path)).chunks.every((c) => c.replicas.length === 2),
      'every chunk of the file at 2 copies',
    );
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/`);
    const link = page.locator('#file-results a', { hasText: path });
    await link.waitFor();
    expect(await page.locator('#file-results b').count()).to.equal(0);
    await page.locator('#file-query').fill('/reports/q3');
    await page.locator('#file-query').press('Enter');
    await page.waitForURL(/\/files\/reports\//);
    expect(await page.locator('main h2').first().textContent()).to.equal(path);
    expect(await page.locator('#chunks tbody tr').count()).to.equal(3);
    // Every chunk names the nodes holding it, and each replica links to its node's page.
    const replicas = await page.locator('#chunks tbody tr').first().locator('a.badge').allTextContents();
    expect(replicas).to.have.length(2);
    for (const url of replicas) expect(cluster.nodes.map((n) => n.url)).to.include(url);
    expectNoErrors(errors);
    await close();
  });

  it("says so when an open chunk map's file is deleted", async () => {
    await cluster.sdk.upload(bytes('short-lived'), '/gone/soon.txt');
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/files/gone/soon.txt`);
    expect(await page.locator('main h2').first().textContent()).to.equal('/gone/soon.txt');
    await cluster.sdk.remove('/gone/soon.txt');
    await page.locator('main h2', { hasText: '404' }).waitFor();
    expect(await page.locator('main').textContent()).to.contain('not found: /gone/soon.txt');
    expect(await page.locator('body').getAttribute('data-stale')).to.equal(null);
    expectNoErrors(errors, [failedLoad(404)]);
    await close();
  });

  it('finds a file past the first thousand of a folder', async () => {
    await cluster.sdk.upload(bytes('many'), '/many/seed.txt');
    // Copies move no bytes: 1,500 files in a moment.
    for (let i = 0; i < 1500; i += 100)
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          cluster.sdk.copy('/many/seed.txt', `/many/f${String(i + j).padStart(4, '0')}.txt`),
        ),
      );
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/`);
    await page.locator('#file-query').fill('/many/f1499');
    await page.locator('#file-results a', { hasText: '/many/f1499.txt' }).waitFor();
    expectNoErrors(errors);
    await close();
  });

  it("shows a node's own page: id, master, chunks, disk", async () => {
    const node = cluster.nodes[0];
    if (!node) throw new Error('no node');
    const { page, close } = await openPage(browser, `${node.url}/`);
    const table = page.locator('#node-status');
    expect(await table.textContent()).to.contain(node.id);
    expect(await table.locator('a').textContent()).to.equal(cluster.master.url);
    expect(await page.locator('#registration').textContent()).to.equal('registered');
    expect(await page.locator('main .cards').textContent()).to.match(/Chunks\s*\d+/);
    await close();
  });

  it("loads the node page's stylesheet and script without a console error", async () => {
    const node = cluster.nodes[0];
    if (!node) throw new Error('no node');
    const served = await fetch(`${node.url}/assets/style.css`);
    expect(served.status, 'the node daemon serves /assets/ (assets() middleware in its app)').to.equal(200);
    const { page, errors, close } = await openPage(browser, `${node.url}/`);
    // A styled page: the header bar is a flex row, not a plain block.
    expect(await page.evaluate("getComputedStyle(document.querySelector('header.bar')).display")).to.equal(
      'flex',
    );
    expectNoErrors(errors);
    await close();
  });

  it('shows a stopped node as dead without a reload', async () => {
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/`);
    const victim = cluster.nodes[2];
    if (!victim) throw new Error('no node');
    await page.locator(`#nodes tr[data-node="${victim.id}"] .badge.alive`).waitFor();
    await victim.close();
    await page.locator(`#nodes tr[data-node="${victim.id}"] .badge.dead`).waitFor({ timeout: 15_000 });
    expect(await page.locator('#health').textContent()).to.equal('degraded');
    expect(await page.locator('#totals').textContent()).to.contain('2 of 3');
    await page.locator('#events li', { hasText: 'lost' }).first().waitFor();
    for (const node of cluster.nodes.slice(0, 2)) {
      expect(await page.locator(`#nodes tr[data-node="${node.id}"] .badge`).first().textContent()).to.equal(
        'alive',
      );
    }
    expectNoErrors(errors);
    await close();
  });
});

describe('master dashboard with an access token, in a browser', () => {
  let cluster: TestCluster;
  let browser: Browser;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    [cluster, browser] = await Promise.all([startCluster({ token: 'dash-secret-token' }), launchChromium()]);
    await cluster.sdk.upload(bytes('locked away'), '/vault/plan.txt');
  });
  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('asks for the token once, then finds files and opens their chunk maps', async () => {
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/`);
    await page.locator('#dash-token').fill('wrong');
    await page.locator('#dash-login button').click();
    await page.locator('#file-note', { hasText: 'Wrong access token.' }).waitFor();
    await page.locator('#dash-token').fill('dash-secret-token');
    await page.locator('#dash-login button').click();
    await page.locator('#file-results a', { hasText: '/vault/plan.txt' }).waitFor();
    expect(await page.locator('#dash-login').count()).to.equal(0);
    await page.locator('#file-results a', { hasText: '/vault/plan.txt' }).click();
    await page.waitForURL(/\/files\/vault\/plan\.txt$/);
    expect(await page.locator('#chunks tbody tr').count()).to.equal(1);
    // Signing out locks the finder again.
    await page.goto(`${cluster.master.url}/`);
    await page.locator('#dash-sign-out').click();
    await page.locator('#dash-token').waitFor();
    expect(await page.locator('#dash-sign-out').count()).to.equal(0);
    expectNoErrors(errors, [failedLoad(401)]);
    await close();
  });
});
