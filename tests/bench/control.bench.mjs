// scripts/bench.sh control: the control channel of meshwork-server next to MeshCentral (npm
// package, the baseline), same data, same machine, same run. Both servers import one database in
// MeshCentral's --dbimport format: an administrator (MeshCentral's own password hash format), a
// device group and MW_BENCH_DEVICES devices (default 1,000). With MW_BENCH_SESSIONS concurrent
// WebSocket clients (default 100, driven by tools/ctlbench) it measures for MW_BENCH_SECONDS each
// (default 10):
//   password logins/s  connect with meshctrl's x-meshauth header until "userinfo" arrives, close
//   cookie logins/s    the same with a session cookie (?auth=), as the browser app reconnects
//   round trips/s      {"action":"nodes"} on open sessions, each waiting for its answer
// Password logins repeat one account's password, as a script running meshctrl per command does:
// Meshwork checks a repeated correct password against a per-process HMAC of it (a cold or wrong
// password costs PBKDF2-SHA-384 with 210,000 iterations), MeshCentral runs its PBKDF2 (12,000
// iterations) every time.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import crypto from 'node:crypto';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, processTree, start, stop } from './lib/servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(path.join(root, 'node_modules', 'meshcentral', 'package.json'));
const WebSocket = require('ws');
const seconds = Number(process.env.MW_BENCH_SECONDS || 10);
const sessions = Number(process.env.MW_BENCH_SESSIONS || 100);
const devices = Number(process.env.MW_BENCH_DEVICES || 1000);
const PASS = 'Bench-pass1';
const ctlbench = path.join(root, 'build', 'bin', 'ctlbench');
const execFileAsync = promisify(execFile);

// One database for both: MeshCentral's export format, its password hash (salt + PBKDF2-SHA-384).
function dataset() {
  const salt = crypto.randomBytes(128).toString('base64');
  const hash = crypto.pbkdf2Sync(PASS, salt, 12000, 128, 'sha384').toString('base64');
  const meshid = 'mesh//' + crypto.randomBytes(48).toString('base64').replace(/\+/g, '@').replace(/\//g, '$');
  const docs = [
    { _id: 'user//admin', type: 'user', name: 'admin', domain: '', siteadmin: 0xFFFFFFFF, creation: 1700000000,
      salt, hash, links: { [meshid]: { rights: 0xFFFFFFFF } } },
    { _id: meshid, type: 'mesh', mtype: 2, name: 'Bench', domain: '', desc: '',
      links: { 'user//admin': { name: 'admin', rights: 0xFFFFFFFF } } },
  ];
  for (let i = 0; i < devices; i++) {
    docs.push({ _id: `node//bench${String(i).padStart(6, '0')}`, type: 'node', mtype: 2, meshid, domain: '',
      name: `pc-${i}`, host: `10.0.${i >> 8}.${i & 255}`, icon: 1 + (i % 8), osdesc: 'Debian GNU/Linux 12' });
  }
  return docs;
}

// Opens a control channel and resolves when "userinfo" arrives (the login is complete).
function open(url, headers) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { rejectUnauthorized: false, headers, perMessageDeflate: false });
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('login timed out')); }, 60000);
    ws.on('message', (data) => {
      const m = JSON.parse(data);
      if (m.action === 'userinfo') { clearTimeout(timer); resolve(ws); }
      if (m.action === 'close') { clearTimeout(timer); ws.terminate(); reject(new Error(`refused: ${JSON.stringify(m)}`)); }
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

const meshauth = { 'x-meshauth': Buffer.from('admin').toString('base64') + ',' + Buffer.from(PASS).toString('base64') };

// tools/ctlbench (native, one thread) drives the load: Node's ws client needed about 2.3 ms of CPU
// per 200 KB "nodes" answer and saturated a core before either server did.
async function ctl(port, mode, clients, extra = []) {
  const { stdout } = await execFileAsync(ctlbench, ['--port', String(port), '--mode', mode, '--clients', String(clients),
    '--seconds', String(seconds), ...extra], { timeout: (seconds + 120) * 1000 });
  const r = JSON.parse(stdout.trim().split('\n').pop());
  if (r.errors) throw new Error(`ctlbench ${mode}: ${r.errors} errors, first: ${r.first_error}`);
  return r;
}

async function measure(name, port, cookieUrl, pid) {
  const url = `wss://127.0.0.1:${port}/control.ashx`;
  // Warm-up: the first login also moves an imported MeshCentral hash to the server's own format.
  (await open(url, meshauth)).close();
  const auth = ['--header', `x-meshauth: ${meshauth['x-meshauth']}`];
  const pwLogins = (await ctl(port, 'logins', Math.min(sessions, 16), auth)).per_second;
  let cookieLogins = 0;
  if (cookieUrl) {
    const u = new URL(await cookieUrl(url));
    cookieLogins = (await ctl(port, 'logins', sessions, ['--target', u.pathname + u.search])).per_second;
  }
  const cpu0 = processTree(pid).cpuSeconds;
  const nodes = await ctl(port, 'nodes', sessions, auth);
  const cpuMsPerTrip = ((processTree(pid).cpuSeconds - cpu0) * 1000) / nodes.done;
  if (nodes.devices !== devices) throw new Error(`${name}: "nodes" listed ${nodes.devices} devices, expected ${devices}`);
  return { name, pwLogins, cookieLogins, rtt: nodes.per_second, cpuMsPerTrip };
}

const docs = dataset();
const work = mkdtempSync(path.join(tmpdir(), 'bench-control-'));
const file = path.join(work, 'import.json');
writeFileSync(file, JSON.stringify(docs));
const results = [];
try {
  {  // Meshwork
    const port = await freePort();
    const bin = path.join(root, 'build', 'bin', 'meshwork-server');
    const args = ['--datapath', path.join(work, 'mw-data'), '--filespath', path.join(work, 'mw-files'),
      '--webroot', path.join(root, 'build', 'web'), '--portbind', '127.0.0.1', '--port', String(port), '--exactports',
      '--redirport', '0', '--mpsport', '0', '--cert', '127.0.0.1', '--loglevel', 'warn'];
    execFileSync(bin, [...args, '--dbimport', file], { stdio: 'pipe' });
    const s = await start(bin, args, port);
    try {
      results.push(await measure('meshwork', port, async (url) => {
        // A session cookie from the login form, given as ?auth= like the app does across origins.
        const body = `username=admin&password=${PASS}`;
        const cookie = await new Promise((resolve, reject) => {
          const req = https.request({ host: '127.0.0.1', port, path: '/login', method: 'POST', rejectUnauthorized: false,
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
            res.resume();
            const c = (res.headers['set-cookie'] || [])[0] || '';
            resolve(c.slice(4, c.indexOf(';')));
          });
          req.on('error', reject);
          req.end(body);
        });
        return `${url}?auth=${encodeURIComponent(cookie)}`;
      }, s.proc.pid));
    } finally { await stop(s.proc); }
  }
  {  // MeshCentral
    const port = await freePort();
    const data = path.join(work, 'meshcentral-data');
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, 'config.json'), JSON.stringify({
      settings: {
        datapath: data, filespath: path.join(work, 'meshcentral-files'), cert: '127.0.0.1', WANonly: true,
        port, portBind: '127.0.0.1', mpsPort: 0, redirPort: 0, exactPorts: true, selfUpdate: false,
        meshScanner: false, amtScanner: false, noAgentUpdate: true, autoBackup: false, agentTimeStampServer: false,
      },
    }));
    const mc = path.join(root, 'node_modules', 'meshcentral');
    execFileSync(process.execPath, [mc, '--datapath', data, '--dbimport', file], { stdio: 'pipe', timeout: 120000 });
    const s = await start(process.execPath, [mc, '--datapath', data], port);
    try { results.push(await measure('meshcentral', port, null, s.proc.pid)); } finally { await stop(s.proc); }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const [mw, mc] = results;
const f = (x) => x.toFixed(0).padStart(8);
console.log(`control channel, ${sessions} sessions, ${devices} devices, ${seconds} s per figure (${new Date().toISOString().slice(0, 10)})`);
console.log('                          meshwork  meshcentral   ratio');
console.log(`password logins/s        ${f(mw.pwLogins)}  ${f(mc.pwLogins)}    ${(mw.pwLogins / mc.pwLogins).toFixed(2)}x  (hash cost: 210,000 vs 12,000 iterations)`);
console.log(`cookie logins/s          ${f(mw.cookieLogins)}       n/a`);
console.log(`"nodes" round trips/s    ${f(mw.rtt)}  ${f(mc.rtt)}    ${(mw.rtt / mc.rtt).toFixed(2)}x  (client: tools/ctlbench, same 2 cores)`);
console.log(`server CPU ms per trip   ${mw.cpuMsPerTrip.toFixed(2).padStart(8)}  ${mc.cpuMsPerTrip.toFixed(2).padStart(8)}    ${(mc.cpuMsPerTrip / mw.cpuMsPerTrip).toFixed(2)}x less`);
