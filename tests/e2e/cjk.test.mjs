// Browser end-to-end: Chinese, Japanese and Korean text. The app's fonts are DejaVu; CJK comes
// from a fallback font (Droid Sans Fallback) the app fetches only when text needs it, then merges
// into its font atlas. A device named "会议室-电脑" in a group named "서버": the fallback is not
// fetched before those names arrive, is fetched once when they do, and their glyphs are in the
// atlas (default and monospace fonts) and drawn; a later name with new characters rebuilds the
// atlas without fetching again. In the device's terminal (a real agent's shell), wide characters
// take two cells each and the text after them stays on the grid.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { startServer, startAgent, launchBrowser, saveArtifact, login, clickButton, control, decodePng, adminWithGroup }
  from './lib/harness.mjs';

const GROUP = 'mesh//CjkGroup00000000000000000000000000000000000000000000000000000000';
const DEVICE = '会议室-电脑';
const GROUP_NAME = '서버';
const cps = (s) => [...s].map((c) => c.codePointAt(0)).filter((c) => c > 0x7F);

let server;
let browser;
let agent;
let nodeid;

before(async () => {
  server = await startServer([], { importDocs: adminWithGroup(GROUP, 'Lab', 2) });
  browser = await launchBrowser();
  agent = await startAgent(server, GROUP);
  const nodes = await control(server.port, { action: 'nodes' }, 'nodes');
  nodeid = Object.values(nodes.nodes).flat()[0]._id;
});

after(async () => {
  if (agent) agent.stop();
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});

// Bright pixels (text) in a rectangle of CSS pixels.
function ink(png, [x, y, w, h]) {
  let n = 0;
  for (let j = Math.round(y); j < Math.round(y + h); ++j) {
    for (let i = Math.round(x); i < Math.round(x + w); ++i) {
      const [r, g, b] = png.pixel(i, j);
      if (r + g + b > 330) ++n;
    }
  }
  return n;
}

test('CJK names: the fallback font is fetched only when they arrive, once, and their glyphs are drawn', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const fetched = [];
  page.on('request', (r) => { if (r.url().includes('DroidSansFallback')) fetched.push(r.url()); });
  await login(page, server.url);
  await page.waitForFunction(() => window.meshwork && window.meshwork.devices === 1 && window.meshwork.idle, null, { timeout: 30000 });
  await page.waitForTimeout(1000);  // time enough for a fetch, were one started
  assert.deepEqual(fetched, [], 'no CJK text yet: the fallback font is not fetched');
  let fonts = await page.evaluate(() => window.meshwork.fonts);
  assert.equal(fonts.fallback, 'none');
  assert.equal(await page.evaluate(() => window.meshwork.atlasHas(0x4F1A)), 0, '会 is not in the atlas yet');
  assert.equal(await page.evaluate(() => window.meshwork.atlasHas(0x41)), 3, 'A is, in both fonts');

  // Another client names the device and the group: the app receives CJK text.
  assert.equal((await control(server.port, { action: 'changedevice', nodeid, name: DEVICE }, 'changedevice')).result, 'ok');
  assert.equal((await control(server.port, { action: 'editmesh', meshid: GROUP, meshname: GROUP_NAME }, 'editmesh')).result, 'ok');
  const wanted = cps(DEVICE + GROUP_NAME);
  await page.waitForFunction(([name, group, list]) => (window.meshwork.deviceNames || []).includes(name) &&
    window.meshwork.admin.groups[group] && window.meshwork.fonts.fallback === 'loaded' &&
    list.every((cp) => window.meshwork.atlasHas(cp) === 3) && window.meshwork.idle,
  [DEVICE, GROUP_NAME, wanted], { timeout: 30000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => window.meshwork.fonts))}`); });
  assert.equal(fetched.length, 1, 'fetched once');
  fonts = await page.evaluate(() => window.meshwork.fonts);
  assert.equal(fonts.extra, wanted.length, 'the atlas holds what was seen, not the whole font');
  const shot = await page.screenshot({ type: 'png' });
  saveArtifact('cjk-names.png', shot);
  // Drawn as glyphs, not as "?": six CJK glyphs carry several times the ink of six "?" (about 20
  // bright pixels each at this size).
  const buttons = await page.evaluate(() => window.meshwork.buttons);
  const png = decodePng(shot);
  const cjkInk = ink(png, buttons[`device:${DEVICE}`]);
  assert.ok(cjkInk > 200, `the name's glyphs carry ${cjkInk} bright pixels`);

  // New characters later: the atlas is rebuilt with them; the font is not fetched again.
  const builds = fonts.builds;
  assert.equal((await control(server.port, { action: 'changedevice', nodeid, name: `${DEVICE}二楼` }, 'changedevice')).result, 'ok');
  await page.waitForFunction((b) => window.meshwork.fonts.builds > b && window.meshwork.atlasHas(0x4E8C) === 3 &&
    window.meshwork.atlasHas(0x697C) === 3 && window.meshwork.idle, builds, { timeout: 20000 });
  assert.equal(fetched.length, 1, 'still fetched once');
  saveArtifact('cjk-names-more.png', await page.screenshot({ type: 'png' }));
  assert.equal((await control(server.port, { action: 'changedevice', nodeid, name: DEVICE }, 'changedevice')).result, 'ok');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a terminal draws wide characters across two cells each', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  await page.waitForFunction((n) => window.meshwork && (window.meshwork.deviceNames || []).includes(n) && window.meshwork.idle, DEVICE,
    { timeout: 30000 });
  await clickButton(page, `terminal:${DEVICE}`);
  await page.waitForFunction(() => window.meshwork.terminals && window.meshwork.terminals.length === 1 &&
    window.meshwork.terminals[0].ready && window.meshwork.terminals[0].text.trim().length > 0, null, { timeout: 30000 });
  // 会议室 (UTF-8 in octal, so that only ASCII is typed), then the cursor to column 7 and a "#":
  // with two cells per character the "#" follows 室 directly; with one it would stand apart.
  await page.keyboard.type("printf '\\344\\274\\232\\350\\256\\256\\345\\256\\244\\033[7G#\\n'");
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^会议室#$/m.test(window.meshwork.terminals[0].text) &&
    window.meshwork.fonts.fallback === 'loaded' && window.meshwork.atlasHas(0x5BA4) & 2 && window.meshwork.idle, null, { timeout: 20000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${await page.evaluate(() => window.meshwork.terminals[0].text)}`); });
  const term = await page.evaluate(() => window.meshwork.terminals[0]);
  const shot = await page.screenshot({ type: 'png' });
  saveArtifact('cjk-terminal.png', shot);
  const png = decodePng(shot);
  const [sx, sy, sw, sh] = term.screen;
  const cw = sw / term.cols, ch = sh / term.rows;
  const row = term.text.split('\n').findIndex((l) => l === '会议室#');
  const cell = (c, n = 1) => ink(png, [sx + c * cw, sy + row * ch, cw * n, ch]);
  // Each glyph is centred on its two cells: ink in both halves of each pair.
  for (let c = 0; c < 6; ++c) assert.ok(cell(c) > 4, `cell ${c} has ink (${cell(c)})\n${term.text}`);
  // The "#" in cell 6, as the terminal put it; nothing after it.
  assert.ok(cell(6) > 4, `the "#" is drawn in cell 6 (${cell(6)}; cell 5: ${cell(5)})`);
  assert.equal(cell(7, 6), 0, 'nothing is drawn after the "#"');
  assert.deepEqual(errors, []);
  await context.close();
});
