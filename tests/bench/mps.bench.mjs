// scripts/bench.sh mps: Intel AMT CIRA connections to meshwork-server's MPS next to MeshCentral's
// MPS (npm package, the baseline), same run, same machine. Both servers import the same database
// (an administrator and one "Intel AMT only" device group) and use the same MPS password; then
// tools/amtsim opens MW_BENCH_DEVICES CIRA connections (default 1,000) and the script measures:
//   time to all connected   amtsim start until it prints "ready" (every device logged in and
//                           registered its ports: TLS, APF login, device record, presence)
//   server memory/device    growth of the server's resident memory (process tree) over that, per device;
//                           read 1 s after the last login and again after 10 s idle
//   server CPU/device       CPU time the server spent over that, per device
// amtsim is the same program for both and runs on the same two cores.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, httpsGet as get, processTree, sleep, start, stop } from './lib/servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const devices = Number(process.env.MW_BENCH_DEVICES || 1000);
const MPS_PASS = 'Bench-mps-pass1';
const amtsim = path.join(root, 'build', 'bin', 'amtsim');

async function connect(name, mpsPort, user, serverPid, check = async () => {}) {
  await sleep(1000);  // let the server settle after start
  const before = processTree(serverPid);
  const t0 = process.hrtime.bigint();
  const sim = spawn(amtsim, ['--mode', 'cira', '--count', String(devices), '--mps', `127.0.0.1:${mpsPort}`, '--mps-user', user,
    '--mps-pass', MPS_PASS, '--amt-pass', 'P@ssw0rd-bench', '--seed', 'bench'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    sim.kill('SIGTERM');
  }
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
    const s = await start(bin, args, port);
    try {
      results.push(await connect('meshwork', mpsPort, ciraUser, s.proc.pid, async () => {
        const m = /meshwork_mps_devices (\d+)/.exec((await get(port, '/metrics')).body);
        if (!m || Number(m[1]) !== devices) throw new Error(`meshwork: /metrics says ${m && m[1]} devices connected\n${s.output().slice(-3000)}`);
      }));
    } finally { await stop(s.proc); }
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
    try { results.push(await connect('meshcentral', mpsPort, ciraUser, s.proc.pid)); } finally { await stop(s.proc); }
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
