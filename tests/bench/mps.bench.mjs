// scripts/bench.sh mps: Intel AMT CIRA connections to meshwork-server's MPS next to MeshCentral's
// MPS (npm package, the baseline), same run, same machine. Both servers import the same database
// (an administrator and one "Intel AMT only" device group) and use the same MPS password; then
// tools/amtsim opens MW_BENCH_DEVICES CIRA connections (default 1,000) and the script measures:
//   time to all connected   amtsim start until it prints "ready" (every device logged in and
//                           registered its ports: TLS, APF login, device record, presence)
//   server memory/device    growth of the server's resident memory (process tree) over that, per device;
//                           read 1 s after the last login and again after 10 s idle
//   server CPU/device       CPU time the server spent over that, per device
//   after a restart         the same fleet connecting again to the server restarted with the
//                           devices in its database (a fleet reconnecting after a restart or an
//                           outage): no records to create, what the connections themselves cost
// amtsim is the same program for both and runs on the same two cores.
// Then Serial-over-LAN throughput: one more amtsim computer connects to Meshwork's MPS, the
// administrator's relay (/amtrelay.ashx?p=sol, Node's ws client) logs in to its console and runs
// `seq 1 MW_BENCH_SOL_LINES` (default 1,000,000 lines, 7.9 MB): MB/s until the last line arrived.
// Baseline in the same run: the same console read directly on the LAN by a minimal SOL client
// (tests/bench/lib/sol_client.mjs, TCP, no server in the way): the console's own speed.
// MeshCentral is no baseline here: its server does not run SOL itself (its server-side redirection
// module has SOL commented out; its browser page speaks the protocol through a byte relay), and
// Debian's amtterm, tried first, loses most of a fast console's output through a pseudo-terminal.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { openSol } from './lib/sol_client.mjs';
import { freePort, httpsGet as get, processTree, sleep, start, stop } from './lib/servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const devices = Number(process.env.MW_BENCH_DEVICES || 1000);
const solLines = Number(process.env.MW_BENCH_SOL_LINES || 1000000);
const MPS_PASS = 'Bench-mps-pass1';
const AMT_PASS = 'P@ssw0rd-bench';
const ADMIN_PASS = 'Bench-admin-pass1';
const amtsim = path.join(root, 'build', 'bin', 'amtsim');

async function connect(name, mpsPort, user, serverPid, check = async () => {}) {
  await sleep(1000);  // let the server settle after start
  const before = processTree(serverPid);
  const t0 = process.hrtime.bigint();
  const sim = spawn(amtsim, ['--mode', 'cira', '--count', String(devices), '--mps', `127.0.0.1:${mpsPort}`, '--mps-user', user,
    '--mps-pass', MPS_PASS, '--amt-pass', AMT_PASS, '--seed', 'bench'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: amtsim not ready after 300 s:\n${out.slice(-2000)}`)), 300000);
    sim.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\nready\n') || out.startsWith('ready\n')) { clearTimeout(timer); resolve(); }
    });
    sim.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name}: amtsim exited (${code}):\n${out.slice(-2000)}`)); });
  });
  try {
    await ready;
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    await sleep(1000);  // records and events written after the logins
    const after = processTree(serverPid);
    const connected = (out.match(/cira=connected/g) || []).length;
    if (connected < devices) throw new Error(`${name}: ${connected} of ${devices} devices connected`);
    await check();  // while amtsim still runs
    // Again after 10 s with the devices connected and idle (keep-alives only): what a fleet costs
    // once the burst of handshakes is over.
    await sleep(10000);
    const idle = processTree(serverPid);
    return { name, secs, memPerDevice: ((after.rssKiB - before.rssKiB) * 1024) / devices,
      idleMemPerDevice: ((idle.rssKiB - before.rssKiB) * 1024) / devices,
      cpuPerDevice: (after.cpuSeconds - before.cpuSeconds) / devices };
  } finally {
    const gone = new Promise((resolve) => { if (sim.exitCode !== null || sim.signalCode !== null) resolve(); else sim.on('exit', resolve); });
    sim.kill('SIGTERM');
    await gone;
  }
}

// The bytes of `seq 1 n` with CR LF line ends, and its last line.
const seqBytes = (n) => { let b = 0; for (let i = 1; i <= n; i++) b += String(i).length + 2; return b; };

// Feeds console output to `onText` until `pattern` is in the last 256 characters; resolves with
// the bytes seen meanwhile. Rejects after `ms`.
function consoleReader() {
  let tail = '', bytes = 0, waiter = null;
  return {
    push(chunk) {
      bytes += chunk.length;
      tail = (tail + chunk.toString('latin1')).slice(-256);
      if (waiter && tail.includes(waiter.pattern)) { const w = waiter; waiter = null; clearTimeout(w.timer); w.resolve(bytes); }
    },
    until(pattern, ms, what) {
      return new Promise((resolve, reject) => {
        if (tail.includes(pattern)) { tail = ''; return resolve(bytes); }
        waiter = { pattern, resolve: (b) => { tail = ''; resolve(b); },
          timer: setTimeout(() => { waiter = null; reject(new Error(`${what}: no "${pattern}" within ${ms} ms; last: ${JSON.stringify(tail)}`)); }, ms) };
      });
    },
    bytes: () => bytes,
  };
}

// Logs in to the simulated console behind `write`/`reader` and times `seq 1 solLines`: MB/s.
async function timeSeq(write, reader, what) {
  await reader.until('login: ', 30000, `${what}: login prompt`);
  write('operator\r');
  await reader.until('$ ', 10000, `${what}: shell prompt`);
  const start = reader.bytes();
  const t0 = process.hrtime.bigint();
  write(`seq 1 ${solLines}\r`);
  // "\n1000000\r": the last line, whether the line ends are CR LF (SOL) or CR CR LF (amtterm's
  // output through a pseudo-terminal).
  const end = await reader.until(`\n${solLines}\r`, 300000, `${what}: seq`);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (end - start < seqBytes(solLines)) throw new Error(`${what}: ${end - start} bytes, fewer than seq's ${seqBytes(solLines)}`);
  return { bytes: end - start, secs, mbps: (end - start) / secs / 1e6 };
}

const meshauth = () => ({ 'x-meshauth': Buffer.from('admin').toString('base64') + ',' + Buffer.from(ADMIN_PASS).toString('base64') });

// One control action as the administrator; the answer with its responseid.
function control(port, cmd) {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/control.ashx`, { headers: meshauth(), rejectUnauthorized: false, maxPayload: 64 << 20 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ws.close(); reject(new Error(`${cmd.action}: no answer`)); }, 30000);
    ws.on('open', () => ws.send(JSON.stringify({ ...cmd, responseid: 'b' })));
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.responseid === 'b' || (cmd.action === 'nodes' && m.action === 'nodes')) { clearTimeout(timer); ws.close(); resolve(m); }
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

// SOL through Meshwork's MPS and relay: an amtsim computer by CIRA, the administrator's relay.
async function solThroughMeshwork(port, mpsPort) {
  const sim = spawn(amtsim, ['--mode', 'cira', '--count', '1', '--mps', `127.0.0.1:${mpsPort}`, '--mps-user', ciraUser,
    '--mps-pass', MPS_PASS, '--amt-pass', AMT_PASS, '--seed', 'bench-sol'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sim.stdout.on('data', (d) => { out += d; });
  try {
    for (let i = 0; i < 600 && !out.includes('ready\n'); i++) await sleep(50);
    if (!out.includes('ready\n')) throw new Error(`SOL computer not ready: ${out}`);
    await sleep(500);
    const nodes = await control(port, { action: 'nodes' });
    const node = Object.values(nodes.nodes).flat().find((n) => n.conn & 2);
    if (!node) throw new Error(`no connected CIRA computer: ${JSON.stringify(nodes).slice(0, 500)}`);
    const set = await control(port, { action: 'changedevice', nodeid: node._id, intelamt: { user: 'admin', pass: AMT_PASS } });
    if (set.result !== 'ok') throw new Error(`credentials: ${JSON.stringify(set)}`);
    const ws = new WebSocket(`wss://127.0.0.1:${port}/amtrelay.ashx?p=sol&nodeid=${encodeURIComponent(node._id.split('/')[2])}`,
      { headers: meshauth(), rejectUnauthorized: false, maxPayload: 64 << 20 });
    const reader = consoleReader();
    ws.on('message', (d, binary) => { if (binary) reader.push(d); });
    await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    try {
      return await timeSeq((text) => ws.send(Buffer.from(text), { binary: true }), reader, 'SOL through Meshwork');
    } finally { ws.close(); }
  } finally { sim.kill('SIGTERM'); }
}

// The same console read directly on the LAN (TCP to the simulated computer's redirection port) by
// a minimal SOL client (lib/sol_client.mjs): the console's own speed, no server in the way.
async function solDirect() {
  const ip = '127.0.0.181';
  const sim = spawn(amtsim, ['--mode', 'lan', '--count', '1', '--first-ip', ip, '--amt-pass', AMT_PASS, '--seed', 'bench-sol'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sim.stdout.on('data', (d) => { out += d; });
  try {
    for (let i = 0; i < 200 && !out.includes('ready\n'); i++) await sleep(50);
    if (!out.includes('ready\n')) throw new Error(`LAN computer not ready: ${out}`);
    const reader = consoleReader();
    const sol = await openSol(ip, 16994, 'admin', AMT_PASS, (d) => reader.push(d));
    try {
      return await timeSeq((text) => sol.write(text), reader, 'SOL directly on the LAN');
    } finally { sol.close(); }
  } finally { sim.kill('SIGTERM'); }
}

const meshid = 'mesh//' + crypto.randomBytes(48).toString('base64').replace(/\+/g, '@').replace(/\//g, '$');
const ciraUser = meshid.slice(6, 22).replace(/[@$]/g, 'X');
const docs = [
  { _id: 'user//admin', type: 'user', name: 'admin', domain: '', siteadmin: 0xFFFFFFFF, creation: 1700000000,
    links: { [meshid]: { rights: 0xFFFFFFFF } } },
  { _id: meshid, type: 'mesh', mtype: 1, name: 'CIRA bench', domain: '', desc: '',
    links: { 'user//admin': { name: 'admin', rights: 0xFFFFFFFF } } },
];
const work = mkdtempSync(path.join(tmpdir(), 'bench-mps-'));
const file = path.join(work, 'import.json');
writeFileSync(file, JSON.stringify(docs));
const results = [];
const solResults = {};
try {
  {  // Meshwork
    const port = await freePort();
    const mpsPort = await freePort();
    const bin = path.join(root, 'build', 'bin', 'meshwork-server');
    const args = ['--datapath', path.join(work, 'mw-data'), '--filespath', path.join(work, 'mw-files'),
      '--webroot', path.join(root, 'build', 'web'), '--portbind', '127.0.0.1', '--port', String(port), '--exactports',
      '--redirport', '0', '--mpsport', String(mpsPort), '--mpsportbind', '127.0.0.1', '--mpspass', MPS_PASS,
      '--cert', '127.0.0.1', '--loglevel', process.env.MW_BENCH_LOGLEVEL || 'warn'];
    execFileSync(bin, [...args, '--dbimport', file], { stdio: 'pipe' });
    execFileSync(bin, [...args, '--resetaccount', 'admin', '--pass', ADMIN_PASS], { stdio: 'pipe' });
    const counted = (s) => async () => {
      const m = /meshwork_mps_devices (\d+)/.exec((await get(port, '/metrics')).body);
      if (!m || Number(m[1]) !== devices) throw new Error(`meshwork: /metrics says ${m && m[1]} devices connected\n${s.output().slice(-3000)}`);
    };
    const s = await start(bin, args, port);
    let first;
    try { first = await connect('meshwork', mpsPort, ciraUser, s.proc.pid, counted(s)); } finally { await stop(s.proc); }
    const s2 = await start(bin, args, port);
    try {
      const again = await connect('meshwork (restarted)', mpsPort, ciraUser, s2.proc.pid, counted(s2));
      results.push({ ...first, again });
      solResults.meshwork = await solThroughMeshwork(port, mpsPort);
    } finally { await stop(s2.proc); }
    solResults.direct = await solDirect();
  }
  {  // MeshCentral
    const port = await freePort();
    const mpsPort = await freePort();
    const data = path.join(work, 'meshcentral-data');
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, 'config.json'), JSON.stringify({
      settings: {
        datapath: data, filespath: path.join(work, 'meshcentral-files'), cert: '127.0.0.1', WANonly: true,
        port, portBind: '127.0.0.1', mpsPort, mpsPass: MPS_PASS, redirPort: 0, exactPorts: true, selfUpdate: false,
        meshScanner: false, amtScanner: false, noAgentUpdate: true, autoBackup: false, agentTimeStampServer: false,
      },
    }));
    const mc = path.join(root, 'node_modules', 'meshcentral');
    execFileSync(process.execPath, [mc, '--datapath', data, '--dbimport', file], { stdio: 'pipe', timeout: 120000 });
    const s = await start(process.execPath, [mc, '--datapath', data], port);
    let first;
    try { first = await connect('meshcentral', mpsPort, ciraUser, s.proc.pid); } finally { await stop(s.proc); }
    const s2 = await start(process.execPath, [mc, '--datapath', data], port);
    try { results.push({ ...first, again: await connect('meshcentral (restarted)', mpsPort, ciraUser, s2.proc.pid) }); } finally { await stop(s2.proc); }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const [mw, mc] = results;
console.log(`MPS, ${devices} CIRA devices from amtsim on the same machine (${new Date().toISOString().slice(0, 10)})`);
console.log('                             meshwork  meshcentral   ratio');
console.log(`time to all connected (s)  ${mw.secs.toFixed(2).padStart(8)}  ${mc.secs.toFixed(2).padStart(8)}    ${(mc.secs / mw.secs).toFixed(2)}x faster`);
console.log(`server memory/device (KiB) ${(mw.memPerDevice / 1024).toFixed(1).padStart(8)}  ${(mc.memPerDevice / 1024).toFixed(1).padStart(8)}    ${(mc.memPerDevice / mw.memPerDevice).toFixed(2)}x less`);
console.log(`  after 10 s idle (KiB)     ${(mw.idleMemPerDevice / 1024).toFixed(1).padStart(8)}  ${(mc.idleMemPerDevice / 1024).toFixed(1).padStart(8)}    ${(mc.idleMemPerDevice / mw.idleMemPerDevice).toFixed(2)}x less`);
console.log(`server CPU/device (ms)     ${(mw.cpuPerDevice * 1000).toFixed(2).padStart(8)}  ${(mc.cpuPerDevice * 1000).toFixed(2).padStart(8)}    ${(mc.cpuPerDevice / mw.cpuPerDevice).toFixed(2)}x less`);
console.log(`after a restart (KiB)      ${(mw.again.memPerDevice / 1024).toFixed(1).padStart(8)}  ${(mc.again.memPerDevice / 1024).toFixed(1).padStart(8)}    ${(mc.again.memPerDevice / mw.again.memPerDevice).toFixed(2)}x less`);
console.log(`  after 10 s idle (KiB)     ${(mw.again.idleMemPerDevice / 1024).toFixed(1).padStart(8)}  ${(mc.again.idleMemPerDevice / 1024).toFixed(1).padStart(8)}    ${(mc.again.idleMemPerDevice / mw.again.idleMemPerDevice).toFixed(2)}x less`);
console.log(`  time to all connected (s)${mw.again.secs.toFixed(2).padStart(8)}  ${mc.again.secs.toFixed(2).padStart(8)}    ${(mc.again.secs / mw.again.secs).toFixed(2)}x faster`);
const sol = solResults;
console.log(`Serial-over-LAN, seq 1 ${solLines} (${(sol.meshwork.bytes / 1e6).toFixed(1)} MB): through Meshwork's MPS and relay ` +
  `${sol.meshwork.mbps.toFixed(2)} MB/s; directly on the LAN by a minimal SOL client (no server) ` +
  `${sol.direct.mbps.toFixed(2)} MB/s; ratio ` +
  `${(sol.meshwork.mbps / sol.direct.mbps).toFixed(2)}`);
