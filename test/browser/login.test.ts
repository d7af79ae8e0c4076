// Signing in to the web client with the access token in Chromium: the form, a wrong token,
// the session cookie (HttpOnly, SameSite), working with the session, signing out.

import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { chromiumAvailable, launchChromium } from './support/chromium.js';
import { expectNoErrors, failedLoad, listed, openPage, row } from './support/pages.js';

describe('web client sign-in in a browser', () => {
  const TOKEN = 'correct horse battery staple';
  let cluster: TestCluster;
  let browser: Browser;

  before(async function () {
    if (!chromiumAvailable()) this.skip();
    [cluster, browser] = await Promise.all([
      startCluster({ nodes: 2, webClient: true, token: TOKEN }),
      launchChromium(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('asks for the token, refuses a wrong one, signs in, works, and signs out', async () => {
    const { page, errors, close } = await openPage(browser, `${cluster.client?.url}/`);
    await page.locator('#login').waitFor();
    expect(await page.locator('#app').isHidden()).to.equal(true);

    await page.locator('#token').fill('not the token');
    await page.locator('#login-form button[type="submit"]').click();
    await page.locator('#login-error', { hasText: 'That access token is not right' }).waitFor();
    expect(await page.context().cookies()).to.deep.equal([]);

    await page.locator('#token').fill(TOKEN);
    await Promise.all([page.waitForEvent('load'), page.locator('#login-form button[type="submit"]').click()]);
    await listed(page, '/');
    expect(await page.locator('#login').isHidden()).to.equal(true);
    const [cookie] = await page.context().cookies();
    expect(cookie?.name).to.match(/^dfs_session_\d+$/);
    expect(cookie?.httpOnly).to.equal(true);
    expect(cookie?.sameSite).to.equal('Strict');
    expect(cookie?.value).not.to.contain(TOKEN);

    await page.setInputFiles('#picker', {
      name: 'signed-in.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('ok'),
    });
    await row(page, '/signed-in.txt').waitFor();
    expect((await cluster.sdk.stat('/signed-in.txt')).size).to.equal(2);

    await Promise.all([page.waitForEvent('load'), page.locator('#sign-out').click()]);
    await page.locator('#login').waitFor();
    expect(await page.locator('#app').isHidden()).to.equal(true);
    expect(await page.context().cookies()).to.deep.equal([]);
    // The wrong token's 401 is the only failed request.
    expectNoErrors(errors, [failedLoad(401)]);
    expect(errors.length).to.be.at.most(1);
    await close();
  });
});
