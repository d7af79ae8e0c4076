// The web client's file browser in Chromium: upload by picker and by drop, download, delete,
// progress and cancel, non-ASCII and markup names, errors shown in words.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { bytes, collect, sha256 as sha, startCluster, type TestCluster } from '../helpers/cluster.js';
import { forgetLeases } from '../helpers/forget-leases.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumAvailable, launchChromium } from './support/chromium.js';
import { expectNoErrors, failedLoad, listed, openPage, row, throttleUpload } from './support/pages.js';

/** Downloads `path` by clicking its row's link; returns the suggested name and the bytes. */
async function downloadRow(page: Page, path: string): Promise<{ name: string; data: Buffer }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row(page, path).locator('a.download').click(),
  ]);
  const file = await download.path();
  return { name: download.suggestedFilename(), data: await fs.readFile(file) };
}

describe('web client in a browser: transfers', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let base: string;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    [cluster, browser] = await Promise.all([
      startCluster({ nodes: 2, webClient: true, chunkSize: '64KiB', maxFileSize: '1MiB' }),
      launchChromium(),
    ]);
    base = `${cluster.client?.url}/`;
  });
  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('uploads through the picker, lists the file with its health, downloads the same bytes, deletes it', async () => {
    const { page, errors, close } = await openPage(browser, base);
    await listed(page, '/');
    const data = randomBytes(200_000); // several 64 KiB chunks
    await page.setInputFiles('#picker', {
      name: 'picked.bin',
      mimeType: 'application/octet-stream',
      buffer: data,
    });
    const line = row(page, '/picked.bin');
    await line.waitFor();
    expect(await line.locator('td.num').textContent()).to.equal('195 KiB');
    expect(await line.locator('.badge').textContent()).to.equal('2/2');
    expect(sha(await collect(cluster.sdk.download('/picked.bin')))).to.equal(sha(data));

    const download = await downloadRow(page, '/picked.bin');
    expect(download.name).to.equal('picked.bin');
    expect(download.data.equals(data)).to.equal(true);

    await line.locator('button.delete').click();
    await page.locator('#ask[open]').waitFor();
    expect(await page.locator('#ask-text').textContent()).to.contain('picked.bin');
    await page.locator('#ask-ok').click();
    await line.waitFor({ state: 'detached' });
    await page.getByText('Deleted picked.bin.').waitFor();
    const listing = await cluster.sdk.list('/', { delimiter: true });
    expect(listing.entries.map((e) => e.path)).not.to.include('/picked.bin');
    expectNoErrors(errors);
    await close();
  });

  it('keeps a file when the delete is cancelled', async () => {
    await cluster.sdk.upload(bytes(Buffer.from('keep me')), '/keep.txt');
    const { page, errors, close } = await openPage(browser, base);
    await row(page, '/keep.txt').locator('button.delete').click();
    await page.locator('#ask-cancel').click();
    await page.locator('#ask').waitFor({ state: 'hidden' });
    expect(await row(page, '/keep.txt').count()).to.equal(1);
    expect((await cluster.sdk.stat('/keep.txt')).size).to.equal(7);
    expectNoErrors(errors);
    await close();
  });

  it('uploads several files dropped on the page at once', async () => {
    const { page, errors, close } = await openPage(browser, base);
    await listed(page, '/');
    const files = [
      { name: 'dropped-1.txt', content: 'the first dropped file\n'.repeat(4000) },
      { name: 'dropped-2.txt', content: 'the second one' },
    ];
    const dataTransfer = await page.evaluateHandle(`(() => {
      const dt = new DataTransfer();
      for (const f of ${JSON.stringify(files)}) dt.items.add(new File([f.content], f.name, { type: 'text/plain' }));
      return dt;
    })()`);
    await page.locator('#drop').dispatchEvent('dragenter', { dataTransfer });
    expect(await page.locator('#drop').getAttribute('class')).to.contain('active');
    await page.locator('#drop').dispatchEvent('drop', { dataTransfer });
    for (const f of files) await row(page, `/${f.name}`).waitFor();
    expect(await page.locator('#drop').getAttribute('class')).not.to.contain('active');
    for (const f of files) {
      expect((await collect(cluster.sdk.download(`/${f.name}`))).toString()).to.equal(f.content);
    }
    expectNoErrors(errors);
    await close();
  });

  it('round-trips a non-ASCII name through upload, listing and download', async () => {
    const name = 'Grüße 日本.txt';
    const data = Buffer.from('Unicode content: ü ß 日本\n');
    const { page, errors, close } = await openPage(browser, base);
    await listed(page, '/');
    await page.setInputFiles('#picker', { name, mimeType: 'text/plain', buffer: data });
    await row(page, `/${name}`).waitFor();
    expect(await row(page, `/${name}`).locator('a.download').textContent()).to.equal(name);
    expect((await cluster.sdk.stat(`/${name}`)).size).to.equal(data.length);
    const download = await downloadRow(page, `/${name}`);
    expect(download.name).to.equal(name);
    expect(download.data.equals(data)).to.equal(true);
    expectNoErrors(errors);
    await close();
  });

  it('shows a markup file name as text: no element is made of it and no script runs', async () => {
    const name = '<img src=x onerror=alert(1)>.txt';
    await cluster.sdk.upload(bytes(Buffer.from('harmless')), `/${name}`);
    const { page, errors, close } = await openPage(browser, base);
    const dialogs: string[] = [];
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    const line = row(page, `/${name}`);
    await line.waitFor();
    expect(await line.locator('a.download').textContent()).to.equal(name);
    expect(await page.locator('#files img').count()).to.equal(0);
    // The name also reaches the move dialog and the messages: still text.
    await line.locator('button.move').click();
    expect(await page.locator('#ask-text').textContent()).to.contain(name);
    expect(await page.locator('#ask-input').inputValue()).to.equal(`/${name}`);
    await page.locator('#ask-cancel').click();
    const download = await downloadRow(page, `/${name}`);
    expect(download.data.toString()).to.equal('harmless');
    expect(await page.locator('img').count()).to.equal(0);
    expect(dialogs).to.deep.equal([]);
    expectNoErrors(errors);
    await close();
  });

  it('shows the progress of an upload (bytes, rate) and cancels it', async () => {
    const { page, errors, close } = await openPage(browser, base);
    await listed(page, '/');
    // Throttle the page's upload so that the transfer is still running when we look at it.
    await throttleUpload(page, 128 * 1024);
    await page.setInputFiles('#picker', {
      name: 'slow.bin',
      mimeType: 'application/octet-stream',
      buffer: randomBytes(900 * 1024),
    });
    const transfer = page.locator('#transfers li', { hasText: '/slow.bin' });
    await waitFor(
      async () => Number(await transfer.locator('progress').getAttribute('value')) > 0,
      'the upload to make progress',
    );
    await transfer.locator('.state', { hasText: /of 900 KiB · [\d.]+ (B|KiB|MiB)\/s/ }).waitFor();
    expect(Number(await transfer.locator('progress').getAttribute('max'))).to.equal(900 * 1024);
    await transfer.getByRole('button', { name: 'Cancel' }).click();
    await transfer.locator('.state', { hasText: 'cancelled' }).waitFor();
    await throttleUpload(page, -1);
    // A later upload through the same page still works, and the cancelled one never committed.
    await page.setInputFiles('#picker', {
      name: 'after.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('after'),
    });
    await row(page, '/after.txt').waitFor();
    const listing = await cluster.sdk.list('/', { delimiter: true });
    expect(listing.entries.map((e) => e.path)).not.to.include('/slow.bin');
    expectNoErrors(errors);
    await close();
  });

  it('refuses a file over the cluster limit before sending it, and says why', async () => {
    const { page, errors, close } = await openPage(browser, base);
    await listed(page, '/');
    await page.setInputFiles('#picker', {
      name: 'huge.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(1024 * 1024 + 1),
    });
    const failed = page.locator('#transfers li.failed', {
      hasText: "larger than the cluster's limit of 1.0 MiB",
    });
    await failed.waitFor();
    // Its bar is a failure's, not a finished upload's.
    expect(await failed.locator('progress').getAttribute('class')).to.equal('bad');
    expectNoErrors(errors);
    await close();
  });

  // Uploads a file through the picker while the master's store forgets `times` leases: the web
  // client answers each attempt whose lease was forgotten 503.
  // The page's PUT lost `times` times over (the web client itself commits each again with its
  // chunks pinned again, then sends a small one again: four leases lost per PUT).
  async function uploadLost(times: number, name: string) {
    const opened = await openPage(browser, base);
    await listed(opened.page, '/');
    const lost = forgetLeases(cluster.master.store, 4 * times);
    const data = randomBytes(3000);
    await opened.page.setInputFiles('#picker', { name, mimeType: 'application/octet-stream', buffer: data });
    return { ...opened, lost, data };
  }

  it('tries an upload the cluster lost again by itself, twice', async () => {
    const { page, errors, close, lost, data } = await uploadLost(2, 'lost.bin');
    await page.locator('#transfers li.done', { hasText: 'uploaded' }).waitFor();
    expect(lost.left()).to.equal(0);
    expect(sha(await collect(cluster.sdk.download('/lost.bin')))).to.equal(sha(data));
    expectNoErrors(errors, [failedLoad(503)]);
    await close();
  });

  it('fails an upload lost three times, and tries it again when asked', async () => {
    const { page, errors, close, lost, data } = await uploadLost(3, 'lost3.bin');
    const failed = page.locator('#transfers li.failed', { hasText: 'upload the file again' });
    await failed.waitFor();
    expect(lost.left()).to.equal(0);
    await failed.getByRole('button', { name: 'Try again' }).click();
    await page.locator('#transfers li.done', { hasText: 'uploaded' }).waitFor();
    expect(sha(await collect(cluster.sdk.download('/lost3.bin')))).to.equal(sha(data));
    expectNoErrors(errors, [failedLoad(503)]);
    await close();
  });

  it('shows an API error in words (a refused name)', async () => {
    await cluster.sdk.upload(bytes(Buffer.from('x')), '/taken/a.txt');
    await cluster.sdk.upload(bytes(Buffer.from('y')), '/taken/b.txt');
    const { page, errors, close } = await openPage(browser, `${base}#/taken/`);
    await row(page, '/taken/a.txt').locator('button.move').click();
    await page.locator('#ask-input').fill('b.txt');
    await page.locator('#ask-ok').click();
    await page
      .locator('#message', { hasText: 'Could not move a.txt: /taken/b.txt already exists' })
      .waitFor();
    await page.locator('#new-folder').click();
    await page.locator('#ask-input').fill('..');
    await page.locator('#ask-ok').click();
    await page.locator('#message', { hasText: 'Could not create the folder ..: ' }).waitFor();
    expectNoErrors(errors, [failedLoad(409), failedLoad(400)]);
    await close();
  });
});
