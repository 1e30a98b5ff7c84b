// Browser end-to-end: Meshwork embedded in another site's page. A page served from a second
// origin (http://127.0.0.2) holds an iframe of https://127.0.0.1/?login=TOKEN&viewmode=11&hide=31
// &node=ID: with AllowFraming and AllowLoginToken the frame logs in by the token and shows only
// that device's desktop (no header, no title, no device list), which the test finds drawn; the
// browser sends no session cookie to a cross-site frame, so this also proves the page's own
// session reaches the WebSockets. With AllowFraming off the browser refuses to show the frame.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { hostname } from 'node:os';
import { startServer, startAgent, startXvfb, launchBrowser, saveArtifact, decodePng, adminWithGroup, freePort }
  from './lib/harness.mjs';

const GROUP = 'mesh//EmbedGroup000000000000000000000000000000000000000000000000000000';
const ROOT = [40, 160, 90];  // xsetroot -solid '#28a05a'

let framing;   // AllowFraming on
let denying;   // AllowFraming off (the default)
let browser;
let agent;
let x;
let site;      // the other site's web server
let sitePort;

function tokenOf(server) {
  const printed = server.setupOutputs[1].split('\n')[0].trim();
  assert.match(printed, /^[A-Za-z0-9_\-@$]+=*$/, server.setupOutputs[1]);
  return printed;
}

before(async () => {
  const setup = [['--logintokenkey'], ['--logintoken', 'user//admin']];
  framing = await startServer(['--allowframing', 'true', '--allowlogintoken', 'true'],
    { importDocs: adminWithGroup(GROUP, 'Embedded', 2), setup });
  denying = await startServer(['--allowlogintoken', 'true'], { importDocs: adminWithGroup(GROUP, 'Embedded', 2), setup });
  browser = await launchBrowser();
  x = await startXvfb('640x480x24');
  await new Promise((resolve, reject) => {
    const p = spawn('xsetroot', ['-solid', '#28a05a'], { env: x.env });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xsetroot ${code}`))));
  });
  agent = await startAgent(framing, GROUP, `Display=${x.display}\n`);
  // The other site: one page with the iframe given in its query.
  sitePort = await freePort();
  site = http.createServer((req, res) => {
    const src = new URL(req.url, 'http://127.0.0.2').searchParams.get('src') || '';
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><body style="margin:0;background:#fff"><h1 style="font:16px sans-serif;margin:8px">' +
      'Business site</h1><iframe id="mw" style="position:absolute;left:40px;top:40px;border:0" width="800" height="600" src="' +
      src.replace(/"/g, '&quot;') + '"></iframe></body></html>');
  });
  await new Promise((resolve) => site.listen(sitePort, '127.0.0.2', resolve));
});

after(async () => {
  if (agent) agent.stop();
  if (x) x.stop();
  if (site) site.close();
  if (browser) await browser.close();
  for (const s of [framing, denying]) {
    if (!s) continue;
    const { code } = await s.stop();
    assert.equal(code, 0, `server exit code\n${s.output()}`);
  }
});

async function frameOf(page) {
  const handle = await page.waitForSelector('#mw');
  return handle.contentFrame();
}

test('an embedded desktop on another site: login token, viewmode 11, everything else hidden', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The device id as meshctrl shows it (after node//), from the agent's record.
  const probe = await context.newPage();
  await probe.goto(`${framing.url}?login=${tokenOf(framing)}`);
  await probe.waitForFunction((n) => window.meshwork && window.meshwork.deviceStates && window.meshwork.deviceStates[n] &&
    window.meshwork.deviceStates[n].conn === 1, hostname(), { timeout: 30000 });
  const nodeid = await probe.evaluate((n) => window.meshwork.deviceStates[n].id, hostname());
  await probe.close();
  const node = nodeid.slice(nodeid.lastIndexOf('/') + 1);

  const src = `${framing.url}?login=${encodeURIComponent(tokenOf(framing))}&viewmode=11&hide=31&node=${encodeURIComponent(node)}`;
  await page.goto(`http://127.0.0.2:${sitePort}/?src=${encodeURIComponent(src)}`);
  const frame = await frameOf(page);
  await frame.waitForFunction(() => window.meshwork && window.meshwork.singleView && window.meshwork.desktops &&
    window.meshwork.desktops.length === 1 && window.meshwork.desktops[0].ready && window.meshwork.desktops[0].updates > 0 &&
    window.meshwork.desktops[0].screen[2] > 0 && window.meshwork.idle, null, { timeout: 30000 });
  const d = await frame.evaluate(() => window.meshwork.desktops[0]);
  const buttons = await frame.evaluate(() => Object.keys(window.meshwork.buttons));
  // Only the desktop: no device list (its buttons), no header; the screen fills the frame's width.
  assert.deepEqual(buttons.filter((b) => /^(desktop|terminal|files|addagent):/.test(b)), []);
  assert.equal(d.nodeid, nodeid);
  assert.ok(d.screen[1] < 80, `the desktop starts at the top of the frame: ${d.screen}`);
  assert.ok(d.screen[2] > 600, `the desktop fills the frame: ${d.screen}`);
  // The cross-site frame got no cookie: its WebSockets used the page's own session.
  const cookies = await context.cookies(framing.url);
  const shot = await page.screenshot({ type: 'png' });
  saveArtifact('embed-desktop.png', shot);
  const png = decodePng(shot);
  const [fx, fy] = [d.screen[0] + d.screen[2] / 2, d.screen[1] + d.screen[3] / 2];
  const pixel = png.pixel(Math.floor(40 + fx), Math.floor(40 + fy)).slice(0, 3);
  assert.ok(pixel.every((v, i) => Math.abs(v - ROOT[i]) <= 3), `the remote screen's colour in the frame: ${pixel} (cookies ${cookies.length})`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('with AllowFraming off the browser refuses the frame', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  const src = `${denying.url}?login=${encodeURIComponent(tokenOf(denying))}&viewmode=11&hide=31`;
  const answered = page.waitForResponse((r) => r.url().startsWith(denying.url), { timeout: 20000 });
  await page.goto(`http://127.0.0.2:${sitePort}/?src=${encodeURIComponent(src)}`);
  const response = await answered;
  assert.equal(response.headers()['x-frame-options'], 'DENY');
  assert.match(response.headers()['content-security-policy'], /frame-ancestors 'none'/);
  const frame = await frameOf(page);
  await page.waitForTimeout(1000);
  // The frame holds the browser's error page, never the app.
  assert.equal(await frame.evaluate(() => typeof window.meshwork).catch(() => 'unreachable') === 'object', false);
  assert.notEqual(frame.url(), src);
  saveArtifact('embed-refused.png', await page.screenshot({ type: 'png' }));
  await context.close();
});
