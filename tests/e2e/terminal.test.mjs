// Browser end-to-end: a terminal on an agent's computer. meshwork-agent (the real binary) joins a
// device group of the server; the administrator logs in, clicks the device's Terminal button in My
// Devices, types a command in the terminal window and sees its output, which went browser → server
// relay → agent PTY shell and back. A resize of the window reaches the shell (stty size).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { hostname } from 'node:os';
import https from 'node:https';
import { startServer, startAgent, httpsGet as get, launchBrowser, saveArtifact, login, adminWithGroup, clickButton }
  from './lib/harness.mjs';

const GROUP = 'mesh//TermGroup0000000000000000000000000000000000000000000000000000000';


let server;
let browser;
let agent;

before(async () => {
  server = await startServer([], { importDocs: adminWithGroup(GROUP, 'Terminals', 2) });
  browser = await launchBrowser();
  agent = await startAgent(server, GROUP);
});

after(async () => {
  if (agent) agent.stop();
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
  await page.keyboard.type('sleep 30; echo not-interrupted');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+c');
  await page.keyboard.type('echo after-$((1+1))');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.meshwork.terminals[0].text.includes('after-2'), null, { timeout: 10000 });
  // (The command line shows the words; the output line alone would mean sleep ran to its end.)
  assert.doesNotMatch(await page.evaluate(() => window.meshwork.terminals[0].text), /^not-interrupted$/m);
  saveArtifact('terminal.png', await page.screenshot({ type: 'png' }));
  assert.deepEqual(errors, []);
  await context.close();
});
