// The charts of the master dashboard and of a node's page in Chromium, after traffic: every chart
// drawn with non-empty series, a cursor that reads values, dark mode and a phone's width, a scrub
// pass's progress, and a locked dashboard that asks for the token first. No console errors.

import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { bytes, randomData, startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumAvailable, launchChromium } from './support/chromium.js';
import { expectNoErrors, failedLoad, openPage } from './support/pages.js';

const MASTER_CHARTS = ['throughput', 'operations', 'repair', 'disk', 'fsync'];
const NODE_CHARTS = ['throughput', 'operations', 'latency', 'scrub'];

/** Waits until chart `id` is drawn with at least one sample; returns how many. */
async function drawn(page: Page, id: string): Promise<number> {
  const figure = page.locator(`figure[data-chart="${id}"]`);
  // Polled from here: a function evaluated in the page would need 'unsafe-eval', which the CSP forbids.
  return waitFor(
    async () => Number(await figure.getAttribute('data-points', { timeout: 1000 })),
    `chart ${id}`,
  );
}

async function traffic(cluster: TestCluster, files: number, prefix: string): Promise<void> {
  for (let i = 0; i < files; i++) await cluster.sdk.upload(bytes(randomData(150_000)), `/${prefix}/${i}.bin`);
}

describe('charts on the dashboard and the node pages, in a browser', () => {
  let cluster: TestCluster;
  let browser: Browser;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    [cluster, browser] = await Promise.all([startCluster({ nodes: 3, seriesStep: 0.2 }), launchChromium()]);
    await traffic(cluster, 10, 'before');
  });
  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('draws every dashboard chart, with lines after traffic', async () => {
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/`);
    await traffic(cluster, 5, 'during');
    for (const id of MASTER_CHARTS) expect(await drawn(page, id), id).to.be.greaterThan(0);
    const figures = page.locator('figure.chart');
    const ids: (string | null)[] = [];
    for (let i = 0; i < (await figures.count()); i++)
      ids.push(await figures.nth(i).getAttribute('data-chart'));
    expect(ids).to.deep.equal(MASTER_CHARTS);
    const throughput = page.locator('figure[data-chart="throughput"]');
    expect(await throughput.locator('figcaption').textContent()).to.contain('Cluster throughput');
    expect(await throughput.locator('.legend li').allTextContents()).to.have.length(2);
    // A drawn line, and axis labels in the chart's unit.
    expect(await throughput.locator('path.line, circle.dot').count()).to.be.greaterThan(0);
    expect(await throughput.locator('text.axis').allTextContents()).to.include('0 B/s');
    // One line per node on the per-node charts.
    expect(await page.locator('figure[data-chart="disk"] .legend li').count()).to.equal(3);
    expectNoErrors(errors);
    await close();
  });

  it('shows the values under the pointer', async () => {
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/`);
    await drawn(page, 'operations');
    const chart = page.locator('figure[data-chart="operations"]');
    await chart.scrollIntoViewIfNeeded();
    // Polled: every refresh draws the chart anew, and a box asked of the drawing it replaces is none.
    const box = await waitFor(() => chart.locator('rect.catcher').boundingBox(), 'the plot area');
    if (!box) throw new Error('no plot area'); // (for the type: waitFor returns only a box)
    // Pointer moves reach the page with its next frame, which a busy machine may draw after
    // Playwright has moved on: what they change is waited for.
    const when = async (pattern: RegExp) =>
      pattern.test((await chart.locator('.chart-when').textContent()) ?? '');
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 2 });
    await waitFor(() => when(/^at /), 'the values at the pointer');
    const catcher = chart.locator('rect.catcher');
    const middle = Number(await catcher.getAttribute('x')) + Number(await catcher.getAttribute('width')) / 2;
    expect(Number(await chart.locator('line.cursor').getAttribute('x1'))).to.be.greaterThan(middle);
    await page.mouse.move(0, 0);
    await waitFor(() => when(/^last /), 'the latest values once the pointer left');
    expectNoErrors(errors);
    await close();
  });

  it('fits a phone in dark mode', async () => {
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/`, {
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
      isMobile: true,
      hasTouch: true,
    });
    for (const id of MASTER_CHARTS) await drawn(page, id);
    const figures = page.locator('figure.chart');
    for (let i = 0; i < (await figures.count()); i++) {
      const box = await figures.nth(i).boundingBox();
      expect(box && box.x + box.width, MASTER_CHARTS[i]).to.be.within(200, 390);
    }
    // Polled: every refresh draws the chart anew, and a box asked of the drawing it replaces is none.
    const width = await waitFor(
      async () => (await page.locator('figure[data-chart="throughput"] svg').boundingBox())?.width,
      'the throughput chart to be laid out',
    );
    expect(width).to.be.within(200, 390);
    // The dark palette: light lines on a dark card.
    const stroke = await page.evaluate(
      `getComputedStyle(document.querySelector('figure[data-chart="throughput"] .line.c0')).stroke`,
    );
    expect(stroke).to.equal('rgb(96, 165, 250)');
    // Turned sideways: the chart is drawn again at the new width.
    await page.setViewportSize({ width: 844, height: 390 });
    await waitFor(
      async () =>
        Number(await page.locator('figure[data-chart="throughput"] svg').getAttribute('width')) > 390,
      'the chart to be redrawn wider',
    );
    expectNoErrors(errors);
    await close();
  });

  it("draws a node's own charts and shows a scrub pass in progress", async () => {
    const node = cluster.nodes[0];
    if (!node) throw new Error('no node');
    const { page, errors, close } = await openPage(browser, `${node.url}/`);
    await traffic(cluster, 5, 'node-page');
    for (const id of NODE_CHARTS) await page.locator(`figure[data-chart="${id}"]`).waitFor();
    expect(await drawn(page, 'throughput')).to.be.greaterThan(0);
    expect(await drawn(page, 'latency')).to.be.greaterThan(0);
    const legend = await page.locator('figure[data-chart="latency"] .legend').textContent();
    expect(legend).to.match(/write.*read.*fsync/);
    // The scrubber is off in this cluster: a pass is set under way by hand and the page follows.
    node.state.scrub = { running: true, finished: 0, checked: 4, corrupt: 0, total: 10 };
    await page.locator('#scrub-progress').waitFor({ timeout: 10_000 });
    expect(await page.locator('#scrub-progress').getAttribute('value')).to.equal('4');
    expect(await page.locator('#scrub-progress').getAttribute('max')).to.equal('10');
    expect(await page.locator('#scrub-state').textContent()).to.contain('4 of 10 chunks checked');
    // The refresh swaps the status, never the charts.
    expect(await drawn(page, 'throughput')).to.be.greaterThan(0);
    node.state.scrub = undefined;
    expectNoErrors(errors);
    await close();
  });
});

describe('charts on a dashboard with an access token, in a browser', () => {
  let cluster: TestCluster;
  let browser: Browser;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    [cluster, browser] = await Promise.all([
      startCluster({ token: 'chart-token', seriesStep: 0.2 }),
      launchChromium(),
    ]);
    await traffic(cluster, 3, 'locked');
  });
  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('asks for the token, then draws the charts', async () => {
    const { page, errors, close } = await openPage(browser, `${cluster.master.url}/`);
    await page.locator('.chart-note', { hasText: 'need the access token' }).waitFor();
    expect(await page.locator('figure.chart').count()).to.equal(0);
    await page.locator('#dash-token').fill('chart-token');
    await page.locator('#dash-login button').click();
    expect(await drawn(page, 'throughput')).to.be.greaterThan(0);
    expectNoErrors(errors, [failedLoad(401)]);
    await close();
  });
});
