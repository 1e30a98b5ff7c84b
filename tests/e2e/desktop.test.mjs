// Browser end-to-end: an agent's remote desktop. A private Xvfb shows a known screen (a solid
// root colour and an xev window that prints the input it receives); meshwork-agent serves that
// display; the administrator clicks Desktop in My Devices. The test finds the drawn colours in a
// screenshot of the page at the places the remote screen's coordinates map to, then clicks and
// types into the xev window through the browser and reads what xev received.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, startAgent, startXvfb, launchBrowser, saveArtifact, login, decodePng, adminWithGroup, clickButton }
  from './lib/harness.mjs';

const GROUP = 'mesh//DeskGroup0000000000000000000000000000000000000000000000000000000';
const ROOT = [200, 50, 20];             // xsetroot -solid '#c83214'
const XEV = { x: 400, y: 300, w: 200, h: 150 };  // xev's window (white), by its geometry


function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}: ${err}`))));
  });
}

let server;
let browser;
let agent;
let x;
let xev;
let xevOut = '';

before(async () => {
  server = await startServer([], { importDocs: adminWithGroup(GROUP, 'Desktops', 2) });
  browser = await launchBrowser();
  x = await startXvfb('640x480x24');
  await run('xsetroot', ['-solid', '#c83214'], x.env);
  // Two monitors side by side (RandR 1.5), for the display choice.
  await run('xrandr', ['--setmonitor', 'LEFT', '320/85x480/127+0+0', 'none'], x.env);
  await run('xrandr', ['--setmonitor', 'RIGHT', '320/85x480/127+320+0', 'none'], x.env);
  xev = spawn('xev', ['-geometry', `${XEV.w}x${XEV.h}+${XEV.x}+${XEV.y}`, '-event', 'button', '-event', 'keyboard'],
    { env: x.env, stdio: ['ignore', 'pipe', 'ignore'] });
  xev.stdout.on('data', (d) => { xevOut += d; });
  agent = await startAgent(server, GROUP, `Display=${x.display}\n`);
});

after(async () => {
  if (agent) agent.stop();
  if (xev) xev.kill('SIGTERM');
  if (x) x.stop();
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});

async function until(predicate, what, ms = 15000) {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A page logged in as the administrator with the agent's desktop open and its first update drawn.
async function openDesktop({ clipboard = false } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  await clickButton(page, `desktop:${hostname()}`);
  await page.waitForFunction(() => window.meshwork.desktops && window.meshwork.desktops.length === 1 &&
    window.meshwork.desktops[0].ready && window.meshwork.desktops[0].updates > 0 && window.meshwork.desktops[0].screen[2] > 0,
  null, { timeout: 30000 });
  return { context, page, errors };
}

test('the agent desktop: known pixels on the page, pointer and keys reach the X display', async () => {
  const { context, page, errors } = await openDesktop();
  // Settled: the first full update is drawn and nothing changes any more.
  await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 20000 });
  const d = await page.evaluate(() => window.meshwork.desktops[0]);
  assert.equal(d.width, 640);
  assert.equal(d.height, 480);
  assert.equal(d.kind, 'agent');
  const scale = await page.evaluate(() => window.meshwork.scale);
  // Remote screen coordinates → page (CSS) coordinates.
  const toPage = (fx, fy) => [d.screen[0] + (fx + 0.5) * d.screen[2] / d.width, d.screen[1] + (fy + 0.5) * d.screen[3] / d.height];

  const shot = await page.screenshot({ type: 'png' });
  saveArtifact('desktop.png', shot);
  const png = decodePng(shot);
  const at = (fx, fy) => {
    const [px, py] = toPage(fx, fy);
    return png.pixel(Math.floor(px * scale), Math.floor(py * scale)).slice(0, 3);
  };
  const near = (got, want) => got.every((v, i) => Math.abs(v - want[i]) <= 3);
  for (const [fx, fy] of [[40, 40], [320, 100], [600, 40], [40, 440], [200, 400]]) {
    assert.ok(near(at(fx, fy), ROOT), `root colour at (${fx},${fy}): ${at(fx, fy)}`);
  }
  for (const [fx, fy] of [[XEV.x + 150, XEV.y + 100], [XEV.x + 180, XEV.y + 30], [XEV.x + 100, XEV.y + 130]]) {
    assert.ok(near(at(fx, fy), [255, 255, 255]), `xev's white window at (${fx},${fy}): ${at(fx, fy)}`);
  }

  // A click in the xev window, through the browser: X delivers it there at the same place.
  const [cx, cy] = toPage(XEV.x + 150, XEV.y + 100);
  await page.mouse.click(cx, cy);
  await until(() => /ButtonRelease event/.test(xevOut), 'xev to report the click');
  // Where the remote pixel under the page point is: exact up to the rounding of a scaled screen
  // (the browser delivers whole CSS pixels).
  const press = /ButtonPress event[^]*?root:\((\d+),(\d+)\),\s+state 0x0, button 1,/.exec(xevOut);
  assert.ok(press, xevOut);
  assert.ok(Math.abs(Number(press[1]) - 550) <= 1 && Math.abs(Number(press[2]) - 400) <= 1, `click at ${press[1]},${press[2]}`);
  // Keys go to the display while the desktop window has the keyboard.
  await page.keyboard.press('q');
  await page.keyboard.press('Shift+KeyW');
  await until(() => /keysym 0x57, W/.test(xevOut), 'xev to report the keys');
  assert.match(xevOut, /KeyPress event[^]*?keysym 0x71, q\)/);
  assert.match(xevOut, /KeyPress event[^]*?keysym 0xffe1, Shift_L\)/);

  // Full screen: the desktop covers the page (no header, no other window), larger; the pixels
  // are still where the remote screen has them. The same button brings the window back.
  await clickButton(page, `desktop-fullscreen:${hostname()}`);
  await page.waitForFunction((h) => { const x = window.meshwork.desktops[0];
    return x.fullscreen && x.screen[3] > h + 60 && window.meshwork.idle; }, d.screen[3], { timeout: 10000 });
  const big = await page.evaluate(() => window.meshwork.desktops[0]);
  assert.ok(big.screen[1] < 60, `full screen starts at the top: ${big.screen}`);
  assert.ok(Math.abs(big.screen[2] / big.screen[3] - 640 / 480) < 0.01, `aspect kept: ${big.screen}`);
  const fullShot = decodePng(await page.screenshot({ type: 'png' }));
  saveArtifact('desktop-fullscreen.png', await page.screenshot({ type: 'png' }));
  const bigAt = (fx, fy) => {
    const px = big.screen[0] + (fx + 0.5) * big.screen[2] / 640, py = big.screen[1] + (fy + 0.5) * big.screen[3] / 480;
    return fullShot.pixel(Math.floor(px * scale), Math.floor(py * scale)).slice(0, 3);
  };
  assert.ok(near(bigAt(40, 440), ROOT), `root colour in full screen: ${bigAt(40, 440)}`);
  assert.ok(near(bigAt(XEV.x + 150, XEV.y + 100), [255, 255, 255]), `xev in full screen: ${bigAt(XEV.x + 150, XEV.y + 100)}`);
  await clickButton(page, `desktop-fullscreen:${hostname()}`);
  await page.waitForFunction((r) => { const x = window.meshwork.desktops[0];
    return !x.fullscreen && Math.abs(x.screen[3] - r[3]) < 2 && Math.abs(x.screen[1] - r[1]) < 2 && window.meshwork.idle; },
  d.screen, { timeout: 10000 });
  assert.deepEqual(errors, []);
  await context.close();
});

function output(cmd, args, env) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', () => resolve(out));
  });
}

test('the agent desktop clipboard: the remote one reaches the browser, Ctrl+V sends the browser\'s', async () => {
  const { context, page, errors } = await openDesktop({ clipboard: true });

  // A program on the remote display copies text (xclip serves it until another owner comes).
  const remote = 'Remote \u2713 \u65e5\u672c\nsecond line';
  const file = join(mkdtempSync(join(tmpdir(), 'mw-clip-')), 'clip.txt');
  writeFileSync(file, remote);
  const copier = spawn('xclip', ['-quiet', '-i', '-selection', 'clipboard', file], { env: x.env, stdio: 'ignore' });
  try {
    await page.waitForFunction((t) => window.meshwork.desktops[0].clipboard === t, remote, { timeout: 15000 });
    // "Copy automatically" put it on this computer's clipboard.
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), remote);
  } finally {
    copier.kill('SIGTERM');
  }

  // Ctrl+V in the desktop: the browser's clipboard becomes the remote one before the keys arrive.
  const local = 'Pasted from the browser: \u00fc\u00df \u20ac';
  await page.evaluate((t) => navigator.clipboard.writeText(t), local);
  const d = await page.evaluate(() => window.meshwork.desktops[0]);
  await page.mouse.click(d.screen[0] + 20, d.screen[1] + 20);
  await page.keyboard.press('Control+V');
  let got = '';
  for (let i = 0; i < 100 && got !== local; ++i) {
    await new Promise((r) => setTimeout(r, 100));
    got = await output('xclip', ['-o', '-selection', 'clipboard', '-t', 'UTF8_STRING'], x.env);
  }
  assert.equal(got, local);

  // The Clipboard panel shows the remote text and sends typed text.
  await clickButton(page, `desktop-clipboard:${hostname()}`);
  await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 10000 });
  saveArtifact('desktop-clipboard.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});

test('several monitors: the display list opens each in its own window, showing its part of the screen', async () => {
  const { context, page, errors } = await openDesktop();
  await page.waitForFunction(() => window.meshwork.desktops[0].displays.length >= 3, null, { timeout: 30000 });
  const all = await page.evaluate(() => window.meshwork.desktops[0]);
  assert.equal(all.display, 0);
  assert.deepEqual(all.displays.slice(0, 1).map((d) => d.name), ['All displays']);
  const right = all.displays.find((d) => d.name === 'RIGHT');
  assert.ok(right, JSON.stringify(all.displays));

  await clickButton(page, `desktop-displays:${hostname()}`);
  await clickButton(page, `desktop-display:${hostname()}:RIGHT`);
  await page.waitForFunction((id) => window.meshwork.desktops.length === 2 && window.meshwork.desktops[1].display === id &&
    window.meshwork.desktops[1].ready && window.meshwork.desktops[1].updates > 0 && window.meshwork.desktops[1].screen[2] > 0,
  right.id, { timeout: 30000 });
  await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 20000 });
  const d = await page.evaluate(() => window.meshwork.desktops[1]);
  assert.equal(d.width, 320);
  assert.equal(d.height, 480);
  const scale = await page.evaluate(() => window.meshwork.scale);
  const shot = await page.screenshot({ type: 'png' });
  saveArtifact('desktop-monitor.png', shot);
  const png = decodePng(shot);
  const at = (fx, fy) => {
    const px = d.screen[0] + (fx + 0.5) * d.screen[2] / d.width, py = d.screen[1] + (fy + 0.5) * d.screen[3] / d.height;
    return png.pixel(Math.floor(px * scale), Math.floor(py * scale)).slice(0, 3);
  };
  const near = (got, want) => got.every((v, i) => Math.abs(v - want[i]) <= 3);
  // xev's white window (x 400..600 on the screen) is at 80..280 on the right monitor.
  assert.ok(near(at(180, 370), [255, 255, 255]), `xev's window on the right monitor: ${at(180, 370)}`);
  assert.ok(near(at(20, 20), ROOT), `root colour on the right monitor: ${at(20, 20)}`);
  assert.ok(near(at(300, 460), ROOT), `root colour on the right monitor: ${at(300, 460)}`);
  assert.deepEqual(errors, []);
  await context.close();
});

// Last (its window stays until the display ends): "Message..." on the device's page, a message
// box, which the agent shows on its display (xmessage here), titled as typed.
test('a message box for the person at the computer, from the device page', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  await clickButton(page, `device:${hostname()}`);
  await clickButton(page, `page-message:${hostname()}`);
  await clickButton(page, 'notify-kind:box');
  const typeInto = async (field, text) => {
    await clickButton(page, field);
    // Typed once the app is idle: the field has had the frame that gives it the keyboard.
    await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 10000 });
    await page.keyboard.type(text);
  };
  await typeInto('notify-title', 'Service desk');
  await typeInto('notify-text', 'Your computer restarts at noon.');
  await clickButton(page, 'notify-send');
  const windows = () => new Promise((resolve) => {
    const p = spawn('xwininfo', ['-root', '-tree'], { env: x.env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', () => resolve(out));
  });
  let tree = '';
  for (let i = 0; i < 100 && !tree.includes('"Service desk"'); ++i) {
    tree = await windows();
    if (!tree.includes('"Service desk"')) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(tree.includes('"Service desk"'), `no "Service desk" window on the agent's display:\n${tree}\n${agent.log()}`);
  assert.match(agent.log(), /message box from admin shown/);
  saveArtifact('device-message.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});
