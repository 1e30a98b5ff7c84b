// Browser end-to-end: administration. The administrator creates a device group, creates an
// account in My Users, limits its site rights, gives it rights on the group (seen live by that
// user in a second browser), renames the group, reads My Server's figures, removes the user from
// the group, deletes the account (its open app is sent to the login page) and the group. View
// modes 4 and 6 open My Users and My Server; hide bit 2 hides the tabs.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, saveArtifact, login, clickButton } from './lib/harness.mjs';

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

const BOB = { user: 'bob', password: 'Bob-pass-123' };

// Holds each key for two of the app's frames: ImGui 1.86 samples key state once per frame, so a
// shortcut pressed and released between two frames would be missed.
async function slowShortcut(page, keys) {
  const step = async (action, key) => {
    const f = await page.evaluate(() => window.meshwork.frames);
    await page.keyboard[action](key);
    await page.waitForFunction((n) => window.meshwork.frames > n + 1, f, { timeout: 10000 });
  };
  for (const k of keys) await step('down', k);
  for (const k of [...keys].reverse()) await step('up', k);
}

// Clicks a text field and types `text`; `replace`: selects what it holds first (Ctrl+A).
async function typeInto(page, field, text, { replace = false } = {}) {
  await clickButton(page, field);
  if (replace) await slowShortcut(page, ['Control', 'a']);
  await page.keyboard.type(text);
}

function waitAdmin(page, predicate, arg) {
  return page.waitForFunction(predicate, arg, { timeout: 15000 });
}

async function newPage(url) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

test('groups, users and rights from the browser; My Server', async () => {
  const admin = await newPage();
  const page = admin.page;
  await login(page, server.url);
  await waitAdmin(page, () => window.meshwork && window.meshwork.user === 'user//admin' && window.meshwork.buttons['tab:My Server']);

  // A new device group, managed by agent.
  await clickButton(page, 'newgroup');
  await typeInto(page, 'newgroup-name', 'Office');
  await typeInto(page, 'newgroup-desc', 'Second floor');
  await clickButton(page, 'newgroup-create');
  await waitAdmin(page, () => window.meshwork.admin.groups.Office &&
    window.meshwork.admin.groups.Office.members.admin === 4294967295 &&
    window.meshwork.admin.groups.Office.desc === 'Second floor' && !window.meshwork.buttons['newgroup-name']);

  // My Users: a plain account for bob (a weak password is refused first), then no new groups.
  await clickButton(page, 'tab:My Users');
  await waitAdmin(page, () => window.meshwork.admin.tab === 'My Users' && window.meshwork.admin.users &&
    window.meshwork.admin.users.admin);
  await clickButton(page, 'users-add');
  await typeInto(page, 'adduser-name', BOB.user);
  await typeInto(page, 'adduser-pass', 'short');
  await clickButton(page, 'adduser-create');
  // The server's password rules refuse it, and say why; the dialog stays open.
  await waitAdmin(page, () => /password/i.test(window.meshwork.admin.usersMessage) && window.meshwork.buttons['adduser-name']);
  saveArtifact('admin-adduser-refused.png', await page.screenshot({ type: 'png' }));
  await typeInto(page, 'adduser-pass', BOB.password, { replace: true });
  await clickButton(page, 'adduser-create');
  await waitAdmin(page, () => window.meshwork.admin.users.bob && window.meshwork.admin.usersMessage === 'Account created.' &&
    !window.meshwork.buttons['adduser-name']);
  await clickButton(page, 'user-edit:bob');
  await clickButton(page, 'edituser-right:No new device groups');
  await clickButton(page, 'edituser-save');
  await waitAdmin(page, () => window.meshwork.admin.users.bob.siteadmin === 64);
  saveArtifact('admin-users.png', await page.screenshot({ type: 'png' }));

  // Bob logs in: no administration tabs, no "New device group", no groups yet.
  const bob = await newPage();
  await login(bob.page, server.url, BOB.user, BOB.password);
  await waitAdmin(bob.page, () => window.meshwork && window.meshwork.user === 'user//bob' &&
    window.meshwork.buttons['tab:My Devices'] && window.meshwork.idle);
  const bobButtons = await bob.page.evaluate(() => Object.keys(window.meshwork.buttons));
  assert.ok(!bobButtons.includes('tab:My Users') && !bobButtons.includes('tab:My Server'), bobButtons.join(', '));
  assert.ok(!bobButtons.includes('newgroup'), 'no New device group for "no new device groups"');
  assert.equal(await bob.page.evaluate(() => window.meshwork.groups), 0);

  // The administrator gives bob remote control, view only, on the group: bob sees it at once.
  await clickButton(page, 'tab:My Devices');
  await clickButton(page, 'groupsettings:Office');
  await typeInto(page, 'member-name', BOB.user);
  await clickButton(page, 'member-right:Remote view only');
  await clickButton(page, 'member-add');
  await waitAdmin(page, () => window.meshwork.admin.groups.Office.members.bob === 264 &&
    window.meshwork.admin.groupMessage === 'Added user bob');
  await waitAdmin(bob.page, () => window.meshwork.admin.groups.Office && window.meshwork.admin.groups.Office.members.bob === 264);
  saveArtifact('admin-group-settings.png', await page.screenshot({ type: 'png' }));

  // Renamed: both see the new name.
  await typeInto(page, 'group-name', 'Head office', { replace: true });
  await clickButton(page, 'group-save');
  await waitAdmin(page, () => window.meshwork.admin.groups['Head office'] && !window.meshwork.admin.groups.Office);
  await waitAdmin(bob.page, () => window.meshwork.admin.groups['Head office']);
  saveArtifact('admin-bob-sees-group.png', await bob.page.screenshot({ type: 'png' }));

  // My Server: the database's counts and the live sessions (the administrator and bob).
  await clickButton(page, 'tab:My Server');
  await waitAdmin(page, () => { const s = window.meshwork.admin.serverStats;
    return s && s.userAccounts === 2 && s.deviceGroups === 1 && s.userSessions >= 2 && s.agents === 0 && s.rss > 1e6 &&
      /^\d+\.\d+\.\d+/.test(s.version); });
  saveArtifact('admin-server.png', await page.screenshot({ type: 'png' }));

  // Removed from the group: it disappears from bob's list live.
  await clickButton(page, 'tab:My Devices');
  await waitAdmin(page, () => window.meshwork.buttons['member-remove:bob']);
  await clickButton(page, 'member-remove:bob');
  await waitAdmin(page, () => window.meshwork.admin.groups['Head office'].members.bob === undefined);
  await waitAdmin(bob.page, () => window.meshwork.groups === 0);

  // Bob's account deleted: his open app goes back to the login page.
  await clickButton(page, 'tab:My Users');
  await clickButton(page, 'user-delete:bob');
  await clickButton(page, 'deleteuser-confirm');
  await waitAdmin(page, () => window.meshwork.admin.users && !window.meshwork.admin.users.bob &&
    window.meshwork.admin.usersMessage === 'Account deleted.');
  await bob.page.waitForSelector('#username', { timeout: 15000 });

  // The group deleted, after a confirmation.
  await clickButton(page, 'tab:My Devices');
  await clickButton(page, 'groupsettings:Head office');
  await clickButton(page, 'group-delete');
  await clickButton(page, 'group-delete-confirm');
  await waitAdmin(page, () => Object.keys(window.meshwork.admin.groups).length === 0 && !window.meshwork.admin.groupSettings);
  assert.deepEqual(admin.errors, []);
  assert.deepEqual(bob.errors, []);
  await bob.context.close();
  await admin.context.close();
});

test('view modes 4 and 6 open My Users and My Server; hide=2 hides the tabs', async () => {
  const { context, page, errors } = await newPage();
  await login(page, server.url);
  await page.goto(`${server.url}?viewmode=6`);
  await waitAdmin(page, () => window.meshwork && window.meshwork.admin && window.meshwork.admin.tab === 'My Server' &&
    window.meshwork.admin.serverStats && window.meshwork.buttons['tab:My Devices']);
  await page.goto(`${server.url}?viewmode=4&hide=2`);
  await waitAdmin(page, () => window.meshwork && window.meshwork.admin && window.meshwork.admin.tab === 'My Users' &&
    window.meshwork.admin.users && window.meshwork.admin.users.admin && window.meshwork.idle);
  const buttons = await page.evaluate(() => Object.keys(window.meshwork.buttons));
  assert.ok(!buttons.some((b) => b.startsWith('tab:')), buttons.join(', '));
  saveArtifact('admin-viewmode-users.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});
