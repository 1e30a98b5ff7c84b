// Browser end-to-end: IDE-R from a device's Intel AMT tab. The administrator's own files on the
// server (My Files) hold a bootable CD image made by xorriso, a floppy image and a file that is
// neither; amtsim (CIRA) is the Intel AMT computer. "Start IDE-R..." lists the images, the CD
// image is served with the drives shown "Now", amtsim's simulated firmware reads the whole medium
// at once (its SHA-256 printed on amtsim's output), and the section shows every block read; Stop
// ends the session. A user without the "server files" site right finds the button disabled.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, saveArtifact, login, adminWithGroup, clickButton, control, startCiraSim, ADMIN }
  from './lib/harness.mjs';

const GROUP = 'mesh//IderE2eGroup00000000000000000000000000000000000000000000000000000';
const CIRA_USER = 'IderE2eGroup0000';
const MPS_PASS = 'E2e-Cira-Pass-2';
const AMT_PASS = 'P@ssw0rd-ider';
// Remote control on the group, but no files on the server (site rights 0).
const CAROL = { user: 'carol', password: 'Carol-pass1234' };
// Remote control and files on the server, but no disk images there.
const DAVE = { user: 'dave', password: 'Dave-pass12345' };

let server;
let browser;
let sim;
let device;
let isoSha;
let isoSize;

// A user with remote control (8) on the group and site rights `siteadmin`.
function userRecord({ user, password }, siteadmin) {
  const salt = crypto.randomBytes(128).toString('base64');
  const hash = crypto.pbkdf2Sync(password, salt, 12000, 128, 'sha384').toString('base64');
  return { _id: `user//${user}`, type: 'user', name: user, domain: '', siteadmin, salt, hash, links: { [GROUP]: { rights: 8 } } };
}

before(async () => {
  const docs = adminWithGroup(GROUP, 'IDE-R lab', 1);
  docs.push(userRecord(CAROL, 0), userRecord(DAVE, 8));
  docs[1].links['user//carol'] = { name: 'carol', rights: 8 };
  docs[1].links['user//dave'] = { name: 'dave', rights: 8 };
  server = await startServer([], { importDocs: docs, mps: { password: MPS_PASS } });
  // The administrator's files: a bootable ISO (El Torito, no emulation, a 2048-byte boot image),
  // a floppy image, and a text file that is not offered.
  const home = path.join(server.filesDir, 'domain', 'user-admin');
  mkdirSync(path.join(home, 'isos'), { recursive: true });
  const root = mkdtempSync(path.join(tmpdir(), 'mw-e2e-isoroot-'));
  try {
    writeFileSync(path.join(root, 'boot.img'), Buffer.alloc(2048, 0x5a));
    writeFileSync(path.join(root, 'readme.txt'), 'Meshwork IDE-R end-to-end test medium\n');
    const iso = path.join(home, 'isos', 'e2e.iso');
    const x = spawnSync('xorriso', ['-as', 'mkisofs', '-V', 'MESHWORK_E2E', '-b', 'boot.img', '-no-emul-boot', '-boot-load-size', '4',
      '-o', iso, root], { encoding: 'utf8', timeout: 60000 });
    assert.equal(x.status, 0, x.stderr);
    isoSha = crypto.createHash('sha256').update(readFileSync(iso)).digest('hex');
    isoSize = statSync(iso).size;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  writeFileSync(path.join(home, 'rescue.img'), Buffer.alloc(1440 * 1024));
  writeFileSync(path.join(home, 'notes.txt'), 'not a disk image\n');
  browser = await launchBrowser();
  sim = await startCiraSim(server, { ciraUser: CIRA_USER, mpsPass: MPS_PASS, amtPass: AMT_PASS, seed: 'e2e-ider' });
  device = (await control(server.port, { action: 'nodes' }, 'nodes')).nodes[GROUP][0];
  assert.ok(device);
  const done = await control(server.port, { action: 'changedevice', nodeid: device._id, intelamt: { user: 'admin', pass: AMT_PASS } },
    'changedevice');
  assert.equal(done.result, 'ok', JSON.stringify(done));
  // Named by its address until the server has read its host name from Intel AMT (the buttons
  // the tests click carry the name).
  for (const end = Date.now() + 30000; device.name !== 'amtsim-1';) {
    if (Date.now() > end) throw new Error(`the device was not renamed: ${JSON.stringify(device)}`);
    await new Promise((r) => setTimeout(r, 200));
    device = (await control(server.port, { action: 'nodes' }, 'nodes')).nodes[GROUP][0];
  }
});

after(async () => {
  if (sim) sim.stop();
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});

const ider = (page) => page.evaluate(() => ((window.meshwork.devicePages || [])[0] || {}).ider || null);
// Waits until `check(ider state)` holds on the page (a function: the page's CSP allows no string evaluation).
async function waitIder(page, check, what, timeout = 30000) {
  await page.waitForFunction(check, null, { timeout })
    .catch(async (e) => { throw new Error(`${what}: ${e.message}\n${JSON.stringify(await ider(page))}\n${sim.output().slice(-2000)}`); });
}

// A browser logged in as `account`, showing the device's page at its Intel AMT tab (URL viewmode
// 14): { context, page, errors } (the page's uncaught errors).
async function openAmtTab(account = ADMIN) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url, account.user, account.password);
  const id = device._id.slice(device._id.lastIndexOf('/') + 1);
  await page.goto(`${server.url}?viewmode=14&node=${encodeURIComponent(id)}`);
  await page.waitForFunction((n) => window.meshwork && window.meshwork.buttons && window.meshwork.buttons[`ider-start:${n}`],
    device.name, { timeout: 30000 })
    .catch(async (e) => {
      saveArtifact('amt-ider-failed.png', await page.screenshot({ type: 'png' }));
      throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => Object.keys(window.meshwork.buttons || {})))}`);
    });
  return { context, page, errors };
}

// Start IDE-R...: resolves with the section's state once the images are listed.
async function startIder(page) {
  await clickButton(page, `ider-start:${device.name}`);
  await waitIder(page, () => { const s = window.meshwork.devicePages[0].ider; return s && s.state === 'choosing'; }, 'images listed');
  return ider(page);
}

test('IDE-R: the CD image from My Files, shown "Now", read whole by the computer; Stop ends it', async (t) => {
  const { context, page, errors } = await openAmtTab();
  assert.equal(await ider(page), null);
  const listed = await startIder(page);
  assert.deepEqual(listed.images, [
    { path: '/isos/e2e.iso', size: isoSize, drive: 'cdrom' },
    { path: '/rescue.img', size: 1440 * 1024, drive: 'floppy' },
  ]);
  // The CD image (chosen already: the first one), no floppy, shown now.
  await clickButton(page, 'ider-cdrom');
  await clickButton(page, 'ider-cdrom-item:/isos/e2e.iso');
  await clickButton(page, 'ider-floppy');
  await clickButton(page, 'ider-floppy-item:None');
  await clickButton(page, 'ider-when');
  await clickButton(page, 'ider-when-item:Now');
  saveArtifact('amt-ider-form.png', await page.screenshot({ type: 'png' }));
  const started = Date.now();
  await clickButton(page, 'ider-go');
  await waitIder(page, () => { const s = window.meshwork.devicePages[0].ider;
    return s && s.state === 'shown' && s.cdrom && s.cdrom.blocks > 0 && s.cdrom.read >= s.cdrom.blocks; }, 'the whole CD read');
  const shown = await ider(page);
  assert.equal(shown.start, 2);
  assert.equal(shown.firmware, '16.1');
  assert.match(shown.status, /^Drives shown to the computer/);
  assert.match(shown.status, /firmware 16\.1/);
  assert.equal(shown.cdrom.path, '/isos/e2e.iso');
  assert.equal(shown.cdrom.blocks, isoSize / 2048);
  assert.equal(shown.floppy, null);
  assert.ok(shown.toAmt > isoSize, JSON.stringify(shown));
  // What the simulated firmware read is the medium itself: its label, boot image and SHA-256.
  for (const end = Date.now() + 20000; !/^ider 1 cdrom .*sha256=/m.test(sim.output());) {
    if (Date.now() > end) throw new Error(`amtsim did not report the CD-ROM:\n${sim.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const line = /^ider 1 cdrom .*$/m.exec(sim.output())[0];
  assert.match(line, /label="MESHWORK_E2E"/);
  assert.match(line, /boot=el-torito sectors=4/);
  assert.ok(line.includes(`sha256=${isoSha}`), line);
  t.diagnostic(`${isoSize} bytes read by the computer ${Date.now() - started} ms after Start`);
  await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 10000 });
  saveArtifact('amt-ider.png', await page.screenshot({ type: 'png' }));

  // Booting from it: the section's Reset to IDE-R CD-ROM, confirmed as every power action; the
  // simulated firmware boots from the CD and reads it again.
  const probes = () => (sim.output().match(/^ider 1 cdrom .*sha256=/mg) || []).length;
  assert.equal(probes(), 1);
  await clickButton(page, 'ider-boot:Reset to IDE-R CD-ROM');
  await page.waitForFunction(() => window.meshwork.buttons['power-confirm'], null, { timeout: 10000 });
  saveArtifact('amt-ider-confirm.png', await page.screenshot({ type: 'png' }));
  await clickButton(page, 'power-confirm');
  for (const end = Date.now() + 30000; probes() < 2;) {
    if (Date.now() > end) throw new Error(`no boot from the IDE-R CD-ROM:\n${sim.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await waitIder(page, () => { const s = window.meshwork.devicePages[0].ider; return s && s.state === 'shown' && s.cdrom.read >= 2 * s.cdrom.blocks; },
    'read again at the boot');

  await clickButton(page, 'ider-stop');
  await waitIder(page, () => { const s = window.meshwork.devicePages[0].ider; return s && s.state === 'closed' && s.status === 'Stopped.'; },
    'stopped');
  await page.waitForFunction((n) => window.meshwork.buttons[`ider-start:${n}`], device.name, { timeout: 10000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('IDE-R: an account without files on the server finds Start disabled', async () => {
  const { context, page } = await openAmtTab(CAROL);
  await clickButton(page, `ider-start:${device.name}`);
  await page.waitForFunction(() => window.meshwork.idle, null, { timeout: 10000 });
  assert.equal(await ider(page), null, 'no session opened');
  await context.close();
});

test('IDE-R: no images in My Files: the hint, and My Files opened from it', async () => {
  const { context, page } = await openAmtTab(DAVE);
  const s = await startIder(page);
  assert.deepEqual(s.images, []);
  assert.equal(s.status, 'No disk images in your files on the server.');
  await page.waitForFunction(() => window.meshwork.idle && window.meshwork.buttons['ider-open-files'], null, { timeout: 10000 });
  saveArtifact('amt-ider-empty.png', await page.screenshot({ type: 'png' }));
  // Cancel leaves no session behind.
  await clickButton(page, 'ider-cancel');
  await page.waitForFunction(() => window.meshwork.devicePages[0].ider === null, null, { timeout: 10000 });
  // Again, and My Files opens (the account's own files, where the images are uploaded).
  await clickButton(page, `ider-start:${device.name}`);
  await page.waitForFunction(() => window.meshwork.idle && window.meshwork.buttons['ider-open-files'], null, { timeout: 10000 });
  await clickButton(page, 'ider-open-files');
  await page.waitForFunction(() => (window.meshwork.files || []).some((f) => f.server && f.nodeid === 'user//dave' && f.ready), null,
    { timeout: 10000 });
  await context.close();
});

test('IDE-R: an image gone from the server by the time it is started: the server\'s reason is shown', async () => {
  const gone = path.join(server.filesDir, 'domain', 'user-admin', 'isos', 'gone.iso');
  writeFileSync(gone, Buffer.alloc(2048 * 16));
  const { context, page } = await openAmtTab();
  try {
    assert.ok((await startIder(page)).images.some((i) => i.path === '/isos/gone.iso'));
    rmSync(gone);
    await clickButton(page, 'ider-cdrom');
    await clickButton(page, 'ider-cdrom-item:/isos/gone.iso');
    await clickButton(page, 'ider-go');
    await waitIder(page, () => { const s = window.meshwork.devicePages[0].ider; return s && s.state === 'closed'; }, 'refused');
    assert.equal((await ider(page)).status, 'The CD-ROM image /isos/gone.iso is not in the files on the server.');
    await page.waitForFunction((n) => window.meshwork.idle && window.meshwork.buttons[`ider-start:${n}`], device.name, { timeout: 10000 });
    saveArtifact('amt-ider-refused.png', await page.screenshot({ type: 'png' }));
  } finally {
    rmSync(gone, { force: true });
    await context.close();
  }
});
