// Takes the README's screenshots of the three pages (web client, master dashboard, node page)
// against a small in-process cluster: `npx tsx test/browser/screenshots.ts`.

import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytes, collect, randomData, startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumAvailable, launchChromium } from './support/chromium.js';
import { throttleUpload } from './support/pages.js';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');
const ASSETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/web/assets');
const VIEWPORT = { width: 1000, height: 650 };
// The dashboard and node pages are taller: their charts come below the tables.
const TALL = { width: 1000, height: 1250 };

/** Uploads and reads files of mixed sizes until `until` (ms), so that the charts have something to show. */
async function traffic(cluster: TestCluster, until: number): Promise<void> {
  for (let i = 0; Date.now() < until; i++) {
    const size = 50_000 + ((i * 7919) % 900_000);
    await cluster.sdk.upload(bytes(randomData(size)), `/activity/${i % 40}.bin`);
    if (i % 2 === 1) await collect(cluster.sdk.download(`/activity/${Math.floor(i / 2) % 40}.bin`));
    await new Promise((resolve) => setTimeout(resolve, 40 + ((i * 37) % 120)));
  }
}

async function main(): Promise<void> {
  if (!chromiumAvailable()) process.exit(1);
  await fs.mkdir(OUT, { recursive: true });
  // A sample every second: a minute of chart in a minute.
  const cluster = await startCluster({ nodes: 3, webClient: true, chunkSize: '256KiB', seriesStep: 1 });
  const browser = await launchChromium();
  try {
    const files: [string, number][] = [
      ['/photos/2024/lake.jpg', 3_400_000],
      ['/photos/2024/summit.jpg', 2_900_000],
      ['/reports/q3-results.pdf', 812_000],
      ['/reports/Übersicht Grüße.txt', 2_400],
      ['/notes.md', 5_120],
      ['/backup-2024-11-02.tar.gz', 7_800_000],
      ['/README.txt', 980],
    ];
    for (const [file, size] of files) await cluster.sdk.upload(bytes(randomData(size)), file);
    await cluster.sdk.mkdir('/inbox');
    const client = cluster.client;
    if (!client) throw new Error('the web client did not start');
    const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light' });
    const page = await context.newPage();

    await page.goto(`${client.url}/`);
    await page.locator('#files tbody tr.file').first().waitFor();
    // Show an upload in flight: throttle the page's upload link and pick a file.
    await throttleUpload(page, 1024 * 1024);
    await page.setInputFiles('#picker', {
      name: 'holiday-video.mp4',
      mimeType: 'video/mp4',
      buffer: randomData(24 * 1024 * 1024),
    });
    const state = page.locator('#transfers .state');
    await state.filter({ hasText: /^[1-9][\d.]* MiB of .*\/s$/ }).waitFor();
    await page.screenshot({ path: path.join(OUT, 'client.png') });
    await page.locator('#transfers button', { hasText: 'Cancel' }).click();
    await state.filter({ hasText: 'cancelled' }).waitFor();

    await traffic(cluster, Date.now() + 45_000);
    await waitFor(async () => (await cluster.sdk.status()).chunks > 0, 'chunk health to be counted');
    await page.setViewportSize(TALL);
    await page.goto(`${cluster.master.url}/`);
    await page.locator('#file-results li').first().waitFor();
    await page.locator('figure[data-chart="fsync"][data-points]').waitFor();
    await page.screenshot({ path: path.join(OUT, 'dashboard.png') });

    const node = cluster.nodes[0];
    if (!node) throw new Error('no node');
    // Until the node daemon serves /assets/ itself, hand its page the same files from the repo.
    await page.route(`${node.url}/assets/*`, async (route) => {
      const upstream = await route.fetch();
      if (upstream.ok()) return route.fulfill({ response: upstream });
      console.warn(`WARNING: ${node.url} does not serve ${new URL(route.request().url()).pathname}`);
      return route.fulfill({
        path: path.join(ASSETS, path.basename(new URL(route.request().url()).pathname)),
      });
    });
    await page.goto(`${node.url}/`);
    await page.locator('#node-status').waitFor();
    await page.locator('figure[data-chart="scrub"][data-points]').waitFor();
    await page.screenshot({ path: path.join(OUT, 'node.png') });
    for (const name of ['client.png', 'dashboard.png', 'node.png']) {
      const { size } = await fs.stat(path.join(OUT, name));
      console.log(`${path.join('docs/screenshots', name)}: ${Math.round(size / 1024)} KiB`);
    }
  } finally {
    await browser.close();
    await cluster.close();
  }
}

await main();
