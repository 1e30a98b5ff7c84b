// Browser end-to-end: My Files, storage on the server. A user with the "server files" site right
// and the group right of the same name opens the My Files tab, which lists their own files and
// the group's; uploads through the browser's file picker into their own (the space bar shows what
// is used of the domain's UserQuota), downloads the file back, is refused an upload past the
// quota, and opens the group's files. viewmode=5 opens the tab with the account's own files.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, saveArtifact, login, clickButton, adminWithGroup } from './lib/harness.mjs';

const GROUP = 'mesh//FilesE2E000000000000000000000000000000000000000000000000000000';
const BOB = { user: 'bob', password: 'Bob-pass1234' };

let server;
let browser;

function bobRecord() {
  const salt = crypto.randomBytes(128).toString('base64');
  const hash = crypto.pbkdf2Sync(BOB.password, salt, 12000, 128, 'sha384').toString('base64');
  return { _id: 'user//bob', type: 'user', name: 'bob', domain: '', siteadmin: 8, salt, hash,
    links: { [GROUP]: { rights: 32 } } };
}

before(async () => {
  const docs = adminWithGroup(GROUP, 'Office', 2);
  docs.push(bobRecord());
  docs[1].links['user//bob'] = { name: 'bob', rights: 32 };
  server = await startServer([], { importDocs: docs, config: { domains: { '': { UserQuota: 1024 } } } });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const storage = (page, id) => page.evaluate((i) => (window.meshwork.files || []).find((x) => x.nodeid === i), id);
// Waits until the page function `check(id)` holds (a function, not a string: the page's CSP
// allows no string evaluation); each check finds the files window of `id` in window.meshwork.files.
async function waitStorage(page, id, check, what) {
  await page.waitForFunction(check, id, { timeout: 30000 })
    .catch(async (e) => { throw new Error(`${what}: ${e.message}\n${JSON.stringify(await storage(page, id))}`); });
}

test('My Files: upload within the quota, download, refused past it, the group\'s files', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url, BOB.user, BOB.password);
  await clickButton(page, 'tab:My Files');
  await page.waitForFunction(() => window.meshwork.buttons['serverfiles-open:My Files'] && window.meshwork.buttons['serverfiles-open:Office'],
    null, { timeout: 10000 });
  await clickButton(page, 'serverfiles-open:My Files');
  await waitStorage(page, 'user//bob', (i) => { const f = (window.meshwork.files || []).find((x) => x.nodeid === i); return f && f.ready && f.server && f.path === '/' && f.quota === 1048576 && f.used === 0; }, 'open');

  const local = mkdtempSync(path.join(tmpdir(), 'mw-e2e-myfiles-'));
  const small = crypto.randomBytes(300 * 1000);
  writeFileSync(path.join(local, 'report.bin'), small);
  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10000 }), clickButton(page, 'files-upload')]);
  await chooser.setFiles(path.join(local, 'report.bin'));
  await waitStorage(page, 'user//bob', (i) => { const f = (window.meshwork.files || []).find((x) => x.nodeid === i); return f && f.status === 'Uploaded report.bin' && f.used === 300000 &&
    f.entries.some((e) => e.name === 'report.bin' && e.size === 300000); }, 'upload');
  assert.equal(sha256(readFileSync(path.join(server.filesDir, 'domain', 'user-bob', 'report.bin'))), sha256(small));
  await page.waitForFunction(() => window.meshwork.buttons['files-space'], null, { timeout: 10000 });
  saveArtifact('myfiles.png', await page.screenshot({ type: 'png' }));

  await clickButton(page, 'files-entry:report.bin');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), clickButton(page, 'files-download')]);
  assert.equal(download.suggestedFilename(), 'report.bin');
  assert.equal(sha256(readFileSync(await download.path())), sha256(small));

  // 300,000 bytes of 1 MiB used: 900,000 more are refused with the space that is left.
  writeFileSync(path.join(local, 'big.bin'), crypto.randomBytes(900 * 1000));
  const [chooser2] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10000 }), clickButton(page, 'files-upload')]);
  await chooser2.setFiles(path.join(local, 'big.bin'));
  await waitStorage(page, 'user//bob', (i) => { const f = (window.meshwork.files || []).find((x) => x.nodeid === i); return f && f.status.startsWith('Not enough space') && !f.transfer; }, 'quota');
  assert.match((await storage(page, 'user//bob')).status, /needs 879 KiB, and 731 KiB of 1\.0 MiB is free/);

  // The group's files open beside them.
  await clickButton(page, 'tab:My Files');
  await clickButton(page, 'serverfiles-open:Office');
  await waitStorage(page, GROUP, (i) => { const f = (window.meshwork.files || []).find((x) => x.nodeid === i); return f && f.ready && f.server && f.path === '/' && f.quota === 0; }, 'group');
  assert.deepEqual(errors, []);
  await context.close();
});

test('viewmode=5 opens My Files with the account\'s own files', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await login(page, server.url, BOB.user, BOB.password);
  await page.goto(`${server.url}?viewmode=5`);
  await waitStorage(page, 'user//bob', (i) => { const f = (window.meshwork.files || []).find((x) => x.nodeid === i); return f && f.ready && f.entries.some((e) => e.name === 'report.bin'); }, 'viewmode 5');
  saveArtifact('myfiles-viewmode5.png', await page.screenshot({ type: 'png' }));
  await context.close();
});
