// End-to-end test harness: starts meshwork-server on 127.0.0.1 with ephemeral ports and a
// temporary data folder, launches Debian's Chromium headless through playwright-core, and
// helpers to read screenshots as pixels. Every test stops what it started.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import crypto from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..', '..');
export const buildDir = process.env.MW_BUILD_DIR || path.join(repoRoot, 'build');
export const artifactsDir = path.join(buildDir, 'test-artifacts');

export const ADMIN = { user: 'admin', password: 'Admin-pass1' };

// Logs in through the server's login page (a real form post); resolves when the app page loads.
export async function login(page, url, user = ADMIN.user, password = ADMIN.password) {
  await page.goto(url);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('#login button[type=submit]')]);
}

// Starts the server; resolves with { url, port, stop(), output() } once it announces HTTPS.
// With `importDocs` (MeshCentral --dbimport documents), the database is imported instead of an
// account being created: the documents bring their own users.
// With `mps`, the MPS listens on a free loopback port (resolved as mpsPort) with that password.
// `config`: written as the data folder's config.json first.
// `setup`: more one-shot runs before the start (e.g. ['--logintokenkey']); their outputs are
// resolved as setupOutputs.
export async function startServer(extraArgs = [], { importDocs, mps, setup = [], config } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mw-e2e-'));
  if (config) {
    mkdirSync(path.join(dataDir, 'data'), { recursive: true });
    writeFileSync(path.join(dataDir, 'data', 'config.json'), JSON.stringify(config));
  }
  const mpsArgs = mps ? ['--mpsport', String(await freePort()), '--mpsportbind', '127.0.0.1', '--mpspass', mps.password]
    : ['--mpsport', '0'];
  const args = [
    '--datapath', path.join(dataDir, 'data'), '--filespath', path.join(dataDir, 'files'),
    '--webroot', path.join(buildDir, 'web'), '--portbind', '127.0.0.1', '--port', '0', '--redirport', '0', ...mpsArgs,
    '--cert', '127.0.0.1', '--certalgorithm', 'ecdsa-p384', ...extraArgs,
  ];
  // The administrator account the tests log in with (created as MeshCentral's --createaccount does).
  let setupArgs = ['--createaccount', ADMIN.user, '--pass', ADMIN.password];
  if (importDocs) {
    const file = path.join(dataDir, 'import.json');
    writeFileSync(file, JSON.stringify(importDocs));
    setupArgs = ['--dbimport', file];
  }
  const made = spawnSync(path.join(buildDir, 'bin', 'meshwork-server'), [...args, ...setupArgs],
    { encoding: 'utf8', timeout: 60000 });
  if (made.status !== 0) throw new Error(`server setup (${setupArgs[0]}) failed:\n${made.stdout}${made.stderr}`);
  const setupOutputs = setup.map((more) => {
    const r = spawnSync(path.join(buildDir, 'bin', 'meshwork-server'), [...args, ...more], { encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) throw new Error(`server setup (${more.join(' ')}) failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  });
  const proc = spawn(path.join(buildDir, 'bin', 'meshwork-server'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}`)), 30000);
    const check = () => {
      const m = /HTTPS server running on .*:(\d+)\./.exec(out);
      if (m && (!mps || /MPS server.* running on /.test(out))) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    proc.stdout.on('data', check);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${out}`)); });
  });
  proc.removeAllListeners('exit');
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const mpsLine = /MPS server.* running on .*:(\d+)\./.exec(out);
  return {
    port,
    mpsPort: mpsLine ? Number(mpsLine[1]) : 0,
    setupOutputs,
    url: `https://127.0.0.1:${port}/`,
    filesDir: path.join(dataDir, 'files'),
    output: () => out,
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const result = await exited;
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      return result;
    },
  };
}

// One request on the control channel, authenticated the way meshctrl does (x-meshauth); resolves
// with the first answer whose action is `answer`.
export function control(port, request, answer, { user = ADMIN.user, password = ADMIN.password } = {}) {
  return new Promise((resolve, reject) => {
    const auth = `${Buffer.from(user).toString('base64')},${Buffer.from(password).toString('base64')}`;
    const ws = new WebSocket(`wss://127.0.0.1:${port}/control.ashx`, { rejectUnauthorized: false, headers: { 'x-meshauth': auth } });
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no ${answer} answer`)); }, 15000);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.action === 'userinfo') ws.send(JSON.stringify(request));
      if (m.action === answer) { clearTimeout(timer); ws.close(); resolve(m); }
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

// amtsim (the project's Intel AMT simulator) with one computer connecting to the server's MPS
// over CIRA as `ciraUser`; resolves once it is connected, with { proc, output(), stop() }.
export async function startCiraSim(server, { ciraUser, mpsPass, amtPass, seed = 'e2e' }) {
  const proc = spawn(path.join(buildDir, 'bin', 'amtsim'), ['--mode', 'cira', '--count', '1', '--mps', `127.0.0.1:${server.mpsPort}`,
    '--mps-user', ciraUser, '--mps-pass', mpsPass, '--amt-pass', amtPass, '--seed', seed], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`amtsim did not connect:\n${out}\n${server.output()}`)), 60000);
      proc.stdout.on('data', () => { if (/^ready$/m.test(out)) { clearTimeout(timer); resolve(); } });
      proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`amtsim exited with ${code}:\n${out}`)); });
    });
  } catch (e) {
    proc.kill('SIGTERM');
    throw e;
  }
  proc.removeAllListeners('exit');
  return { proc, output: () => out, stop: () => proc.kill('SIGTERM') };
}

// A TCP port nothing listens on right now (for servers that need one given).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// playwright-core gives every launch a fresh temporary profile (the --user-data-dir of the probe).
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.MW_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    ],
  });
}

export function saveArtifact(name, buffer) {
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, name);
  writeFileSync(file, buffer);
  return file;
}

// Decodes a PNG screenshot; returns { width, height, pixel(x, y) -> [r, g, b, a] }.
export function decodePng(buffer) {
  const png = PNG.sync.read(buffer);
  return {
    width: png.width,
    height: png.height,
    pixel(x, y) {
      const i = (y * png.width + x) * 4;
      return [png.data[i], png.data[i + 1], png.data[i + 2], png.data[i + 3]];
    },
    data: png.data,
  };
}

export function readJson(file) { return JSON.parse(readFileSync(file, 'utf8')); }

// Fetches a path of the server (self-signed certificate) as text: { status, body }.
export function httpsGet(port, p) {
  return new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: p, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

// Runs the real meshwork-agent with the settings the server hands out for `group` (plus `extra`
// settings lines); resolves once it is connected, with { stop(), log(), exited }.
export async function startAgent(server, group, extra = '') {
  const work = mkdtempSync(path.join(tmpdir(), 'mw-e2e-agent-'));
  const settings = await httpsGet(server.port, `/meshsettings?id=${encodeURIComponent(group)}`);
  if (settings.status !== 200) throw new Error(`/meshsettings: ${settings.status} ${settings.body}`);
  writeFileSync(path.join(work, 'agent.msh'), settings.body + extra);
  const proc = spawn(path.join(buildDir, 'bin', 'meshwork-agent'),
    ['--settings', path.join(work, 'agent.msh'), '--state-dir', path.join(work, 'state')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not connect:\n${log}`)), 30000);
    proc.stderr.on('data', () => { if (log.includes('connected to')) { clearTimeout(timer); resolve(); } });
  });
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    log: () => log,
    exited,  // resolves with the exit code when the agent ends by itself
    stop() {
      proc.kill('SIGTERM');
      rmSync(work, { recursive: true, force: true });
    },
  };
}

// A private Xvfb on a display number it picks itself (-displayfd); resolves with
// { display, env, stop() }. `env` runs X clients on that display.
export async function startXvfb(size = '640x480x24') {
  // -noreset: the screen keeps what short-lived clients (xsetroot) drew after they exit.
  const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', size, '-nolisten', 'tcp', '-noreset'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const display = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start:\n${err}`)), 20000);
    proc.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) { clearTimeout(timer); resolve(`:${out.trim()}`); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`Xvfb exited with ${code}:\n${err}`)); });
  });
  proc.removeAllListeners('exit');
  return { display, env: { ...process.env, DISPLAY: display }, stop: () => proc.kill('SIGTERM') };
}

// MeshCentral --dbimport documents: the administrator (full rights) and one device group
// (mtype 2: managed by agent, 1: Intel AMT only) the administrator has every right on.
export function adminWithGroup(groupId, groupName, mtype) {
  const salt = crypto.randomBytes(128).toString('base64');
  const hash = crypto.pbkdf2Sync(ADMIN.password, salt, 12000, 128, 'sha384').toString('base64');
  return [
    { _id: 'user//admin', type: 'user', name: 'admin', domain: '', siteadmin: 0xFFFFFFFF, salt, hash,
      links: { [groupId]: { rights: 0xFFFFFFFF } } },
    { _id: groupId, type: 'mesh', mtype, name: groupName, domain: '',
      links: { 'user//admin': { name: 'admin', rights: 0xFFFFFFFF } } },
  ];
}

// Clicks the app's button `name` (window.meshwork.buttons) as a person would, once the app is
// idle (the layout has settled and the reported rectangle is where the button is drawn).
// With `navigates`, the click leaves the page (log out): there are no frames to wait for.
export async function clickButton(page, name, { navigates = false } = {}) {
  await page.waitForFunction((b) => window.meshwork && window.meshwork.buttons && window.meshwork.buttons[b] &&
    window.meshwork.idle, name, { timeout: 30000 });
  const [x, y, w, h] = await page.evaluate((b) => window.meshwork.buttons[b], name);
  const frames = await page.evaluate(() => window.meshwork.frames);
  await page.mouse.click(x + w / 2, y + h / 2);
  if (navigates) return;
  // The app has drawn the frames that handle the click (ImGui takes a click per frame, so a
  // second click before then would be merged into this one).
  await page.waitForFunction((f) => window.meshwork.frames > f + 1, frames, { timeout: 10000 });
}
