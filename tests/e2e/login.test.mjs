// Browser end-to-end: the login page as a person uses it. A wrong password shows the server's
// message and no session; the right one sets an HttpOnly, Secure, SameSite=Strict cookie and
// loads the app; logging out returns to the login page and the old cookie no longer opens the app.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, saveArtifact, login, ADMIN } from './lib/harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});

test('login page: wrong password, then log in, then log out', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1024, height: 640 } });
  const page = await context.newPage();
  await login(page, server.url, ADMIN.user, 'not-the-password');
  assert.equal(await page.textContent('#error'), 'Invalid user name or password.');
  assert.equal(await page.inputValue('#username'), ADMIN.user, 'the user name is kept after a failed attempt');
  assert.equal((await context.cookies()).length, 0, 'no cookie after a failed login');
  saveArtifact('login-error.png', await page.screenshot({ type: 'png' }));

  await login(page, server.url);
  const cookies = await context.cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0].name, 'xid');
  assert.equal(cookies[0].httpOnly, true);
  assert.equal(cookies[0].secure, true);
  assert.equal(cookies[0].sameSite, 'Strict');
  await page.waitForFunction(() => window.meshwork && window.meshwork.connected, null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is not readable by scripts');

  const old = cookies[0];
  await page.goto(new URL('logout', server.url).href);
  assert.ok(await page.isVisible('#login'), 'back on the login page');
  // The cookie of the ended session no longer opens the app, even if a browser kept it.
  const other = await browser.newContext({ ignoreHTTPSErrors: true });
  await other.addCookies([old]);
  const p2 = await other.newPage();
  await p2.goto(server.url);
  assert.ok(await p2.isVisible('#login'), 'a logged-out session cookie is refused');
  await other.close();
  await context.close();
});
