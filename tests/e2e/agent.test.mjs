// Browser end-to-end with an agent's computer. meshwork-agent (the real binary) joins a device
// group of the server; the administrator logs in and, from My Devices:
//   - Add Agent: the install command, and what it downloads;
//   - Terminal: types a command and sees its output, which went browser → server relay → agent PTY
//     shell and back; a resize of the window reaches the shell (stty size);
//   - Files: lists the folder the agent serves, downloads a file (a browser download), uploads one
//     through the browser's file picker, makes a folder, renames and deletes, each checked on disk.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { hostname, tmpdir } from 'node:os';
import https from 'node:https';
import { startServer, startAgent, httpsGet as get, launchBrowser, saveArtifact, login, adminWithGroup, clickButton }
  from './lib/harness.mjs';

const GROUP = 'mesh//TermGroup0000000000000000000000000000000000000000000000000000000';


let server;
let browser;
let agent;
let served;

before(async () => {
  server = await startServer([], { importDocs: adminWithGroup(GROUP, 'Terminals', 2) });
  browser = await launchBrowser();
  served = mkdtempSync(path.join(tmpdir(), 'mw-e2e-files-'));
  mkdirSync(path.join(served, 'docs'));
  writeFileSync(path.join(served, 'hello.txt'), 'hello files\n');
  writeFileSync(path.join(served, 'big.bin'), crypto.randomBytes(3 << 20));
  agent = await startAgent(server, GROUP, `FilesRoot=${served}\n`);
});

after(async () => {
  if (agent) agent.stop();
  if (served) rmSync(served, { recursive: true, force: true });
  if (browser) await browser.close();
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, `server exit code\n${server.output()}`);
  }
});

test('Add Agent shows the install command, and the command\'s script and downloads are served', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await login(page, server.url);
  await clickButton(page, 'addagent:Terminals');
  await page.waitForFunction(() => window.meshwork.addAgentCommand, null, { timeout: 20000 });
  const cmd = await page.evaluate(() => window.meshwork.addAgentCommand);
  const short = GROUP.slice('mesh//'.length);
  assert.equal(cmd, `curl -fsSk 'https://127.0.0.1:${server.port}/meshagents?script=1&id=${short}' | sh`);
  // What the command fetches: the script, which fetches the agent and the settings and checks the agent's hash.
  const url = /'(https:[^']+)'/.exec(cmd)[1];
  const script = await get(server.port, url.slice(url.indexOf('/meshagents')));
  assert.equal(script.status, 200);
  assert.match(script.body, /sha384sum -c/);
  assert.match(script.body, /--install --settings/);
  const sha = /SHA384='([0-9a-f]{96})'/.exec(script.body)[1];
  const agentBin = await new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: server.port, path: '/meshagents?id=linux-x64', rejectUnauthorized: false }, (res) => {
      const hash = crypto.createHash('sha384');
      res.on('data', (d) => hash.update(d));
      res.on('end', () => resolve({ status: res.statusCode, sha: hash.digest('hex') }));
    }).on('error', reject);
  });
  assert.equal(agentBin.status, 200);
  assert.equal(agentBin.sha, sha, 'the script checks the hash of the binary the server serves');
  const settings = await get(server.port, `/meshsettings?id=${short}`);
  assert.match(settings.body, new RegExp(`MeshID=${GROUP.replace(/\$/g, '\\$')}`));
  saveArtifact('add-agent.png', await page.screenshot({ type: 'png' }));
  await context.close();
});

test('a terminal on an agent: click Terminal, type a command, see its output; resizing reaches the shell', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url.replace(/\/$/, '') });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  // The agent's device is listed online, with its Terminal button.
  await clickButton(page, `terminal:${hostname()}`);
  await page.waitForFunction(() => window.meshwork.terminals && window.meshwork.terminals.length === 1 &&
    window.meshwork.terminals[0].ready, null, { timeout: 30000 });
  // Give the shell its prompt, then type as a person would.
  await page.waitForFunction(() => window.meshwork.terminals[0].text.trim().length > 0, null, { timeout: 20000 });
  await page.keyboard.type('echo hello-$((6*7))');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.meshwork.terminals[0].text.includes('hello-42'), null, { timeout: 20000 });

  // The window's size is the PTY's: stty reports what the view shows.
  await page.keyboard.type('stty size');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /\n(\d+) (\d+)\n/.test(window.meshwork.terminals[0].text), null, { timeout: 20000 });
  const text = await page.evaluate(() => window.meshwork.terminals[0].text);
  const [, rows, cols] = /\n(\d+) (\d+)\n/.exec(text).map(Number);
  const visibleRows = text.split('\n').length - 1;
  assert.equal(rows, visibleRows, `stty rows ${rows} vs the view's ${visibleRows}\n${text}`);
  assert.ok(cols >= 40 && cols <= 200, `columns ${cols}`);
  // Ctrl-C reaches the shell as an interrupt: a sleeping command ends at once.
  // Ctrl-C once the sleep is the terminal's foreground process: a ^C that came before bash had
  // handed the terminal to the command interrupted nothing, and the sleep ran its 30 s. The marker
  // is printed by the command's own process, which then becomes the sleep.
  await page.keyboard.type("sh -c 'echo sleeping-$((2+3)); exec sleep 30'; echo not-interrupted");
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.meshwork.terminals[0].text.includes('\nsleeping-5'), null, { timeout: 10000 });
  await page.keyboard.press('Control+c');
  // The terminal driver flushes its input queue when ^C arrives, with whatever came in the same
  // write (a relay message may carry ^C and the next keys together): type once it echoed "^C".
  await page.waitForFunction(() => window.meshwork.terminals[0].text.includes('^C'), null, { timeout: 10000 });
  await page.keyboard.type('echo after-$((1+1))');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.meshwork.terminals[0].text.includes('after-2'), null, { timeout: 10000 });
  // (The command line shows the words; the output line alone would mean sleep ran to its end.)
  assert.doesNotMatch(await page.evaluate(() => window.meshwork.terminals[0].text), /^not-interrupted$/m);

  // Paste: the browser's paste event types the text (Ctrl+V is the browser's, not ^V).
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', 'echo pasted-$((2*21))');
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
  });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^pasted-42$/m.test(window.meshwork.terminals[0].text), null, { timeout: 10000 });

  // An input method (IME): a composition, then its committed text, as Chromium delivers them
  // (compositionstart/update/end on the focused element, no key presses for the text).
  const cdp = await page.context().newCDPSession(page);
  await page.keyboard.type('echo ime-');
  await cdp.send('Input.imeSetComposition', { text: 'にほんご', selectionStart: 4, selectionEnd: 4 });
  await cdp.send('Input.imeSetComposition', { text: '日本語', selectionStart: 3, selectionEnd: 3 });
  await cdp.send('Input.insertText', { text: '日本語' });
  // Text from an emoji picker or dictation: an input event with no key press.
  await cdp.send('Input.insertText', { text: '-ü' });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^ime-日本語-ü$/m.test(window.meshwork.terminals[0].text), null, { timeout: 10000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${await page.evaluate(() => window.meshwork.terminals[0].text)}`); });
  await cdp.detach();

  // Selection: dragging over the output line copies its text.
  const t = await page.evaluate(() => window.meshwork.terminals[0]);
  const row = t.text.split('\n').lastIndexOf('pasted-42');
  assert.ok(row >= 0, t.text);
  const cellW = t.screen[2] / t.cols, cellH = t.screen[3] / t.rows;
  const y = t.screen[1] + (row + 0.5) * cellH;
  // Each step waits for the frames that take it (ImGui samples the mouse once per frame).
  const step = async (act) => {
    const before = await page.evaluate(() => window.meshwork.frames);
    await act();
    await page.waitForFunction((f) => window.meshwork.frames > f + 1, before);
  };
  await step(() => page.mouse.move(t.screen[0] + 0.2 * cellW, y));
  await step(() => page.mouse.down());
  await step(() => page.mouse.move(t.screen[0] + 12 * cellW, y, { steps: 4 }));
  await step(() => page.mouse.up());
  await page.waitForFunction(() => window.meshwork.terminals[0].copied === 'pasted-42', null, { timeout: 10000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => window.meshwork.terminals[0].copied))}`); });
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'pasted-42');

  // Scrollback: the wheel over the terminal shows earlier lines; typing returns to the prompt.
  await page.keyboard.type('seq 1 300');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^300$/m.test(window.meshwork.terminals[0].text), null, { timeout: 10000 });
  await page.mouse.move(t.screen[0] + t.screen[2] / 2, t.screen[1] + t.screen[3] / 2);
  for (let k = 0; k < 10; ++k) await step(() => page.mouse.wheel(0, -100));
  const back = await page.evaluate(() => window.meshwork.terminals[0].text);
  assert.doesNotMatch(back, /^300$/m, back);
  const shown = back.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  assert.ok(shown.length > 5 && shown[shown.length - 1] < 300, back);
  saveArtifact('terminal-scrollback.png', await page.screenshot({ type: 'png' }));
  await page.keyboard.type('echo back');
  await page.waitForFunction(() => /^300$/m.test(window.meshwork.terminals[0].text), null, { timeout: 10000 });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^back$/m.test(window.meshwork.terminals[0].text), null, { timeout: 10000 });
  saveArtifact('terminal.png', await page.screenshot({ type: 'png' }));

  // Find: "hello-4" is only in the output of the first command, 300 lines back; the view goes there.
  await clickButton(page, `term-find:${hostname()}`);
  await page.keyboard.type('hello-4');
  await page.waitForFunction(() => { const x = window.meshwork.terminals[0];
    return x.findCount === 1 && x.findCurrent === 0 && /^hello-42$/m.test(x.text) && !/^back$/m.test(x.text); }, null,
  { timeout: 10000 });
  saveArtifact('terminal-find.png', await page.screenshot({ type: 'png' }));
  // What was typed into the find field did not reach the shell: Enter at the prompt runs nothing.
  await step(() => page.mouse.click(t.screen[0] + t.screen[2] / 2, t.screen[1] + t.screen[3] / 2));
  await page.keyboard.type('echo done-$((3*3))');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^done-9$/m.test(window.meshwork.terminals[0].text), null, { timeout: 10000 });
  assert.doesNotMatch(await page.evaluate(() => window.meshwork.terminals[0].text), /hello-4echo|not found/);
  assert.deepEqual(errors, []);
  await context.close();
});

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

test('files: list, download, upload through the file picker, new folder, rename, delete', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  await clickButton(page, `files:${hostname()}`);
  // The window opens in the folder the agent serves, folders first.
  await page.waitForFunction((root) => window.meshwork.files && window.meshwork.files.length === 1 &&
    window.meshwork.files[0].ready && window.meshwork.files[0].path === root && window.meshwork.files[0].entries.length === 3,
  served, { timeout: 30000 });
  const names = async () => page.evaluate(() => window.meshwork.files[0].entries.map((e) => `${e.type}:${e.name}`));
  assert.deepEqual(await names(), ['dir:docs', 'file:big.bin', 'file:hello.txt']);
  const entries = await page.evaluate(() => window.meshwork.files[0].entries);
  assert.equal(entries.find((e) => e.name === 'big.bin').size, 3 << 20);

  // Download: select the file, click Download; the browser saves the agent's bytes.
  await clickButton(page, 'files-entry:big.bin');
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), clickButton(page, 'files-download')])
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => window.meshwork.files[0]))}`); });
  assert.equal(download.suggestedFilename(), 'big.bin');
  assert.equal(sha256(readFileSync(await download.path())), sha256(readFileSync(path.join(served, 'big.bin'))));
  await page.waitForFunction(() => window.meshwork.files[0].status === 'Downloaded big.bin', null, { timeout: 10000 });

  // Upload: Upload opens the browser's file picker; the file goes to the agent's folder.
  const local = mkdtempSync(path.join(tmpdir(), 'mw-e2e-upload-'));
  const upload = crypto.randomBytes((5 << 20) + 123);
  writeFileSync(path.join(local, 'up.bin'), upload);
  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10000 }), clickButton(page, 'files-upload')]);
  await chooser.setFiles(path.join(local, 'up.bin'));
  await page.waitForFunction(() => window.meshwork.files[0].status === 'Uploaded up.bin' &&
    window.meshwork.files[0].entries.some((e) => e.name === 'up.bin'), null, { timeout: 60000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => window.meshwork.files[0]))}`); });
  assert.equal(sha256(readFileSync(path.join(served, 'up.bin'))), sha256(upload));
  assert.ok(!existsSync(path.join(served, 'up.bin.mwpart')));
  rmSync(local, { recursive: true, force: true });

  // New folder.
  await clickButton(page, 'files-newfolder');
  // Typed once the app is idle: the dialog's field has had the frame that gives it the keyboard.
  await page.waitForFunction(() => window.meshwork.buttons['files-dialog-input'] && window.meshwork.idle, null, { timeout: 10000 });
  await page.keyboard.type('made');
  await clickButton(page, 'files-dialog-ok');
  await page.waitForFunction(() => window.meshwork.files[0].entries.some((e) => e.name === 'made' && e.type === 'dir'), null,
    { timeout: 10000 });
  assert.ok(existsSync(path.join(served, 'made')));

  // Rename: the name field starts with the old name selected; typing replaces it.
  await clickButton(page, 'files-entry:hello.txt');
  await clickButton(page, 'files-rename');
  // Typed once the app is idle: the dialog's field has had the frame that gives it the keyboard.
  await page.waitForFunction(() => window.meshwork.buttons['files-dialog-input'] && window.meshwork.idle, null, { timeout: 10000 });
  await page.keyboard.type('renamed.txt');
  await clickButton(page, 'files-dialog-ok');
  await page.waitForFunction(() => window.meshwork.files[0].entries.some((e) => e.name === 'renamed.txt'), null, { timeout: 10000 });
  assert.equal(readFileSync(path.join(served, 'renamed.txt'), 'utf8'), 'hello files\n');
  assert.ok(!existsSync(path.join(served, 'hello.txt')));

  // Delete asks first.
  await clickButton(page, 'files-entry:made');
  await clickButton(page, 'files-delete');
  await clickButton(page, 'files-dialog-ok');
  await page.waitForFunction(() => !window.meshwork.files[0].entries.some((e) => e.name === 'made'), null, { timeout: 10000 });
  assert.ok(!existsSync(path.join(served, 'made')));
  assert.deepEqual(await names(), ['dir:docs', 'file:big.bin', 'file:renamed.txt', 'file:up.bin']);
  saveArtifact('files.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});

test('the device page: system information from the agent, an edit, and the event it records', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  await clickButton(page, `device:${hostname()}`);
  // General: what the agent reported (getsysinfo).
  await page.waitForFunction((h) => window.meshwork.devicePages && window.meshwork.devicePages.length === 1 &&
    window.meshwork.devicePages[0].hostname === h && window.meshwork.devicePages[0].os.length > 0, hostname(), { timeout: 20000 });
  saveArtifact('device-general.png', await page.screenshot({ type: 'png' }));
  // Edit: a description, saved with changedevice; the record changes live and the history shows it.
  await clickButton(page, `page-edit:${hostname()}`);
  await clickButton(page, 'edit-desc');
  await page.keyboard.type('Build server in rack 4');
  await clickButton(page, 'edit-save');
  await page.waitForFunction((h) => window.meshwork.deviceStates[h].desc === 'Build server in rack 4', hostname(), { timeout: 10000 });
  // The edited record carries no presence: the device stays online.
  assert.equal(await page.evaluate((h) => window.meshwork.deviceStates[h].conn, hostname()), 1);
  await clickButton(page, `page-events:${hostname()}`);
  await page.waitForFunction(() => window.meshwork.devicePages[0].events.some((m) => /^Changed device .+ from group Terminals: description$/.test(m)),
    null, { timeout: 10000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => window.meshwork.devicePages[0]))}`); });
  saveArtifact('device-events.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});

test('the agent console: Console opens it, commands answer about the agent, Up recalls the last one', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  await clickButton(page, `console:${hostname()}`);
  await page.waitForFunction(() => window.meshwork.consoles && window.meshwork.consoles.length === 1, null, { timeout: 20000 });
  // Keys a person presses are frames apart; ImGui 1.86 reads key state once a frame, so each
  // press here waits for the app to draw two frames.
  const tap = async (key) => {
    const frames = await page.evaluate(() => window.meshwork.frames);
    await page.keyboard.press(key);
    await page.waitForFunction((f) => window.meshwork.frames > f + 1, frames, { timeout: 10000 });
  };
  // The command line has the keyboard once the window is drawn, and again the frame after Enter
  // (ImGui 1.86 applies a focus request a frame later): the console is listed when it is created,
  // before that frame, so a key typed at once was lost ("nfo"). Shift changes nothing and wakes
  // the app for two frames; a person never types within one frame of Enter.
  await tap('Shift');
  await page.keyboard.type('info');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.meshwork.consoles[0].text.includes('Node id:'), null, { timeout: 20000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await page.evaluate(() => window.meshwork.consoles))}`); });
  const text = await page.evaluate(() => window.meshwork.consoles[0].text);
  assert.match(text, /> info\nMeshwork agent /);
  await tap('Shift');
  await page.keyboard.type('uptime');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /Agent up \d/.test(window.meshwork.consoles[0].text), null, { timeout: 20000 });
  // Up, Up: "info" again.
  await tap('ArrowUp');
  await tap('ArrowUp');
  await tap('Enter');
  await page.waitForFunction(() => (window.meshwork.consoles[0].text.match(/Node id:/g) || []).length === 2, null, { timeout: 20000 });
  saveArtifact('agent-console.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});

// Last: the agent is gone afterwards.
test('uninstalling the agent from its device page, after a confirmation', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, server.url);
  await clickButton(page, `device:${hostname()}`);
  await clickButton(page, `page-uninstall:${hostname()}`);
  await page.waitForFunction(() => window.meshwork.buttons['uninstall-confirm'], null, { timeout: 10000 });
  saveArtifact('agent-uninstall-confirm.png', await page.screenshot({ type: 'png' }));
  await clickButton(page, 'uninstall-confirm');
  const code = await Promise.race([agent.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 20000))]);
  assert.equal(code, 0, agent.log());
  assert.match(agent.log(), /uninstalled at the server's request: identity removed/);
  await page.waitForFunction(() => (window.meshwork.devicePages || []).some((p) => p.events.some((m) => /to uninstall itself$/.test(m))),
    null, { timeout: 10000 });
  assert.deepEqual(errors, []);
  await context.close();
});
