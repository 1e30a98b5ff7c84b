// scripts/bench.sh agents: agents connecting to meshwork-server, and a file download relayed
// through it, against ceilings measured in the same run on the same machine.
//   swarm            meshwork-agent --swarm N (real WSS connections, each its own key and proof)
//                    for N in MW_BENCH_AGENTS (default 1000,10000): seconds from the swarm's keys
//                    being ready until the server's /metrics counts N agents, connections per
//                    second, and the server's resident memory and CPU per agent (process tree,
//                    growth over the run; memory read again after 10 s idle)
//   relay            one agent serves a 256 MiB file (FilesRoot); a browser-side WebSocket client
//                    (Node's ws) downloads it through /meshrelay.ashx: MB/s
//   server files     the same size of file downloaded from the server's own storage (My Files,
//                    /serverfiles.ashx): MB/s, one TLS hop and no agent; the relay's ratio to it
//   ceiling          `openssl speed -evp aes-256-gcm -bytes 16384` on one core: MB/s; the relay's
//                    ratio to it (every relayed byte is encrypted and decrypted twice on the way)
//   soak             one agent's resident memory over MW_BENCH_SOAK (default 2000) reconnection
//                    attempts with the back-off capped at 20 ms: against a closed port (server
//                    unreachable) and against the server with a wrong ServerID (every attempt a full
//                    TLS handshake and proof, refused); RSS after the first tenth and at the end
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { download as downloadFile, runAgent as runAgentBin, waitFor, writeBigFile } from './lib/relay.mjs';
import { freePort, httpsGet as get, processTree, sleep, start, stop } from './lib/servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const counts = (process.env.MW_BENCH_AGENTS || '1000,10000').split(',').map(Number);
const relayMiB = Number(process.env.MW_BENCH_RELAY_MIB || 256);
const soakAttempts = Number(process.env.MW_BENCH_SOAK || 2000);
const agentBin = path.join(root, 'build', 'bin', 'meshwork-agent');
// MW_BENCH_SERVER: another command for the server (e.g. a heaptrack wrapper when looking for memory).
const serverBin = process.env.MW_BENCH_SERVER || path.join(root, 'build', 'bin', 'meshwork-server');

const meshid = 'mesh//' + crypto.randomBytes(48).toString('base64').replace(/\+/g, '@').replace(/\//g, '$');
const work = mkdtempSync(path.join(tmpdir(), 'bench-agents-'));
const PASS = 'Bench-admin-pass1';

async function metric(port, name) {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec((await get(port, '/metrics')).body);
  return m ? Number(m[1]) : -1;
}

const runAgent = (args) => runAgentBin(agentBin, args);

async function swarm(port, settings, n) {
  const state = path.join(work, `swarm-${n}`);
  // Keys first (not part of the connection figure): a run that only creates them.
  const before = processTree(serverPidGlobal);
  const a = runAgent(['--swarm', String(n), '--settings', settings, '--state-dir', state]);
  await waitFor('swarm keys', 600000, async () => a.log().includes(`swarm of ${n} agents`));
  const t0 = process.hrtime.bigint();
  await waitFor(`${n} agents`, 600000, async () => (await metric(port, 'meshwork_agents')) >= n);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await sleep(2000);
  const after = processTree(serverPidGlobal);
  await sleep(10000);
  const idle = processTree(serverPidGlobal);
  const swarmTree = processTree(a.proc.pid);
  const connected = await metric(port, 'meshwork_agents');
  a.proc.kill('SIGTERM');
  await waitFor('agents gone', 120000, async () => (await metric(port, 'meshwork_agents')) === 0);
  if (connected !== n) throw new Error(`${connected} of ${n} agents connected`);
  return {
    n, secs, perSec: n / secs,
    memPerAgent: ((after.rssKiB - before.rssKiB) * 1024) / n,
    idleMemPerAgent: ((idle.rssKiB - before.rssKiB) * 1024) / n,
    cpuPerAgent: (after.cpuSeconds - before.cpuSeconds) / n,
    swarmMemPerAgent: (swarmTree.rssKiB * 1024) / n,
  };
}

const download = (url, file, what) => downloadFile(url, file, { user: 'admin', pass: PASS, expectBytes: relayMiB * 1048576, what });

async function relay(port, settingsText) {
  const files = path.join(work, 'files');
  const file = path.join(files, 'big.bin');
  writeBigFile(file, relayMiB);
  const settings = path.join(work, 'relay.msh');
  writeFileSync(settings, settingsText + `FilesRoot=${files}\n`);
  const a = runAgent(['--settings', settings, '--state-dir', path.join(work, 'relay-agent')]);
  try {
    await waitFor('relay agent', 60000, async () => /as node\/\/\S+/.test(a.log()));
    const node = /as node\/\/(\S+)/.exec(a.log())[1];
    return await download(`wss://127.0.0.1:${port}/meshrelay.ashx?p=5&nodeid=${encodeURIComponent(node)}`, file, 'relay');
  } finally {
    a.proc.kill('SIGTERM');
  }
}

// The same size of file served by the server itself: the administrator's My Files
// (/serverfiles.ashx), one TLS connection instead of two and no agent.
async function serverFiles(port) {
  writeBigFile(path.join(work, 'mw-files', 'domain', 'user-admin', 'big.bin'), relayMiB);
  return download(`wss://127.0.0.1:${port}/serverfiles.ashx?store=${encodeURIComponent('user//admin')}`, '/big.bin', 'server files');
}

// One agent failing `soakAttempts` times in a row: its RSS (KiB) after a tenth of them and at the end.
async function soak(name, settingsText) {
  const settings = path.join(work, `soak-${name}.msh`);
  writeFileSync(settings, settingsText);
  const a = runAgent(['--settings', settings, '--state-dir', path.join(work, `soak-${name}`), '--backoff-max-ms', '20']);
  const attempts = () => (a.log().match(/retrying in/g) || []).length;
  let logged = 0;
  a.proc.stderr.on('data', (d) => { logged += (String(d).match(/retrying in/g) || []).length; });
  try {
    const t0 = Date.now();
    await waitFor(`${name}: warm-up`, 600000, async () => logged >= soakAttempts / 10);
    const warm = processTree(a.proc.pid).rssKiB;
    await waitFor(`${name}: ${soakAttempts} attempts`, 1800000, async () => logged >= soakAttempts);
    const end = processTree(a.proc.pid).rssKiB;
    return { name, attempts: logged, secs: (Date.now() - t0) / 1000, warm, end, sample: attempts() };
  } finally {
    a.proc.kill('SIGTERM');
  }
}

// Single-core AES-256-GCM throughput (MB/s) at 16 KiB, the size of a TLS record.
function aesCeiling() {
  const out = execFileSync('openssl', ['speed', '-evp', 'aes-256-gcm', '-seconds', '3', '-bytes', '16384'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = /^AES-256-GCM\s+([\d.]+)k/m.exec(out);
  if (!m) throw new Error(`cannot read openssl speed's output:\n${out}`);
  return Number(m[1]) * 1000 / 1e6;
}

let serverPidGlobal = 0;
const results = { swarms: [] };
try {
  const docs = [
    { _id: 'user//admin', type: 'user', name: 'admin', domain: '', siteadmin: 0xFFFFFFFF, creation: 1700000000,
      links: { [meshid]: { rights: 0xFFFFFFFF } } },
    { _id: meshid, type: 'mesh', mtype: 2, name: 'Agent bench', domain: '', desc: '',
      links: { 'user//admin': { name: 'admin', rights: 0xFFFFFFFF } } },
  ];
  const importFile = path.join(work, 'import.json');
  writeFileSync(importFile, JSON.stringify(docs));
  const port = await freePort();
  const args = ['--datapath', path.join(work, 'mw-data'), '--filespath', path.join(work, 'mw-files'),
    '--webroot', path.join(root, 'build', 'web'), '--portbind', '127.0.0.1', '--port', String(port), '--exactports',
    '--redirport', '0', '--mpsport', '0', '--cert', '127.0.0.1', '--loglevel', process.env.MW_BENCH_LOGLEVEL || 'warn'];
  execFileSync(serverBin, [...args, '--dbimport', importFile], { stdio: 'pipe' });
  execFileSync(serverBin, [...args, '--resetaccount', 'admin', '--pass', PASS], { stdio: 'pipe' });
  const s = await start(serverBin, args, port);
  serverPidGlobal = s.proc.pid;
  try {
    const settingsText = (await get(port, `/meshsettings?id=${encodeURIComponent(meshid)}`)).body;
    if (!settingsText.includes('MeshServer=wss://127.0.0.1')) throw new Error(`no settings: ${settingsText}`);
    const settings = path.join(work, 'agent.msh');
    writeFileSync(settings, settingsText);
    for (const n of counts) results.swarms.push(await swarm(port, settings, n));
    results.relay = await relay(port, settingsText);
    results.serverFiles = await serverFiles(port);
    const closed = await freePort();
    results.soaks = [
      await soak('unreachable', settingsText.replace(/MeshServer=wss:\/\/127\.0\.0\.1:\d+/, `MeshServer=wss://127.0.0.1:${closed}`)),
      await soak('refused', settingsText.replace(/ServerID=[0-9a-f]{8}/, 'ServerID=00000000')),
    ];
  } finally {
    await stop(s.proc);
  }
  results.ceiling = aesCeiling();
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`Agents and relay, meshwork-server on this machine (${new Date().toISOString().slice(0, 10)})`);
console.log('agents   connect (s)   agents/s   server KiB/agent (idle)   server CPU ms/agent   swarm KiB/agent');
for (const r of results.swarms) {
  console.log(`${String(r.n).padStart(6)}  ${r.secs.toFixed(2).padStart(11)}  ${r.perSec.toFixed(0).padStart(9)}` +
    `  ${(r.memPerAgent / 1024).toFixed(1).padStart(12)} (${(r.idleMemPerAgent / 1024).toFixed(1)})` +
    `  ${(r.cpuPerAgent * 1000).toFixed(2).padStart(20)}  ${(r.swarmMemPerAgent / 1024).toFixed(1).padStart(16)}`);
}
const r = results.relay;
for (const s of results.soaks) {
  console.log(`soak ${s.name}: ${s.attempts} reconnection attempts in ${s.secs.toFixed(0)} s; agent RSS ${s.warm} KiB after ` +
    `${soakAttempts / 10}, ${s.end} KiB at the end (${((s.end - s.warm) * 1000 / (s.attempts - soakAttempts / 10)).toFixed(1)} KiB per 1,000 attempts)`);
}
console.log(`relay download ${relayMiB} MiB: ${r.mbps.toFixed(0)} MB/s; single-core AES-256-GCM ceiling ${results.ceiling.toFixed(0)} MB/s;` +
  ` ratio ${(r.mbps / results.ceiling).toFixed(3)} (target 0.5)`);
const sf = results.serverFiles;
console.log(`server files download ${relayMiB} MiB (My Files, no agent): ${sf.mbps.toFixed(0)} MB/s; ratio to the ceiling` +
  ` ${(sf.mbps / results.ceiling).toFixed(3)}; the relay at ${(r.mbps / sf.mbps).toFixed(2)} of it`);
