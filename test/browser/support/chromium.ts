// Launching Debian's Chromium for the browser tests, and watching a page for console errors.

import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where the Chromium binary is looked for ($CHROMIUM_PATH overrides Debian's path). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags CI runs Chromium with: headless in a container, no background traffic. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

let warned = false;

/** True when Chromium is installed; otherwise prints a loud warning (once) and returns false. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (warned) return false;
  warned = true;
  console.warn(
    `\n  WARNING: browser tests SKIPPED: Chromium is missing at ${CHROMIUM_PATH} ` +
      '(install it with `apt-get install -y chromium`, or set CHROMIUM_PATH).\n',
  );
  return false;
}

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** A page whose console errors and uncaught exceptions are collected in `errors`. */
export interface WatchedPage {
  page: Page;
  errors: string[];
}

/** Opens a page in `context` and records every console error and page error on it. */
export async function watchedPage(context: BrowserContext | Browser): Promise<WatchedPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return { page, errors };
}
