// Browser end-to-end: the server serves the WebAssembly app over HTTPS; after login the app connects
// to the control channel and draws its header (server name, version, user) and the My Devices
// window, and the pixels of a real headless-Chromium screenshot show them (not a blank canvas).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, saveArtifact, decodePng, login } from './lib/harness.mjs';

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

test('app draws its header and the My Devices window from the control channel', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1024, height: 640 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await login(page, server.url);
  // The app reports idle once it has drawn its latest state: then the pixels are final.
  await page.waitForFunction(
    () => window.meshwork && window.meshwork.serverName && window.meshwork.connected && window.meshwork.idle,
    null, { timeout: 30000 });
  const state = await page.evaluate(() => ({ ...window.meshwork }));
  assert.equal(state.serverName, '127.0.0.1');
  assert.match(state.version, /^\d+\.\d+\.\d+$/);

  const shot = await page.screenshot({ type: 'png' });
  saveArtifact('app-serverinfo.png', shot);
  const img = decodePng(shot);
  assert.equal(img.width, 1024);
  // Clear colour of the app background is (18, 20, 26); the header and the window are drawn over it.
  const bg = [18, 20, 26];
  const near = (p, c, tol = 6) => Math.abs(p[0] - c[0]) <= tol && Math.abs(p[1] - c[1]) <= tol && Math.abs(p[2] - c[2]) <= tol;
  let background = 0;
  const colours = new Set();
  for (let y = 0; y < img.height; y += 2) {
    for (let x = 0; x < img.width; x += 2) {
      const p = img.pixel(x, y);
      if (near(p, bg)) background++;
      colours.add((p[0] << 16) | (p[1] << 8) | p[2]);
    }
  }
  const total = (img.width / 2) * (img.height / 2);
  assert.ok(background > total * 0.3, `background should remain visible (${background}/${total})`);
  assert.ok(background < total * 0.97, `something must be drawn over the background (${background}/${total})`);
  // Anti-aliased text gives many distinct colours; a blank or flat canvas gives a handful.
  assert.ok(colours.size > 40, `expected text and widgets, saw ${colours.size} colours`);
  // The My Devices window's title bar (active title colour 46,84,133) spans most of the page.
  let title = 0;
  for (let x = 0; x < img.width; x++) {
    for (let y = 0; y < img.height; y += 1) {
      if (near(img.pixel(x, y), [46, 84, 133], 10)) { title++; break; }
    }
  }
  assert.ok(title > 700, `My Devices title bar should be drawn (${title} columns)`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a HiDPI screen the canvas has device pixels and the text stays sharp', async () => {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, viewport: { width: 800, height: 500 }, deviceScaleFactor: 2,
  });
  const page = await context.newPage();
  await login(page, server.url);
  await page.waitForFunction(() => window.meshwork && window.meshwork.serverName && window.meshwork.idle,
    null, { timeout: 30000 });
  const dims = await page.evaluate(() => {
    const c = document.getElementById('canvas');
    return { w: c.width, h: c.height, cssW: c.clientWidth, cssH: c.clientHeight, scale: window.meshwork.scale };
  });
  assert.equal(dims.scale, 2);
  assert.equal(dims.w, dims.cssW * 2);
  assert.equal(dims.h, dims.cssH * 2);
  const shot = await page.screenshot({ type: 'png' });
  saveArtifact('app-serverinfo-hidpi.png', shot);
  const img = decodePng(shot);
  assert.equal(img.width, 1600);
  // The window's title bar is as wide, relative to the page, as at 1x: the layout scaled.
  let title = 0;
  for (let x = 0; x < img.width; x++) {
    for (let y = 0; y < img.height; y++) {
      const p = img.pixel(x, y);
      if (Math.abs(p[0] - 46) <= 10 && Math.abs(p[1] - 84) <= 10 && Math.abs(p[2] - 133) <= 10) { title++; break; }
    }
  }
  assert.ok(title > 900, `title bar should span the scaled window (${title} columns)`);
  await context.close();
});

test('an idle app draws nothing until something changes', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 800, height: 500 } });
  const page = await context.newPage();
  await login(page, server.url);
  await page.waitForFunction(() => window.meshwork && window.meshwork.serverName && window.meshwork.idle,
    null, { timeout: 30000 });
  // Answers to the app's first requests (groups, devices) may still arrive on a loaded machine and
  // rightly draw a few frames: settle once more before measuring.
  await page.waitForTimeout(500);
  await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 10000 });
  const before = await page.evaluate(() => window.meshwork.frames);
  await page.waitForTimeout(700);
  assert.equal(await page.evaluate(() => window.meshwork.frames), before, 'no frames drawn while idle');
  // Input wakes it: a mouse move over the canvas draws a few frames, then it rests again.
  await page.mouse.move(400, 250);
  await page.mouse.move(420, 260);
  await page.waitForFunction((n) => window.meshwork.frames > n, before, { timeout: 5000 });
  await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 5000 });
  await context.close();
});
