// Shared steps of the browser tests: opening a watched page, finding a listing row, checking
// that nothing went wrong in the console.

import { expect } from 'chai';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { type WatchedPage, watchedPage } from './chromium.js';

/** A fresh context (own cookies) and a page in it, watched for console errors. */
export async function openPage(
  browser: Browser,
  url: string,
  options: BrowserContextOptions = {},
): Promise<WatchedPage & { close(): Promise<void> }> {
  const context = await browser.newContext(options);
  const watched = await watchedPage(context);
  await watched.page.goto(url);
  return { ...watched, close: () => context.close() };
}

/** The listing row of a remote path (`/a/b.txt`, or `/a/` for a folder). */
export function row(page: Page, path: string): Locator {
  return page.locator(`#files tbody tr[data-path=${JSON.stringify(path)}]`);
}

/** Waits until the listing shows folder `prefix`. */
export async function listed(page: Page, prefix: string): Promise<void> {
  await page.locator(`#files[data-loaded=${JSON.stringify(prefix)}]`).waitFor({ state: 'attached' });
}

/**
 * Asserts no console error or uncaught exception happened, except messages matching `allowed`
 * (a test that provokes an HTTP error sees Chromium's "Failed to load resource" line for it).
 */
export function expectNoErrors(errors: string[], allowed: RegExp[] = []): void {
  expect(errors.filter((e) => !allowed.some((re) => re.test(e)))).to.deep.equal([]);
}

/** Chromium's console line for a fetch answered with HTTP `status`. */
export function failedLoad(status: number): RegExp {
  return new RegExp(`Failed to load resource: the server responded with a status of ${status}`);
}

/** Slows the page's uploads to `bytesPerSecond` (Chromium's network emulation; -1 lifts the
 * limit), so a transfer is still running when a test or a screenshot looks at it. */
export async function throttleUpload(page: Page, bytesPerSecond: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}
