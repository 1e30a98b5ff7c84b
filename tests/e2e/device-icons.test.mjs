// Browser end-to-end: device icons (MeshCentral's node "icon" 1..8). My Devices draws each
// device's kind before its name, in the theme's blue with a green badge while it is connected and
// grey while it is not; the edit dialog's picker changes it (changedevice with icon), the server
// stores it and every client follows the change live; a user without "manage devices" on the
// group sees the picker disabled.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, startAgent, launchBrowser, saveArtifact, login, clickButton, control, decodePng, adminWithGroup }
  from './lib/harness.mjs';

const GROUP = 'mesh//IconGroup000000000000000000000000000000000000000000000000000000';
const VIEWER = { user: 'viewer', password: 'Viewer-pass1' };
// One device per kind (1..8), named for it, and one whose record has no icon (drawn as a desktop).
const KINDS = ['desktop-pc', 'laptop-1', 'handheld', 'tower', 'nas', 'router', 'board', 'guest-vm'];

function docs() {
  const d = adminWithGroup(GROUP, 'Fleet', 2);
  const salt = crypto.randomBytes(128).toString('base64');
  const hash = crypto.pbkdf2Sync(VIEWER.password, salt, 12000, 128, 'sha384').toString('base64');
  // Remote control and notes on the group, not "manage devices" (4).
  d.push({ _id: 'user//viewer', type: 'user', name: 'viewer', domain: '', siteadmin: 0, salt, hash,
    links: { [GROUP]: { rights: 8 | 128 } } });
  d[1].links['user//viewer'] = { name: 'viewer', rights: 8 | 128 };
  KINDS.forEach((name, i) => d.push({ _id: `node//icon${i + 1}`, type: 'node', meshid: GROUP, domain: '', name,
    host: `10.1.0.${i + 1}`, icon: i + 1 }));
  d.push({ _id: 'node//noicon', type: 'node', meshid: GROUP, domain: '', name: 'unset-icon', host: '10.1.0.99' });
  return d;
}

let server;
let browser;
let agent;

before(async () => {
  server = await startServer([], { importDocs: docs() });
  browser = await launchBrowser();
  agent = await startAgent(server, GROUP);  // one device online
});

after(async () => {
  if (agent) agent.stop();
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});

// The stored record of a device, as another client (meshctrl-style) reads it.
async function storedNode(id) {
  const m = await control(server.port, { action: 'nodes' }, 'nodes');
  return Object.values(m.nodes).flat().find((n) => n._id === id);
}

async function waitStored(id, icon) {
  const deadline = Date.now() + 15000;
  let n;
  while (Date.now() < deadline) {
    n = await storedNode(id);
    if (n && n.icon === icon) return n;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server's record of ${id} has icon ${n && n.icon}, not ${icon}`);
}

async function openApp(viewport = { width: 1280, height: 900 }, scale = 1) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, deviceScaleFactor: scale });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

const agentDevice = (page) => page.evaluate(() => Object.entries(window.meshwork.deviceList).find(([, d]) => d.conn & 1));

// Pixels of an icon (its rectangle in the hook, CSS pixels) in a screenshot taken at `scale`:
// how many are the theme's blue, the badge's green, light grey strokes; and a mask of what is drawn.
function iconPixels(png, rect, scale) {
  const [x, y, w, h] = rect.map((v) => v * scale);
  let blue = 0, green = 0, grey = 0;
  const mask = [];
  for (let j = Math.floor(y); j < Math.ceil(y + h); ++j) {
    for (let i = Math.floor(x); i < Math.ceil(x + w); ++i) {
      const [r, g, b] = png.pixel(i, j);
      if (b > r + 60 && b > 150) ++blue;
      if (g > r + 50 && g > b + 30) ++green;
      const lum = (r + g + b) / 3;
      if (lum > 95 && Math.abs(r - g) < 30 && Math.abs(b - r) < 45) ++grey;
      mask.push(lum > 70 ? 1 : 0);
    }
  }
  return { blue, green, grey, mask: mask.join('') };
}

test('My Devices shows each device\'s kind: blue with a green badge while online, grey while offline', async () => {
  const { context, page, errors } = await openApp();
  await login(page, server.url);
  await page.waitForFunction(() => window.meshwork && window.meshwork.devices === 10 &&
    Object.values(window.meshwork.deviceList).some((d) => d.conn & 1) && window.meshwork.idle, null, { timeout: 30000 });
  // The agent's computer as a server (another client changes it: the list follows live).
  const [agentId, agentDev] = await agentDevice(page);
  const ws = await control(server.port, { action: 'changedevice', nodeid: agentId, icon: 4 }, 'changedevice');
  assert.equal(ws.result, 'ok');
  await page.waitForFunction((id) => window.meshwork.deviceList[id].drawnIcon === 4 && window.meshwork.idle, agentId, { timeout: 10000 });
  const list = await page.evaluate(() => window.meshwork.deviceList);
  KINDS.forEach((name, i) => {
    assert.equal(list[`node//icon${i + 1}`].icon, i + 1, name);
    assert.equal(list[`node//icon${i + 1}`].drawnIcon, i + 1, `${name} is drawn as kind ${i + 1}`);
  });
  assert.equal(list['node//noicon'].icon, 0);
  assert.equal(list['node//noicon'].drawnIcon, 1, 'a record without an icon shows the desktop');

  const shot = await page.screenshot({ type: 'png' });
  saveArtifact('device-icons.png', shot);
  const png = decodePng(shot);
  const buttons = await page.evaluate(() => window.meshwork.buttons);
  const online = iconPixels(png, buttons[`icon:${agentDev.name}`], 1);
  assert.ok(online.blue >= 10, `the online device's icon is blue (${online.blue} blue pixels)`);
  assert.ok(online.green >= 6, `the online device has the green badge (${online.green} green pixels)`);
  const masks = new Set();
  for (const name of [...KINDS, 'unset-icon']) {
    const p = iconPixels(png, buttons[`icon:${name}`], 1);
    assert.equal(p.blue, 0, `${name} is offline: no blue`);
    assert.equal(p.green, 0, `${name} is offline: no badge`);
    assert.ok(p.grey >= 10, `${name}'s icon is drawn in grey (${p.grey} pixels)`);
    if (name !== 'unset-icon') masks.add(p.mask);
    else assert.equal(p.mask, iconPixels(png, buttons['icon:desktop-pc'], 1).mask, 'no icon looks like the desktop');
  }
  assert.equal(masks.size, KINDS.length, 'the eight kinds look different from each other');
  // Text height: the icon is as tall as the name's line and sits on it.
  const [, iy, iw, ih] = buttons['icon:laptop-1'];
  const [, ny, , nh] = buttons['device:laptop-1'];
  assert.ok(Math.abs(iw - ih) < 0.5 && ih >= 14 && ih <= nh + 0.5, `icon ${iw}x${ih}, name line ${nh}`);
  assert.ok(Math.abs((iy + ih / 2) - (ny + nh / 2)) <= 1.5, `the icon (y ${iy}) is centred on the name's line (y ${ny}, ${nh} high)`);

  // Its tooltip names the kind and the state.
  const [x, y, w, h] = buttons['icon:router'];
  await page.mouse.move(x + w / 2, y + h / 2);
  await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 10000 });
  await page.waitForTimeout(700);  // ImGui shows a tooltip at once; a few frames settle it
  saveArtifact('device-icons-tooltip.png', await page.screenshot({ type: 'png', clip: { x: x - 20, y: y - 10, width: 360, height: 80 } }));
  assert.deepEqual(errors, []);
  await context.close();

  // HiDPI: the same list at devicePixelRatio 2 (strokes twice as wide, on whole pixels).
  const hi = await openApp({ width: 1000, height: 700 }, 2);
  await login(hi.page, server.url);
  await hi.page.waitForFunction(() => window.meshwork && window.meshwork.devices === 10 && window.meshwork.idle, null, { timeout: 30000 });
  const hiShot = await hi.page.screenshot({ type: 'png' });
  saveArtifact('device-icons-hidpi.png', hiShot);
  const hiButtons = await hi.page.evaluate(() => window.meshwork.buttons);
  const hiOnline = iconPixels(decodePng(hiShot), hiButtons[`icon:${agentDev.name}`], 2);
  assert.ok(hiOnline.blue >= 40 && hiOnline.green >= 24, `HiDPI online icon: ${hiOnline.blue} blue, ${hiOnline.green} green`);
  assert.deepEqual(hi.errors, []);
  await hi.context.close();
});

test('the edit dialog\'s icon picker: Cancel forgets a choice, Save stores icon 2 and the list shows it', async () => {
  const { context, page, errors } = await openApp();
  await login(page, server.url);
  await clickButton(page, 'device:desktop-pc');
  await clickButton(page, 'page-edit:desktop-pc');
  await page.waitForFunction(() => window.meshwork.buttons['edit-icon:Laptop'] && window.meshwork.idle, null, { timeout: 10000 });
  saveArtifact('device-icon-picker.png', await page.screenshot({ type: 'png' }));
  // Chosen, then Cancel: nothing is sent.
  await clickButton(page, 'edit-icon:Laptop');
  await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 10000 });
  saveArtifact('device-icon-chosen.png', await page.screenshot({ type: 'png' }));
  await clickButton(page, 'edit-cancel');
  await page.waitForFunction(() => !window.meshwork.buttons['edit-icon:Laptop'] && window.meshwork.idle, null, { timeout: 10000 });
  await page.waitForTimeout(1500);  // time enough for a request and its event, were one sent
  assert.equal((await storedNode('node//icon1')).icon, 1, 'Cancel sent the chosen icon');
  assert.equal(await page.evaluate(() => window.meshwork.deviceList['node//icon1'].drawnIcon), 1);
  // Chosen, then Save: stored, and My Devices' row draws the laptop.
  await clickButton(page, 'page-edit:desktop-pc');
  await page.waitForFunction(() => window.meshwork.buttons['edit-icon:Laptop'] && window.meshwork.idle, null, { timeout: 10000 });
  await clickButton(page, 'edit-icon:Laptop');
  await clickButton(page, 'edit-save');
  const stored = await waitStored('node//icon1', 2);
  assert.equal(stored.name, 'desktop-pc', 'only the icon changed');
  await page.waitForFunction(() => !window.meshwork.buttons['edit-icon:Laptop'] &&
    window.meshwork.deviceList['node//icon1'].drawnIcon === 2 && window.meshwork.idle, null, { timeout: 10000 });
  saveArtifact('device-icon-picked.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});

test('without "manage devices" the picker is disabled: a click changes nothing', async () => {
  const { context, page, errors } = await openApp();
  await login(page, server.url, VIEWER.user, VIEWER.password);
  await page.waitForFunction(() => window.meshwork && window.meshwork.devices === 10 && window.meshwork.idle, null, { timeout: 30000 });
  await clickButton(page, 'device:handheld');
  await clickButton(page, 'page-edit:handheld');
  await page.waitForFunction(() => window.meshwork.buttons['edit-icon:Server'] && window.meshwork.idle, null, { timeout: 10000 });
  await clickButton(page, 'edit-icon:Server');
  await page.waitForTimeout(1500);  // time enough for a request and its event, were one sent
  assert.equal((await storedNode('node//icon3')).icon, 3);
  assert.equal(await page.evaluate(() => window.meshwork.deviceList['node//icon3'].icon), 3);
  saveArtifact('device-icon-picker-disabled.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});
