// What the Node benchmark scripts share to run servers on loopback: a free port, an HTTPS GET
// that never throws, starting a server (timed, until it answers "/" with 200) and stopping its
// whole process group, and the CPU time and resident memory of a process tree.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// { status, body }; status 0 when the server does not answer within 2 s.
export function httpsGet(port, p) {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: p, rejectUnauthorized: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => { req.destroy(); resolve({ status: 0, body: '' }); });
  });
}

// Starts `cmd` in its own process group and waits (bounded, about 60 s) until it answers "/" on
// `port`: { proc, ms (start to first answer), output() }.
export async function start(cmd, args, port, env = {}) {
  const t0 = process.hrtime.bigint();
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  for (let i = 0; i < 3000; i++) {
    if ((await httpsGet(port, '/')).status === 200) {
      return { proc, ms: Number(process.hrtime.bigint() - t0) / 1e6, output: () => out };
    }
    if (proc.exitCode !== null) break;
    await sleep(20);
  }
  try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
  throw new Error(`${cmd} did not answer on port ${port}:\n${out}`);
}

// SIGTERM to the process group, SIGKILL after 10 s.
export async function stop(proc) {
  const done = new Promise((r) => proc.on('exit', r));
  try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
  const timer = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 10000);
  await done;
  clearTimeout(timer);
}

// A process and its descendants: CPU time (user + system, s) and resident memory (VmRSS, KiB).
export function processTree(pid) {
  const children = new Map();
  const cpu = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / 100);  // USER_HZ
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  let cpuSeconds = 0, rssKiB = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    cpuSeconds += cpu.get(p) || 0;
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) rssKiB += Number(m[1]);
    } catch { /* gone */ }
    stack.push(...(children.get(p) || []));
  }
  return { cpuSeconds, rssKiB };
}
