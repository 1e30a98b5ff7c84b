// Browser end-to-end: an Intel AMT computer with no agent. amtsim (the project's AMT simulator)
// connects to the server's MPS over CIRA; the device appears in My Devices within seconds; its
// Serial-over-LAN console shows the simulated system's login prompt and takes typed commands, and
// its KVM shows the desktop amtsim draws: the test finds its colours in a screenshot of the page.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startServer, launchBrowser, saveArtifact, login, decodePng, adminWithGroup, clickButton, buildDir, control, startCiraSim }
  from './lib/harness.mjs';

// The CIRA user name is the group id's first 16 characters after mesh/<domain>/ (MeshCentral's rule).
const GROUP = 'mesh//AmtE2eGroup000000000000000000000000000000000000000000000000000000';
const CIRA_USER = 'AmtE2eGroup00000';
const MPS_PASS = 'E2e-Cira-Pass-1';
const AMT_PASS = 'P@ssw0rd-e2e';


let server;
let browser;
let sim;
let device;

before(async () => {
  server = await startServer([], { importDocs: adminWithGroup(GROUP, 'AMT lab', 1), mps: { password: MPS_PASS } });
  assert.ok(server.mpsPort > 0, server.output());
  browser = await launchBrowser();
  sim = await startCiraSim(server, { ciraUser: CIRA_USER, mpsPass: MPS_PASS, amtPass: AMT_PASS });
  // The device record, then its Intel AMT credentials (stored sealed; the browser never sees them).
  const nodes = await control(server.port, { action: 'nodes' }, 'nodes');
  device = nodes.nodes[GROUP][0];
  assert.ok(device, JSON.stringify(nodes));
  const done = await control(server.port, { action: 'changedevice', nodeid: device._id, intelamt: { user: 'admin', pass: AMT_PASS } },
    'changedevice');
  assert.equal(done.result, 'ok', JSON.stringify(done));
});

after(async () => {
  if (sim) sim.stop();
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});


test('Serial-over-LAN: the simulated console\'s login prompt, and a command typed into it', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await login(page, server.url);
  const name = (await control(server.port, { action: 'nodes' }, 'nodes')).nodes[GROUP][0].name;
  await clickButton(page, `serial:${name}`);
  await page.waitForFunction(() => window.meshwork.terminals && window.meshwork.terminals.length === 1 &&
    window.meshwork.terminals[0].ready, null, { timeout: 30000 });
  await page.waitForFunction(() => /amtsim-1 login:/.test(window.meshwork.terminals[0].text), null, { timeout: 30000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => window.meshwork.terminals))}`); });
  await page.keyboard.type('operator');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /operator@amtsim-1:~\$/.test(window.meshwork.terminals[0].text), null, { timeout: 20000 });
  await page.keyboard.type('hostname');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /\namtsim-1\s*\n/.test(window.meshwork.terminals[0].text), null, { timeout: 20000 });
  saveArtifact('amt-sol.png', await page.screenshot({ type: 'png' }));
  await context.close();
});

test('KVM: the desktop amtsim draws, found on the page at the places its pixels map to', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  const name = (await control(server.port, { action: 'nodes' }, 'nodes')).nodes[GROUP][0].name;
  await clickButton(page, `kvm:${name}`);
  await page.waitForFunction(() => window.meshwork.desktops && window.meshwork.desktops.length === 1 &&
    window.meshwork.desktops[0].ready && window.meshwork.desktops[0].updates > 0 && window.meshwork.desktops[0].screen[2] > 0,
  null, { timeout: 30000 });
  const d = await page.evaluate(() => window.meshwork.desktops[0]);
  assert.equal(d.kind, 'amt');
  assert.equal(d.width, 1024);
  assert.equal(d.height, 768);
  const scale = await page.evaluate(() => window.meshwork.scale);
  const shot = await page.screenshot({ type: 'png' });
  saveArtifact('amt-kvm.png', shot);
  const png = decodePng(shot);
  const at = (fx, fy) => {
    const px = d.screen[0] + (fx + 0.5) * d.screen[2] / d.width;
    const py = d.screen[1] + (fy + 0.5) * d.screen[3] / d.height;
    return png.pixel(Math.floor(px * scale), Math.floor(py * scale)).slice(0, 3);
  };
  // amtsim's desktop (tools/amtsim/screen.cpp); AMT may send 16 bits per pixel, hence the tolerance.
  const near = (got, want) => got.every((v, i) => Math.abs(v - want[i]) <= 6);
  const expect = [
    [[400, 750], [32, 32, 40], 'taskbar'],
    [[700, 130], [40, 90, 170], 'window title bar'],
    [[700, 350], [230, 230, 230], 'window'],
    [[10, 738], [40, 140, 70], 'start button'],
  ];
  for (const [[fx, fy], want, what] of expect) {
    assert.ok(near(at(fx, fy), want), `${what} at (${fx},${fy}): ${at(fx, fy)}, want ${want}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('power off from the Power menu, confirmed; the device\'s state changes live in My Devices', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await login(page, server.url);
  const name = (await control(server.port, { action: 'nodes' }, 'nodes')).nodes[GROUP][0].name;
  // On, as the server read it from the simulated Intel AMT.
  await page.waitForFunction((n) => window.meshwork.deviceStates && window.meshwork.deviceStates[n] &&
    window.meshwork.deviceStates[n].pwr === 1, name, { timeout: 30000 });
  await clickButton(page, `power:${name}`);
  await clickButton(page, 'power-action:Power off');
  await clickButton(page, 'power-confirm');
  // The server carries out the action, reads the new state back and pushes it: no reload.
  await page.waitForFunction((n) => window.meshwork.deviceStates[n].pwr === 6, name, { timeout: 30000 });
  saveArtifact('amt-power-off.png', await page.screenshot({ type: 'png' }));
  // And on again.
  await clickButton(page, `power:${name}`);
  await clickButton(page, 'power-action:Power on');
  await clickButton(page, 'power-confirm');
  await page.waitForFunction((n) => window.meshwork.deviceStates[n].pwr === 1, name, { timeout: 30000 });
  await context.close();
});

test('Intel AMT tab (viewmode 14): hardware, event log, and the audit log naming the power actions', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  const id = device._id.slice(device._id.lastIndexOf('/') + 1);
  await page.goto(`${server.url}?viewmode=14&node=${encodeURIComponent(id)}`);
  await page.waitForFunction(() => { const p = ((window.meshwork && window.meshwork.devicePages) || [])[0];
    return p && p.amt && p.amt.hardware && p.amt.events && p.amt.audit; }, null, { timeout: 30000 });
  const a = await page.evaluate(() => window.meshwork.devicePages[0].amt);
  // What amtsim's WS-Management reports, read by the server over the CIRA connection.
  assert.equal(a.hardwareResult, 'ok');
  assert.equal(a.hardware.chassis, 'AMT Simulator');
  assert.equal(a.hardware.board, 'AMTSIM-BOARD');
  assert.equal(a.hardware.bios, 'MWSIM.1.0');
  assert.equal(a.hardware.processors, 1);
  assert.equal(a.hardware.memory, 2);
  assert.ok(a.events.includes('BIOS: Memory initialization.'), JSON.stringify(a.events));
  // The power actions of the test before were made with the stored credentials: Intel AMT logged them.
  assert.ok(a.audit.includes('RCO: Performed Power Down by admin'), JSON.stringify(a.audit));
  assert.ok(a.audit.includes('RCO: Performed Power Up by admin'), JSON.stringify(a.audit));
  assert.ok(a.audit.indexOf('RCO: Performed Power Up by admin') < a.audit.indexOf('RCO: Performed Power Down by admin'),
    'newest first');
  saveArtifact('amt-tab.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});

test('Add Intel AMT device: the CIRA settings to configure, and a computer on the LAN added by its address', async () => {
  // A second simulated computer, on the LAN only (its own loopback address), configured for TLS:
  // only 16993 and 16995 answer, with a self-signed certificate.
  const lan = spawn(path.join(buildDir, 'bin', 'amtsim'), ['--mode', 'lan', '--tls', '--count', '1', '--first-ip', '127.0.0.94',
    '--amt-pass', AMT_PASS, '--seed', 'e2e-lan'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lanOut = '';
  lan.stdout.on('data', (d) => { lanOut += d; });
  lan.stderr.on('data', (d) => { lanOut += d; });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  try {
    for (const end = Date.now() + 30000; !/^ready$/m.test(lanOut);) {
      if (Date.now() > end) throw new Error(`amtsim (LAN) did not start:\n${lanOut}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await login(page, server.url);
    await clickButton(page, 'addamt:AMT lab');
    // CIRA: what Intel AMT must be given — this server's MPS, the group's user name, the root certificate.
    await page.waitForFunction(() => window.meshwork.addAmt && window.meshwork.addAmt.user, null, { timeout: 10000 });
    const cira = await page.evaluate(() => window.meshwork.addAmt);
    assert.equal(cira.user, CIRA_USER);
    assert.equal(cira.mps, `127.0.0.1:${server.mpsPort}`);
    assert.match(cira.rootSha384, /^[0-9a-f]{96}$/i);
    // The LAN computer: named, then found by a network scan of the addresses around it ("Use"
    // puts its address in the form), then its credentials.
    await clickButton(page, 'addamt-name');
    await page.keyboard.type('lab-pc');
    await clickButton(page, 'addamt-range');
    await page.keyboard.type('127.0.0.90-127.0.0.99');
    await clickButton(page, 'addamt-scan');
    await page.waitForFunction(() => window.meshwork.addAmt.scanResult === '1 found in 127.0.0.90-127.0.0.99.', null,
      { timeout: 20000 });
    // Found on the TLS port; "Use" also ticks TLS.
    assert.deepEqual(await page.evaluate(() => window.meshwork.addAmt.found), ['127.0.0.94 16.1 tls']);
    assert.equal(await page.evaluate(() => window.meshwork.addAmt.tls), false);
    await clickButton(page, 'addamt-use:127.0.0.94');
    await page.waitForFunction(() => window.meshwork.addAmt.host === '127.0.0.94' && window.meshwork.addAmt.tls === true, null,
      { timeout: 10000 });
    saveArtifact('amt-scan.png', await page.screenshot({ type: 'png' }));
    for (const [field, text] of [['addamt-user', 'admin'], ['addamt-pass', AMT_PASS]]) {
      await clickButton(page, field);
      await page.keyboard.type(text);
    }
    saveArtifact('amt-add-device.png', await page.screenshot({ type: 'png' }));
    await clickButton(page, 'addamt-add');
    await page.waitForFunction(() => window.meshwork.addAmt.result === 'Added. The server reads the device now.', null,
      { timeout: 10000 });
    // Listed at once, then read over TLS: on the LAN (conn 4) and powered on; its certificate pinned.
    await page.waitForFunction(() => window.meshwork.deviceStates['lab-pc'] && window.meshwork.deviceStates['lab-pc'].conn === 4 &&
      window.meshwork.deviceStates['lab-pc'].pwr === 1, null, { timeout: 20000 });
    const simHash = /tls-sha384=([0-9a-f]{96})/.exec(lanOut)[1];
    const record = (await control(server.port, { action: 'nodes' }, 'nodes')).nodes[GROUP].find((n) => n.name === 'lab-pc');
    assert.equal(record.intelamt.tls, 1);
    assert.equal(record.intelamt.hash, simHash);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    lan.kill('SIGTERM');
  }
});

test('boot options: Reset to BIOS setup shows the setup screen on the open serial console, once', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  // The CIRA computer (the group also holds the LAN one of the test before, whose simulator is gone).
  const name = (await control(server.port, { action: 'nodes' }, 'nodes')).nodes[GROUP].find((n) => n._id === device._id).name;
  await clickButton(page, `serial:${name}`);
  await page.waitForFunction(() => window.meshwork.terminals && window.meshwork.terminals.length === 1 &&
    /login:/.test(window.meshwork.terminals[0].text), null, { timeout: 30000 });
  await clickButton(page, `power:${name}`);
  await clickButton(page, 'power-action:Reset to BIOS setup');
  await clickButton(page, 'power-confirm');
  await page.waitForFunction(() => /BIOS Setup Utility/.test(window.meshwork.terminals[0].text), null, { timeout: 30000 });
  saveArtifact('amt-boot-bios.png', await page.screenshot({ type: 'png' }));
  // The option was for one boot: a plain reset brings the operating system's login back.
  await clickButton(page, `power:${name}`);
  await clickButton(page, 'power-action:Reset');
  await clickButton(page, 'power-confirm');
  await page.waitForFunction(() => /login:/.test(window.meshwork.terminals[0].text) &&
    !/BIOS Setup Utility/.test(window.meshwork.terminals[0].text), null, { timeout: 30000 });
  assert.deepEqual(errors, []);
  await context.close();
});
