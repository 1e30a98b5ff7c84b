// Browser end-to-end: the account menu. The administrator changes the password (a wrong current
// password is refused with the server's reason), finds the change in the Events window, logs out
// and logs in again with the new password.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, saveArtifact, login, clickButton, ADMIN } from './lib/harness.mjs';

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

async function openPasswordDialog(page) {
  await clickButton(page, 'account-menu');
  await clickButton(page, 'menu:Change password');
  await page.waitForFunction(() => window.meshwork.buttons['password-old'], null, { timeout: 10000 });
}

async function fill(page, oldPass, newPass) {
  await clickButton(page, 'password-old');
  await page.keyboard.type(oldPass);
  await clickButton(page, 'password-new');
  await page.keyboard.type(newPass);
  await clickButton(page, 'password-new2');
  await page.keyboard.type(newPass);
  await clickButton(page, 'password-change');
}

test('change password, see it in Events, log out, log in with the new password', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  const NEW = 'New-admin-pass2';

  await openPasswordDialog(page);
  await fill(page, 'Not-the-password1', NEW);
  await page.waitForFunction(() => window.meshwork.passwordResult === 'Wrong current password', null, { timeout: 10000 });
  saveArtifact('account-password-refused.png', await page.screenshot({ type: 'png' }));
  // Close (the fields are cleared) and try again with the right one.
  await clickButton(page, 'password-close');
  await page.waitForFunction(() => !window.meshwork.buttons['password-old'] && window.meshwork.idle, null, { timeout: 10000 });
  await openPasswordDialog(page);
  await fill(page, ADMIN.password, NEW);
  await page.waitForFunction(() => window.meshwork.passwordResult === 'Your password was changed.', null, { timeout: 10000 });
  await clickButton(page, 'password-close');
  await page.waitForFunction(() => !window.meshwork.buttons['password-old'] && window.meshwork.idle, null, { timeout: 10000 });

  // Events: the change is there, named.
  await clickButton(page, 'account-menu');
  await clickButton(page, 'menu:Events');
  await page.waitForFunction(() => Array.isArray(window.meshwork.events) &&
    window.meshwork.events.includes('Changed account password'), null, { timeout: 10000 });
  saveArtifact('account-events.png', await page.screenshot({ type: 'png' }));

  // Log out: back to the login page; the old password no longer works, the new one does.
  await clickButton(page, 'account-menu');
  await Promise.all([page.waitForNavigation(), clickButton(page, 'menu:Log out', { navigates: true })]);
  await page.waitForSelector('#username', { timeout: 10000 });
  await login(page, server.url, ADMIN.user, ADMIN.password);
  assert.ok(await page.$('#username'), 'the old password is refused');
  await login(page, server.url, ADMIN.user, NEW);
  await page.waitForFunction(() => window.meshwork && window.meshwork.user === 'user//admin', null, { timeout: 20000 });
  assert.deepEqual(errors, []);
  await context.close();
});
