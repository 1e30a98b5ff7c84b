// scripts/bench.sh server: meshwork-server next to MeshCentral (npm package, the baseline),
// measured in the same run on loopback: first start (certificates generated), start with existing
// data, idle resident memory of the whole process tree, and HTTPS requests per second with wrk
// for the app page and for a static file. Prints figures and ratios (Meshwork vs MeshCentral).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, processTree, sleep, start, stop } from './lib/servers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const seconds = Number(process.env.MW_BENCH_SECONDS || 10);

function wrk(port, p) {
  const out = execFileSync('wrk', ['-t2', '-c32', `-d${seconds}s`, '--timeout', '5s', `https://127.0.0.1:${port}${p}`],
    { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return { rps: m ? Number(m[1]) : 0, non2xx: errors ? Number(errors[1]) : 0 };
}

async function measure(name, launch, staticPath) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), `bench-${name}-`));
  const { cmd, args, env } = launch(dir, port);
  const first = await start(cmd, args, port, env);
  await stop(first.proc);
  const again = await start(cmd, args, port, env);
  await sleep(3000);  // idle
  const rss = processTree(again.proc.pid).rssKiB;
  const page = wrk(port, '/');
  const file = wrk(port, staticPath);
  await stop(again.proc);
  rmSync(dir, { recursive: true, force: true });
  return { name, firstMs: first.ms, startMs: again.ms, rssKiB: rss, page, file };
}

// The static-file figure serves the same bytes from both servers: MeshCentral's own
// bootstrap-min.css, copied into a web root for Meshwork next to the built app.
const staticFile = '/styles/bootstrap-min.css';
const meshwork = (dir, port) => {
  const web = path.join(dir, 'web');
  cpSync(path.join(root, 'build', 'web'), web, { recursive: true });
  mkdirSync(path.join(web, 'styles'), { recursive: true });
  cpSync(path.join(root, 'node_modules', 'meshcentral', 'public', 'styles', 'bootstrap-min.css'), path.join(web, staticFile));
  return {
    cmd: path.join(root, 'build', 'bin', 'meshwork-server'),
    args: ['--datapath', path.join(dir, 'data'), '--filespath', path.join(dir, 'files'), '--webroot', web,
      '--portbind', '127.0.0.1', '--port', String(port), '--exactports', '--redirport', '0', '--mpsport', '0',
      '--cert', '127.0.0.1', '--loglevel', 'warn'],
    env: {},
  };
};

const meshcentral = (dir, port) => {
  const data = path.join(dir, 'meshcentral-data');
  mkdirSync(data, { recursive: true });
  writeFileSync(path.join(data, 'config.json'), JSON.stringify({
    settings: {
      datapath: data, filespath: path.join(dir, 'meshcentral-files'), cert: '127.0.0.1', WANonly: true,
      port, portBind: '127.0.0.1', mpsPort: 0, redirPort: 0, exactPorts: true, selfUpdate: false,
      meshScanner: false, amtScanner: false, noAgentUpdate: true, autoBackup: false, agentTimeStampServer: false,
    },
  }));
  return { cmd: process.execPath, args: [path.join(root, 'node_modules', 'meshcentral'), '--datapath', data], env: {} };
};

const mw = await measure('meshwork', meshwork, staticFile);
const mc = await measure('meshcentral', meshcentral, staticFile);
const date = new Date().toISOString().slice(0, 10);
const fmt = (x, d = 0) => x.toFixed(d);
const rows = [
  ['first start (certificates generated), ms', mw.firstMs, mc.firstMs, mc.firstMs / mw.firstMs, 'x faster'],
  ['start with existing data, ms', mw.startMs, mc.startMs, mc.startMs / mw.startMs, 'x faster'],
  ['idle RSS, MiB', mw.rssKiB / 1024, mc.rssKiB / 1024, mc.rssKiB / mw.rssKiB, 'x less'],
  ['GET / (app/login page), req/s', mw.page.rps, mc.page.rps, mw.page.rps / mc.page.rps, 'x more'],
  ['GET static file (same 233 KB CSS), req/s', mw.file.rps, mc.file.rps, mw.file.rps / mc.file.rps, 'x more'],
];
console.log(`server benchmark ${date}: wrk -t2 -c32 -d${seconds}s over HTTPS on loopback; baseline MeshCentral 1.1.55 (node ${process.version})`);
console.log('figure'.padEnd(44) + 'Meshwork'.padEnd(12) + 'MeshCentral'.padEnd(14) + 'ratio');
for (const [label, a, b, r, what] of rows) {
  console.log(label.padEnd(44) + fmt(a, 1).padEnd(12) + fmt(b, 1).padEnd(14) + `${fmt(r, 2)}${what}`);
}
if (mw.page.non2xx || mw.file.non2xx || mc.page.non2xx || mc.file.non2xx) {
  console.log(`non-2xx answers: meshwork ${mw.page.non2xx}/${mw.file.non2xx}, meshcentral ${mc.page.non2xx}/${mc.file.non2xx}`);
}
