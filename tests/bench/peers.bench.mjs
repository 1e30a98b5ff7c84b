// scripts/bench.sh peers: two meshwork-servers sharing one PostgreSQL database act as one
// (config.json "peers", docs/configuration.md). One agent connected to beta serves a file of
// MW_BENCH_RELAY_MIB MiB (default 256) from its FilesRoot; Node's ws client downloads it
//   through beta    one server: the relay of `scripts/bench.sh agents`, the baseline, and
//   through alpha   two servers: alpha joins the browser's socket to a relay connection to beta
//                   (/meshserver.ashx, TLS), where beta pairs it with the agent's
// alternately, MW_BENCH_ROUNDS rounds (default 3): MB/s each way and the two-server figure's
// ratio to the one-server one, measured in the same run. Also: seconds from both servers
// answering to their link being up, and each server's resident memory once linked.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from './lib/postgres.mjs';
import { download, runAgent, waitFor, writeBigFile } from './lib/relay.mjs';
import { freePort, httpsGet as get, processTree, start, stop } from './lib/servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const relayMiB = Number(process.env.MW_BENCH_RELAY_MIB || 256);
const rounds = Number(process.env.MW_BENCH_ROUNDS || 3);
const agentBin = path.join(root, 'build', 'bin', 'meshwork-agent');
const serverBin = path.join(root, 'build', 'bin', 'meshwork-server');
const PASS = 'Bench-admin-pass1';
const meshid = 'mesh//' + crypto.randomBytes(48).toString('base64').replace(/\+/g, '@').replace(/\//g, '$');
const work = mkdtempSync(path.join(tmpdir(), 'bench-peers-'));

async function metric(port, name) {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec((await get(port, '/metrics')).body);
  return m ? Number(m[1]) : -1;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const pg = await startPostgres();
const procs = [];
const results = { beta: [], alpha: [] };
let files = '';
try {
  pg.sql('CREATE DATABASE mw_bench');
  const ports = { alpha: await freePort(), beta: await freePort() };
  const args = {};
  for (const id of ['alpha', 'beta']) {
    const data = path.join(work, `${id}-data`);
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, 'config.json'), JSON.stringify({
      settings: { postgres: { host: '127.0.0.1', port: pg.port, user: 'postgres', database: 'mw_bench' } },
      peers: { serverId: id, servers: Object.fromEntries(Object.entries(ports).map(([k, p]) => [k, { url: `wss://127.0.0.1:${p}/` }])) },
    }));
    args[id] = ['--datapath', data, '--filespath', path.join(work, `${id}-files`), '--webroot', path.join(root, 'build', 'web'),
      '--portbind', '127.0.0.1', '--port', String(ports[id]), '--exactports', '--redirport', '0', '--mpsport', '0',
      '--cert', '127.0.0.1', '--loglevel', 'warn'];
  }
  const importFile = path.join(work, 'import.json');
  writeFileSync(importFile, JSON.stringify([
    { _id: 'user//admin', type: 'user', name: 'admin', domain: '', siteadmin: 0xFFFFFFFF, creation: 1700000000,
      links: { [meshid]: { rights: 0xFFFFFFFF } } },
    { _id: meshid, type: 'mesh', mtype: 2, name: 'Peer bench', domain: '', desc: '', links: { 'user//admin': { name: 'admin', rights: 0xFFFFFFFF } } },
  ]));
  execFileSync(serverBin, [...args.alpha, '--dbimport', importFile], { stdio: 'pipe' });
  execFileSync(serverBin, [...args.alpha, '--resetaccount', 'admin', '--pass', PASS], { stdio: 'pipe' });

  const alpha = await start(serverBin, args.alpha, ports.alpha);
  procs.push(alpha.proc);
  const beta = await start(serverBin, args.beta, ports.beta);
  procs.push(beta.proc);
  const t0 = Date.now();
  // alpha sorts first and dials; its back-off may have started before beta was up.
  await waitFor('the peer link', 60000, async () => (await metric(ports.alpha, 'meshwork_peer_links')) === 1 &&
    (await metric(ports.beta, 'meshwork_peer_links')) === 1);
  results.linkSecs = (Date.now() - t0) / 1000;
  results.rss = { alpha: processTree(alpha.proc.pid).rssKiB, beta: processTree(beta.proc.pid).rssKiB };

  files = path.join(work, 'agent-files');
  writeBigFile(path.join(files, 'big.bin'), relayMiB);
  const settingsText = (await get(ports.beta, `/meshsettings?id=${encodeURIComponent(meshid)}`)).body;
  if (!settingsText.includes(`MeshServer=wss://127.0.0.1:${ports.beta}`)) throw new Error(`no settings from beta: ${settingsText}`);
  const settings = path.join(work, 'agent.msh');
  writeFileSync(settings, settingsText + `FilesRoot=${files}\n`);
  const agent = runAgent(agentBin, ['--settings', settings, '--state-dir', path.join(work, 'agent')]);
  procs.push(agent.proc);
  await waitFor('the agent', 60000, async () => /as node\/\/\S+/.test(agent.log()));
  const node = /as node\/\/(\S+)/.exec(agent.log())[1];
  // Both servers list it online (alpha through the link's presence).
  await waitFor('the agent on alpha', 30000, async () => (await metric(ports.beta, 'meshwork_agents')) === 1);

  const opts = (what) => ({ user: 'admin', pass: PASS, expectBytes: relayMiB * 1048576, what });
  for (let r = 0; r < rounds; r++) {
    for (const via of r % 2 ? ['alpha', 'beta'] : ['beta', 'alpha']) {
      const url = `wss://127.0.0.1:${ports[via]}/meshrelay.ashx?p=5&nodeid=${encodeURIComponent(node)}`;
      results[via].push((await download(url, path.join(files, 'big.bin'), opts(`through ${via}`))).mbps);
    }
  }
} finally {
  for (const p of procs.reverse()) {
    if (p.exitCode === null) {
      if (p.spawnargs[0] === agentBin) p.kill('SIGTERM'); else await stop(p);
    }
  }
  pg.stop();
  rmSync(work, { recursive: true, force: true });
}

const one = median(results.beta), two = median(results.alpha);
console.log(`Two servers sharing PostgreSQL (peers), meshwork-server on this machine (${new Date().toISOString().slice(0, 10)})`);
console.log(`link up ${results.linkSecs.toFixed(1)} s after both answered; resident memory once linked: alpha ${results.rss.alpha} KiB, beta ${results.rss.beta} KiB`);
console.log(`download ${relayMiB} MiB from an agent on beta, ${rounds} rounds (MB/s):`);
console.log(`  through beta (one server):   ${results.beta.map((x) => x.toFixed(0)).join(', ')}; median ${one.toFixed(0)}`);
console.log(`  through alpha (two servers): ${results.alpha.map((x) => x.toFixed(0)).join(', ')}; median ${two.toFixed(0)}`);
console.log(`two servers / one server: ${(two / one).toFixed(2)}`);
