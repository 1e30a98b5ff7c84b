// scripts/bench.sh ider: serving a CD image to an Intel AMT computer over IDE-R, meshwork-server
// next to MeshCentral's own server-side IDE-R (npm meshcentral: amt/amt-redir-mesh.js and
// amt/amt-ider-module.js, driven by tests/peers/redir/meshcentral_ider.cjs), same run, same
// machine, same simulated computer. tools/amtsim (LAN mode, one device on 127.0.0.170) shows the
// drives "now" and its simulated firmware reads the whole medium in 64 KiB READ(10)s, hashing
// it; the time is from the request ("start" to Meshwork's /amtrelay.ashx?p=ider; MeshCentral's
// first state change, once Node has loaded it) until amtsim prints the medium's hash, which must
// be the file's. Both include connecting to the device's redirection port and Digest login.
// MeshCentral leaves Nagle's algorithm on for its socket to the device, which costs it a delayed
// ACK per read here; the third column is MeshCentral with TCP_NODELAY set by the harness.
// Image: MW_BENCH_IDER_MIB (default 48) MiB of random data in an ISO made by xorriso.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort, start, stop, sleep } from './lib/servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const mib = Number(process.env.MW_BENCH_IDER_MIB || 48);
const runs = Number(process.env.MW_BENCH_RUNS || 3);
const PASS = 'Bench-pass1';
const AMT_PASS = 'P@ssw0rd-ider';
const HOST = '127.0.0.170';
const amtsim = path.join(root, 'build', 'bin', 'amtsim');

const work = mkdtempSync(path.join(tmpdir(), 'bench-ider-'));
const isoRoot = path.join(work, 'isoroot');
mkdirSync(isoRoot);
writeFileSync(path.join(isoRoot, 'boot.img'), crypto.randomBytes(2048));
writeFileSync(path.join(isoRoot, 'data.bin'), crypto.randomBytes(mib << 20));
const iso = path.join(work, 'bench.iso');
execFileSync('xorriso', ['-as', 'mkisofs', '-V', 'MW_BENCH', '-b', 'boot.img', '-no-emul-boot', '-boot-load-size', '4', '-o', iso, isoRoot],
  { stdio: 'pipe' });
const size = statSync(iso).size;
const sha = crypto.createHash('sha256').update(readFileSync(iso)).digest('hex');

// amtsim's output, and a wait for the next "ider 1 cdrom" line after `from`.
const sim = spawn(amtsim, ['--mode', 'lan', '--count', '1', '--first-ip', HOST, '--amt-pass', AMT_PASS, '--seed', 'bench-ider'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
let simOut = '';
sim.stdout.on('data', (d) => { simOut += d; });
function probed(from, timeoutMs = 300000) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = () => {
      const m = /ider 1 cdrom .* sha256=(\S+) bytes=(\d+)/.exec(simOut.slice(from));
      if (m) return resolve({ sha: m[1], bytes: Number(m[2]) });
      if (Date.now() > deadline) return reject(new Error(`amtsim read nothing:\n${simOut.slice(from)}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}
function check(name, got) {
  if (got.sha !== sha || got.bytes !== size) throw new Error(`${name}: amtsim read ${got.bytes} bytes, sha ${got.sha}; want ${size}, ${sha}`);
}

const meshid = 'mesh//' + crypto.randomBytes(48).toString('base64').replace(/\+/g, '@').replace(/\//g, '$');
const salt = crypto.randomBytes(128).toString('base64');
const hash = crypto.pbkdf2Sync(PASS, salt, 12000, 128, 'sha384').toString('base64');
const nodeid = 'node//' + crypto.randomBytes(48).toString('base64').replace(/\+/g, '@').replace(/\//g, '$');
const docs = [
  { _id: 'user//admin', type: 'user', name: 'admin', domain: '', siteadmin: 0xFFFFFFFF, creation: 1700000000, salt, hash,
    links: { [meshid]: { rights: 0xFFFFFFFF } } },
  { _id: meshid, type: 'mesh', mtype: 1, name: 'IDE-R bench', domain: '', desc: '', links: { 'user//admin': { name: 'admin', rights: 0xFFFFFFFF } } },
  { _id: nodeid, type: 'node', mtype: 1, meshid, name: 'amtsim-1', domain: '', host: HOST,
    intelamt: { host: HOST, user: 'admin', pass: AMT_PASS, tls: 0 } },
];

async function meshworkRun(port) {
  const from = simOut.length;
  const ws = new WebSocket(`wss://127.0.0.1:${port}/amtrelay.ashx?p=ider&nodeid=${encodeURIComponent(nodeid)}`, {
    rejectUnauthorized: false, perMessageDeflate: false,
    headers: { 'x-meshauth': Buffer.from('admin').toString('base64') + ',' + Buffer.from(PASS).toString('base64') } });
  let t0 = 0n;
  await new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.state === 'images') {
        t0 = process.hrtime.bigint();
        ws.send(JSON.stringify({ action: 'start', cdrom: '/bench.iso', floppy: '', start: 2 }));
        resolve();
      }
      if (m.state === 'closed') reject(new Error(`meshwork closed: ${m.reason}`));
    });
    ws.on('error', reject);
  });
  const got = await probed(from);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  ws.close();
  check('meshwork', got);
  await sleep(300);
  return secs;
}

async function meshcentralRun(nodelay = false) {
  const from = simOut.length;
  const t0 = process.hrtime.bigint();
  const node = spawn(process.execPath, [path.join(root, 'tests', 'peers', 'redir', 'meshcentral_ider.cjs'), HOST, 'admin', AMT_PASS, iso, '-', '2', '600',
    ...(nodelay ? ['nodelay'] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') } });
  // The clock starts when MeshCentral's session starts connecting (its first state line), as
  // Meshwork's does at the request: Node's start and module loading are not counted.
  let started = t0;
  node.stdout.on('data', (d) => { if (started === t0 && String(d).includes('{"state":1}')) started = process.hrtime.bigint(); });
  try {
    const got = await probed(from);
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    check('meshcentral', got);
    return secs;
  } finally {
    node.kill('SIGTERM');
    await sleep(300);
  }
}

const results = { meshwork: [], meshcentral: [], nodelay: [] };
try {
  await new Promise((r) => { const w = () => (simOut.includes('ready\n') ? r() : setTimeout(w, 20)); w(); });
  const port = await freePort();
  const bin = path.join(root, 'build', 'bin', 'meshwork-server');
  const files = path.join(work, 'mw-files');
  mkdirSync(path.join(files, 'domain', 'user-admin'), { recursive: true });
  copyFileSync(iso, path.join(files, 'domain', 'user-admin', 'bench.iso'));
  const args = ['--datapath', path.join(work, 'mw-data'), '--filespath', files, '--webroot', path.join(root, 'build', 'web'),
    '--portbind', '127.0.0.1', '--port', String(port), '--exactports', '--redirport', '0', '--mpsport', '0', '--cert', '127.0.0.1',
    '--loglevel', process.env.MW_BENCH_LOGLEVEL || 'warn'];
  const importFile = path.join(work, 'import.json');
  writeFileSync(importFile, JSON.stringify(docs));
  execFileSync(bin, [...args, '--dbimport', importFile], { stdio: 'pipe' });
  const s = await start(bin, args, port);
  try {
    for (let i = 0; i < runs; ++i) {  // alternate, so both see the same machine
      results.meshwork.push(await meshworkRun(port));
      results.meshcentral.push(await meshcentralRun());
      results.nodelay.push(await meshcentralRun(true));
    }
  } finally { await stop(s.proc); }
} finally {
  sim.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}

const best = (a) => Math.min(...a);
const mbps = (secs) => size / secs / 1e6;
const mw = best(results.meshwork), mc = best(results.meshcentral), nd = best(results.nodelay);
console.log(`IDE-R, a ${(size / 1048576).toFixed(1)} MiB CD image read whole by amtsim on the LAN (${new Date().toISOString().slice(0, 10)}), best of ${runs}`);
console.log('                        meshwork  meshcentral   ratio   meshcentral+nodelay   ratio');
console.log(`time (s)                ${mw.toFixed(2).padStart(8)}  ${mc.toFixed(2).padStart(8)}            ${nd.toFixed(2).padStart(8)}`);
console.log(`throughput (MB/s)       ${mbps(mw).toFixed(1).padStart(8)}  ${mbps(mc).toFixed(1).padStart(8)}  ${(mc / mw).toFixed(2).padStart(6)}x   ${mbps(nd).toFixed(1).padStart(8)}          ${(nd / mw).toFixed(2).padStart(6)}x`);
const list = (a) => a.map((x) => x.toFixed(2)).join(' ');
console.log(`all runs (s): meshwork ${list(results.meshwork)}; meshcentral ${list(results.meshcentral)}; with nodelay ${list(results.nodelay)}`);
