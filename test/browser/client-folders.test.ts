// The web client's file browser in Chromium: folders with breadcrumbs and location.hash,
// move/rename, sorting, filtering, and a phone-sized screen.

import fs from 'node:fs/promises';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { bytes, startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { chromiumAvailable, launchChromium } from './support/chromium.js';
import { expectNoErrors, listed, openPage, row } from './support/pages.js';

/** The names in the listing, top to bottom. */
async function names(page: Page): Promise<string[]> {
  return page.locator('#files tbody td.name a').allTextContents();
}

describe('web client in a browser: folders', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let base: string;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    [cluster, browser] = await Promise.all([startCluster({ nodes: 2, webClient: true }), launchChromium()]);
    base = `${cluster.client?.url}/`;
  });
  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('creates a folder, opens it, and keeps the place in the URL across reload and back', async () => {
    const { page, errors, close } = await openPage(browser, base);
    await listed(page, '/');
    await page.locator('#new-folder').click();
    await page.locator('#ask-input').fill('Ordner ü');
    await page.locator('#ask-ok').click();
    await row(page, '/Ordner ü/').waitFor();
    await row(page, '/Ordner ü/').locator('a.folder').click();
    await listed(page, '/Ordner ü/');
    expect(new URL(page.url()).hash).to.equal(`#/${encodeURIComponent('Ordner ü')}/`);
    expect(await page.locator('#crumbs a').allTextContents()).to.deep.equal(['All files', 'Ordner ü']);
    expect(await page.locator('#files tbody').textContent()).to.contain('This folder is empty');

    // An upload goes into the open folder.
    await page.setInputFiles('#picker', {
      name: 'inside.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('in'),
    });
    await row(page, '/Ordner ü/inside.txt').waitFor();

    await page.reload();
    await listed(page, '/Ordner ü/');
    await row(page, '/Ordner ü/inside.txt').waitFor();
    await page.goBack();
    await listed(page, '/');
    await page.goForward();
    await listed(page, '/Ordner ü/');
    await page.locator('#crumbs a', { hasText: 'All files' }).click();
    await listed(page, '/');
    expectNoErrors(errors);
    await close();
  });

  it('renames a file and moves it into another folder', async () => {
    await cluster.sdk.upload(bytes('moving'), '/mv/a.txt');
    await cluster.sdk.mkdir('/mv/sub');
    const { page, errors, close } = await openPage(browser, `${base}#/mv/`);
    await row(page, '/mv/a.txt').locator('button.move').click();
    // The name without its extension is preselected, ready to be typed over.
    expect(await page.locator('#ask-input').inputValue()).to.equal('/mv/a.txt');
    await page.locator('#ask-input').fill('renamed.txt');
    await page.locator('#ask-ok').click();
    await row(page, '/mv/renamed.txt').waitFor();
    expect(await row(page, '/mv/a.txt').count()).to.equal(0);

    await row(page, '/mv/renamed.txt').locator('button.move').click();
    await page.locator('#ask-input').fill('/mv/sub/renamed.txt');
    await page.locator('#ask-input').press('Enter');
    await row(page, '/mv/renamed.txt').waitFor({ state: 'detached' });
    expect((await cluster.sdk.stat('/mv/sub/renamed.txt')).size).to.equal(6);
    // A path ending in / means "into that folder", under the same name.
    await cluster.sdk.upload(bytes('into'), '/mv/b.txt');
    await page.reload();
    await row(page, '/mv/b.txt').locator('button.move').click();
    await page.locator('#ask-input').fill('sub/');
    await page.locator('#ask-input').press('Enter');
    await row(page, '/mv/b.txt').waitFor({ state: 'detached' });
    expect((await cluster.sdk.stat('/mv/sub/b.txt')).size).to.equal(4);
    expectNoErrors(errors);
    await close();
  });

  it('deletes a folder and everything in it after confirmation', async () => {
    await cluster.sdk.mkdir('/gone/empty');
    await cluster.sdk.upload([Buffer.from('in it')], '/gone/deep/file.txt');
    const { page, errors, close } = await openPage(browser, base);
    await row(page, '/gone/').locator('button.delete').click();
    await page.locator('#ask', { hasText: '“gone” and everything in it' }).waitFor();
    await page.locator('#ask-ok').click();
    await row(page, '/gone/').waitFor({ state: 'detached' });
    const listing = await cluster.sdk.list('/', { delimiter: true });
    expect(listing.entries.map((e) => e.path)).not.to.include('/gone/');
    expectNoErrors(errors);
    await close();
  });

  it('says a file deleted by someone else meanwhile was already deleted', async () => {
    await cluster.sdk.upload([Buffer.from('twice')], '/twice/doomed.txt');
    const { page, errors, close } = await openPage(browser, `${base}#/twice/`);
    await row(page, '/twice/doomed.txt').waitFor();
    await cluster.sdk.remove('/twice/doomed.txt');
    // A confirmation fades after 4 s, which a loaded machine's test may take to look: every
    // message shown is recorded instead.
    await page.evaluate(`{
      const text = document.getElementById('message-text');
      window.seen = [];
      new MutationObserver(() => window.seen.push(text.textContent)).observe(text, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    }`);
    await row(page, '/twice/doomed.txt').locator('button.delete').click();
    await page.locator('#ask-ok').click();
    // (Polled from here: the page's Content-Security-Policy forbids a predicate evaluated in it.)
    await waitFor(
      async () =>
        ((await page.evaluate('window.seen')) as string[]).includes('doomed.txt was already deleted.'),
      'the confirmation to be shown',
    );
    await row(page, '/twice/doomed.txt').waitFor({ state: 'detached' });
    expectNoErrors(errors, [/Failed to load resource/]);
    await close();
  });

  it('sorts by a column header and filters by name', async () => {
    await cluster.sdk.upload(bytes('x'.repeat(300)), '/sort/b-medium.txt');
    await cluster.sdk.upload(bytes('x'.repeat(10)), '/sort/c-small.txt');
    await cluster.sdk.upload(bytes('x'.repeat(5000)), '/sort/a-large.txt');
    await cluster.sdk.mkdir('/sort/folder');
    const { page, errors, close } = await openPage(browser, `${base}#/sort/`);
    await listed(page, '/sort/');
    expect(await names(page)).to.deep.equal(['folder/', 'a-large.txt', 'b-medium.txt', 'c-small.txt']);
    await page.locator('th[data-sort="size"] button').click();
    expect(await page.locator('th[data-sort="size"]').getAttribute('aria-sort')).to.equal('descending');
    expect(await names(page)).to.deep.equal(['folder/', 'a-large.txt', 'b-medium.txt', 'c-small.txt']);
    await page.locator('th[data-sort="size"] button').click();
    expect(await names(page)).to.deep.equal(['folder/', 'c-small.txt', 'b-medium.txt', 'a-large.txt']);
    await page.locator('th[data-sort="name"] button').click();
    await page.locator('th[data-sort="name"] button').click();
    expect(await names(page)).to.deep.equal(['folder/', 'c-small.txt', 'b-medium.txt', 'a-large.txt']);

    await page.locator('#filter').fill('MED');
    expect(await names(page)).to.deep.equal(['b-medium.txt']);
    expect(await page.locator('#summary').textContent()).to.contain('1 shown');
    await page.locator('#filter').fill('nothing like this');
    expect(await page.locator('#files tbody').textContent()).to.contain('No name in this folder matches');
    expectNoErrors(errors);
    await close();
  });

  it('opens folders and downloads files whose names hold URL characters (# % ? &)', async () => {
    const folder = '/a#b %41?&/';
    // Chromium replaces '?' in the name it saves a download under, so only the folder has one.
    const file = `${folder}100% sure #1 & more.txt`;
    await cluster.sdk.upload(bytes('odd'), file);
    const { page, errors, close } = await openPage(browser, base);
    await row(page, folder).locator('a.folder').click();
    await listed(page, folder);
    await page.reload();
    await listed(page, folder);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row(page, file).locator('a.download').click(),
    ]);
    expect(download.suggestedFilename()).to.equal('100% sure #1 & more.txt');
    expect((await fs.readFile(await download.path())).toString()).to.equal('odd');
    expectNoErrors(errors);
    await close();
  });

  it('fits a phone-sized screen without sideways scrolling', async () => {
    await cluster.sdk.upload(bytes('a phone'), '/phone/a rather long file name for a small screen.txt');
    const { page, errors, close } = await openPage(browser, `${base}#/phone/`, {
      viewport: { width: 375, height: 700 },
      isMobile: true,
      hasTouch: true,
    });
    await listed(page, '/phone/');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).to.equal(true);
    const actions = row(page, '/phone/a rather long file name for a small screen.txt').locator(
      'button.delete',
    );
    const box = await actions.boundingBox();
    expect(box && box.x + box.width <= 375).to.equal(true);
    expect(await page.locator('label.button', { hasText: 'Upload files' }).isVisible()).to.equal(true);
    expectNoErrors(errors);
    await close();
  });

  it("keeps an action's error over the listing's, and clears a listing error once it lists again", async () => {
    await cluster.sdk.upload(bytes('still here'), '/flaky/kept.txt');
    const { page, errors, close } = await openPage(browser, `${base}#/flaky/`);
    await listed(page, '/flaky/');
    expect(await page.locator('#summary').textContent()).to.contain('1 file');
    await cluster.master.close();
    try {
      // The action fails, and so does the listing after it: the action's error is the one shown.
      // (The web client waits a few seconds for a master it knew before each call fails.)
      await page.locator('#new-folder').click();
      await page.locator('#ask-input').fill('x');
      await page.locator('#ask-ok').click();
      await page.locator('#summary:text-is("")').waitFor({ state: 'attached', timeout: 60_000 });
      expect(await page.locator('#message-text').textContent()).to.contain('Could not create the folder x');
      expect(await page.locator('#files tbody').textContent()).to.contain('Nothing to show');
      // Dismissed, the listing's own error comes back with the next re-listing.
      await page.locator('#message-close').click();
      await page.locator('#message-text', { hasText: 'Could not list /flaky/' }).waitFor({ timeout: 60_000 });
    } finally {
      await cluster.restartMaster();
    }
    // The folder lists again: its error goes by itself.
    await page.locator('#message').waitFor({ state: 'hidden', timeout: 30_000 });
    await row(page, '/flaky/kept.txt').waitFor();
    expect(await page.locator('#summary').textContent()).to.contain('1 file');
    expectNoErrors(errors, [/Failed to load resource/]);
    await close();
  });

  it('says that a folder of more than one page is not re-listed every few seconds', async () => {
    await cluster.sdk.upload(bytes('many'), '/big/seed.txt');
    // Copies move no bytes: a thousand files in a moment.
    for (let i = 0; i < 1000; i += 100)
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => cluster.sdk.copy('/big/seed.txt', `/big/f${i + j}.txt`)),
      );
    const { page, errors, close } = await openPage(browser, `${base}#/big/`);
    await listed(page, '/big/');
    const summary = await page.locator('#summary').textContent();
    expect(summary).to.contain('1001 files');
    expect(summary).to.contain('a large folder: listed again after your own changes only');
    expectNoErrors(errors);
    await close();
  });
});
