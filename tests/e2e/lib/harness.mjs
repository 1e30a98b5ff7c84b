// End-to-end test harness: starts meshwork-server on 127.0.0.1 with ephemeral ports and a
// temporary data folder, launches Debian's Chromium headless through playwright-core, and
// helpers to read screenshots as pixels. Every test stops what it started.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';

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
export async function startServer(extraArgs = [], { importDocs } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mw-e2e-'));
  const args = [
    '--datapath', path.join(dataDir, 'data'), '--filespath', path.join(dataDir, 'files'),
    '--webroot', path.join(buildDir, 'web'), '--portbind', '127.0.0.1', '--port', '0', '--redirport', '0', '--mpsport', '0',
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
  const proc = spawn(path.join(buildDir, 'bin', 'meshwork-server'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}`)), 30000);
    const check = () => {
      const m = /HTTPS server running on .*:(\d+)\./.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    proc.stdout.on('data', check);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${out}`)); });
  });
  proc.removeAllListeners('exit');
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    port,
    url: `https://127.0.0.1:${port}/`,
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
