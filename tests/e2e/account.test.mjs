// Browser end-to-end: the account menu. The administrator changes the password (a wrong current
// password is refused with the server's reason), finds the change in the Events window, logs out
// and logs in again with the new password.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, saveArtifact, login, clickButton, control, ADMIN } from './lib/harness.mjs';

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

  // Esc closes the dialog, as Close does.
  await openPasswordDialog(page);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !window.meshwork.buttons['password-old'] && window.meshwork.idle, null, { timeout: 10000 });
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

// With a mail server configured (console mode: the mails go to the server's log, where the test
// reads the links), an account without a verified address is asked to verify it after its
// password; the link opens the way; My Account shows the address and changes it, and the new
// address is verified again from there.
test('email: verified before the first login, changed and verified again in My Account', async () => {
  const mailServer = await startServer([], { config: { smtp: { name: 'console', from: 'meshwork@example.com' } } });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The n-th verification link the server has mailed (from its log).
  const link = async (n) => {
    for (let i = 0; i < 100; i++) {
      const found = [...mailServer.output().matchAll(/https:\/\/[^\s]+\/checkmail\?c=[^\s]+/g)];
      if (found.length > n) return found[n][0];
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no link ${n} in the log:\n${mailServer.output()}`);
  };
  try {
    await login(page, mailServer.url);
    await page.waitForSelector('#verify');
    assert.match(await page.textContent('#verify'), /must confirm its email address/);
    saveArtifact('account-email-verify-required.png', await page.screenshot({ type: 'png' }));
    await page.fill('#email', 'admin@example.com');
    await Promise.all([page.waitForNavigation(), page.click('#verify button[type=submit]')]);
    assert.match(await page.textContent('#note'), /sent to admin@example\.com/);
    await page.goto(await link(0));
    assert.match(await page.textContent('#message'), /admin@example\.com.*is verified/);

    await login(page, mailServer.url);
    await page.waitForFunction(() => window.meshwork && window.meshwork.idle && window.meshwork.account &&
      window.meshwork.account.emailVerified === true && window.meshwork.buttons['tab:My Account'], null, { timeout: 20000 });
    await clickButton(page, 'tab:My Account');
    await page.waitForFunction(() => window.meshwork.buttons['account-email'] && window.meshwork.idle, null, { timeout: 10000 });
    saveArtifact('account-email-verified.png', await page.screenshot({ type: 'png' }));
    await clickButton(page, 'account-email');
    await page.keyboard.type('Admin2@Example.com');
    await clickButton(page, 'account-email-change');
    await page.waitForFunction(() => window.meshwork.emailResult === 'A mail with a verification link was sent to admin2@example.com.' &&
      window.meshwork.account.email === 'admin2@example.com' && window.meshwork.account.emailVerified === false &&
      window.meshwork.buttons['account-email-verify'] && window.meshwork.idle, null, { timeout: 10000 });
    saveArtifact('account-email-changed.png', await page.screenshot({ type: 'png' }));
    await link(1);
    // Ask again from My Account; the newest link verifies, and the page shows it without a reload.
    await clickButton(page, 'account-email-verify');
    await page.waitForFunction(() => window.meshwork.emailResult === 'A mail with a verification link was sent to admin2@example.com.',
      null, { timeout: 10000 });
    const other = await context.newPage();
    await other.goto(await link(2));
    assert.match(await other.textContent('#message'), /admin2@example\.com.*is verified/);
    await page.waitForFunction(() => window.meshwork.account.emailVerified === true && !window.meshwork.buttons['account-email-verify'] &&
      window.meshwork.emailResult === '', null, { timeout: 10000 });
    // A narrow window: the header's tabs stay clear of the account menu (the server's name gives way).
    await page.setViewportSize({ width: 900, height: 700 });
    await page.waitForFunction(() => {
      const b = window.meshwork.buttons;
      return window.meshwork.idle && b['tab:My Server'] && b['account-menu'] &&
        b['tab:My Server'][0] + b['tab:My Server'][2] < b['account-menu'][0];
    }, null, { timeout: 10000 });
    saveArtifact('account-narrow-header.png', await page.screenshot({ type: 'png' }));

    // Add Agent offers to mail the instructions (MeshCentral's invitation).
    await page.setViewportSize({ width: 1280, height: 800 });
    const made = await control(mailServer.port, { action: 'createmesh', meshname: 'Front desk', meshtype: 2 }, 'createmesh');
    assert.equal(made.result, 'ok');
    await clickButton(page, 'tab:My Devices');
    await page.waitForFunction(() => window.meshwork.buttons['addagent:Front desk'] && window.meshwork.idle, null, { timeout: 10000 });
    await clickButton(page, 'addagent:Front desk');
    await page.waitForFunction(() => window.meshwork.buttons['invite-email'] && window.meshwork.idle, null, { timeout: 10000 });
    await clickButton(page, 'invite-email');
    await page.keyboard.type('carol@example.com');
    await clickButton(page, 'invite-name');
    await page.keyboard.type('Carol');
    await clickButton(page, 'invite-send');
    await page.waitForFunction(() => window.meshwork.inviteResult === 'Sent to carol@example.com.', null, { timeout: 10000 });
    saveArtifact('add-agent-invite.png', await page.screenshot({ type: 'png' }));
    for (let i = 0; i < 50 && !mailServer.output().includes('Email to carol@example.com'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(mailServer.output(), /Email to carol@example\.com, subject "Meshwork - Agent Installation Invitation"/);
    assert.match(mailServer.output(), /Hi Carol,/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    const { code } = await mailServer.stop();
    assert.equal(code, 0, `server exit code\n${mailServer.output()}`);
  }
});
