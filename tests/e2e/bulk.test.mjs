// Browser end-to-end: actions on several devices. Two real meshwork-agents (two identities on
// this computer) join a group; the administrator selects the whole group in My Devices, runs a
// shell command on both and reads each one's output and exit code, moves both to another group,
// and, once their agents have stopped, deletes both records.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startAgent, launchBrowser, saveArtifact, login, adminWithGroup, clickButton }
  from './lib/harness.mjs';

const GROUP = 'mesh//BulkGroup0000000000000000000000000000000000000000000000000000000';
const OTHER = 'mesh//OtherGroup000000000000000000000000000000000000000000000000000000';

let server;
let browser;
const agents = [];

before(async () => {
  const docs = adminWithGroup(GROUP, 'Lab', 2);
  docs[0].links[OTHER] = { rights: 0xFFFFFFFF };
  docs.push({ _id: OTHER, type: 'mesh', mtype: 2, name: 'Archive', domain: '',
    links: { 'user//admin': { name: 'admin', rights: 0xFFFFFFFF } } });
  server = await startServer([], { importDocs: docs });
  browser = await launchBrowser();
  agents.push(await startAgent(server, GROUP));
  agents.push(await startAgent(server, GROUP));
});

after(async () => {
  for (const a of agents) a.stop();
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});

test('select a group, run a command on each device, move them, delete them', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  await page.waitForFunction(() => { const l = Object.values((window.meshwork && window.meshwork.deviceList) || {});
    return l.length === 2 && l.every((d) => d.conn & 1); }, null, { timeout: 20000 });

  await clickButton(page, 'select-all:Lab');
  await page.waitForFunction(() => window.meshwork.admin.selected.length === 2, null, { timeout: 10000 });
  await clickButton(page, 'bulk-run');
  await clickButton(page, 'bulk-run-command');
  await page.keyboard.type('echo bulk-$((6*7)); exit 3');
  await clickButton(page, 'bulk-run-go');
  await page.waitForFunction(() => { const o = Object.values(window.meshwork.admin.commandOutputs);
    return o.length === 2 && o.every((x) => x.finished && x.exitcode === 3 && x.text.trim() === 'bulk-42'); }, null, { timeout: 20000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => window.meshwork.admin))}`); });
  saveArtifact('bulk-run.png', await page.screenshot({ type: 'png' }));
  await clickButton(page, 'bulk-run-close');

  // Both move to the other group (the selection follows them).
  await clickButton(page, 'bulk-move');
  await clickButton(page, 'bulk-move-to:Archive');
  await clickButton(page, 'bulk-move-go');
  await page.waitForFunction((other) => Object.values(window.meshwork.deviceList).every((d) => d.meshid === other),
    OTHER, { timeout: 15000 });
  saveArtifact('bulk-moved.png', await page.screenshot({ type: 'png' }));

  // Deleted, once their agents are gone (a connected agent would be listed again).
  for (const a of agents) a.stop();
  agents.length = 0;
  await page.waitForFunction(() => Object.values(window.meshwork.deviceList).every((d) => !d.conn), null, { timeout: 20000 });
  await page.waitForFunction(() => window.meshwork.admin.selected.length === 2, null, { timeout: 10000 });
  await clickButton(page, 'bulk-delete');
  await clickButton(page, 'bulk-delete-go');
  await page.waitForFunction(() => window.meshwork.devices === 0 && window.meshwork.admin.selected.length === 0, null,
    { timeout: 15000 });
  assert.deepEqual(errors, []);
  await context.close();
});
