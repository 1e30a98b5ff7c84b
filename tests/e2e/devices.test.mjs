// Browser end-to-end: My Devices. The server starts from a MeshCentral export (an administrator
// with MeshCentral's own password hash, two device groups, devices); the app lists what the user
// may see, and changes made by another client (meshctrl-style x-meshauth WebSocket) appear live,
// without a reload. A device page shows the notes MeshCentral kept and saves an edit of them.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, launchBrowser, saveArtifact, login, clickButton, ADMIN, repoRoot } from './lib/harness.mjs';

const require = createRequire(path.join(repoRoot, 'node_modules', 'meshcentral', 'package.json'));
const WebSocket = require('ws');

const LAB = 'mesh//LabGroup000000000000000000000000000000000000000000000000000000';
const OTHER = 'mesh//OtherGroup0000000000000000000000000000000000000000000000000000';

function docs() {
  const salt = crypto.randomBytes(128).toString('base64');
  const hash = crypto.pbkdf2Sync(ADMIN.password, salt, 12000, 128, 'sha384').toString('base64');
  return [
    { _id: 'user//admin', type: 'user', name: 'admin', domain: '', siteadmin: 0xFFFFFFFF, salt, hash,
      links: { [LAB]: { rights: 0xFFFFFFFF } } },
    { _id: LAB, type: 'mesh', mtype: 2, name: 'Lab', desc: 'Test bench', domain: '',
      links: { 'user//admin': { name: 'admin', rights: 0xFFFFFFFF } } },
    // A group the administrator has no link to: not shown.
    { _id: OTHER, type: 'mesh', mtype: 2, name: 'Other', domain: '', links: {} },
    { _id: 'node//pc1', type: 'node', meshid: LAB, domain: '', name: 'build-server', host: '10.0.0.11', icon: 1, tags: ['ci'] },
    { _id: 'node//pc2', type: 'node', meshid: LAB, domain: '', name: 'kiosk', host: '10.0.0.12', icon: 2 },
    { _id: 'node//pc3', type: 'node', meshid: OTHER, domain: '', name: 'hidden-pc', host: '10.0.0.99', icon: 1 },
    { _id: 'node//pc4', type: 'node', meshid: LAB, domain: '', name: 'printer', host: '10.0.0.13', icon: 1 },
    // Notes as MeshCentral keeps them ("nt" + the device's id).
    { _id: 'ntnode//pc4', type: 'note', value: 'Rack 3, top shelf' },
  ];
}

let server;
let browser;

before(async () => {
  server = await startServer([], { importDocs: docs() });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});

// A second client, as meshctrl connects: resolves once logged in.
function control(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/control.ashx`, {
      rejectUnauthorized: false,
      headers: { 'x-meshauth': `${Buffer.from(ADMIN.user).toString('base64')},${Buffer.from(ADMIN.password).toString('base64')}` },
    });
    ws.on('message', (d) => { if (JSON.parse(d).action === 'userinfo') resolve(ws); });
    ws.on('error', reject);
  });
}

test('My Devices lists the groups and devices the user may see, and follows live changes', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1024, height: 640 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);  // MeshCentral's password hash, imported, still logs in
  await page.waitForFunction(() => window.meshwork && window.meshwork.devices === 3 && window.meshwork.idle,
    null, { timeout: 30000 });
  let state = await page.evaluate(() => ({ ...window.meshwork }));
  assert.equal(state.user, 'user//admin');
  assert.equal(state.groups, 1);
  assert.deepEqual(state.deviceNames, ['build-server', 'kiosk', 'printer']);
  saveArtifact('app-devices.png', await page.screenshot({ type: 'png' }));

  const ws = await control(server.port);
  ws.send(JSON.stringify({ action: 'changedevice', nodeid: 'node//pc2', name: 'front-desk', tags: 'lobby' }));
  await page.waitForFunction(() => window.meshwork.deviceNames.includes('front-desk'), null, { timeout: 10000 });
  ws.send(JSON.stringify({ action: 'createmesh', meshname: 'Branch office', meshtype: 2 }));
  await page.waitForFunction(() => window.meshwork.groups === 2, null, { timeout: 10000 });
  ws.send(JSON.stringify({ action: 'removedevices', nodeids: ['node//pc1'] }));
  await page.waitForFunction(() => window.meshwork.devices === 2 && window.meshwork.idle, null, { timeout: 10000 });
  state = await page.evaluate(() => ({ ...window.meshwork }));
  assert.deepEqual(state.deviceNames, ['front-desk', 'printer']);
  saveArtifact('app-devices-live.png', await page.screenshot({ type: 'png' }));
  ws.close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a device page shows its imported notes and saves an edit', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  await clickButton(page, 'device:printer');
  await page.waitForFunction(() => (window.meshwork.devicePages || []).length === 1 && window.meshwork.devicePages[0].notes === 'Rack 3, top shelf',
    null, { timeout: 20000 });
  await clickButton(page, 'page-notes-edit');
  await page.waitForFunction(() => window.meshwork.buttons['page-notes-input'], null, { timeout: 10000 });
  await clickButton(page, 'page-notes-input');  // below the text: the cursor goes to its end
  await page.keyboard.type(' (UPS replaced)');
  await clickButton(page, 'page-notes-save');
  await page.waitForFunction(() => window.meshwork.devicePages[0].notesStatus === 'Saved.', null, { timeout: 10000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => window.meshwork.devicePages[0]))}`); });
  assert.equal(await page.evaluate(() => window.meshwork.devicePages[0].notes), 'Rack 3, top shelf (UPS replaced)');
  saveArtifact('device-notes.png', await page.screenshot({ type: 'png' }));
  // What the server keeps, as another client reads it.
  const ws = await control(server.port);
  const stored = await new Promise((resolve) => {
    ws.on('message', (d) => { const m = JSON.parse(d); if (m.action === 'getNotes') resolve(m.notes); });
    ws.send(JSON.stringify({ action: 'getNotes', id: 'node//pc4' }));
  });
  ws.close();
  assert.equal(stored, 'Rack 3, top shelf (UPS replaced)');
  assert.deepEqual(errors, []);
  await context.close();
});
