// What the agent and peer benchmarks share: running meshwork-agent with its log kept, waiting
// for a condition (bounded), writing a large file of random bytes, and downloading a file over a
// files session (docs/agent-protocol.md "Files") through a relay or from the server's own files.
import { spawn } from 'node:child_process';
import { openSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { sleep } from './servers.mjs';

// meshwork-agent with `args`; its stderr kept (the last 0.5–1 MB): { proc, log() }.
export function runAgent(agentBin, args) {
  const proc = spawn(agentBin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; if (log.length > 1e6) log = log.slice(-5e5); });
  return { proc, log: () => log };
}

// Polls `test` every 50 ms until it holds; throws after `timeoutMs`.
export async function waitFor(what, timeoutMs, test) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await test()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// `mib` MiB of random bytes (one random MiB repeated: no compression anywhere on the way can shrink it
// below a MiB per MiB, and none is used).
export function writeBigFile(file, mib) {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  const block = crypto.randomBytes(1 << 20);
  for (let i = 0; i < mib; i++) writeSync(fd, block);
  closeSync(fd);
}

// Downloads `file` over the files session at `url` as `user`/`pass` (x-meshauth): { bytes, secs
// (from the download answer to "done"), mbps }. Rejects unless exactly `expectBytes` arrive.
export function download(url, file, { user, pass, expectBytes, what }) {
  const auth = Buffer.from(user).toString('base64') + ',' + Buffer.from(pass).toString('base64');
  const ws = new WebSocket(url, { headers: { 'x-meshauth': auth }, rejectUnauthorized: false, maxPayload: 2 << 20 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} download timed out`)), 300000);
    let bytes = 0, t0 = 0n;
    ws.on('message', (data, binary) => {
      if (binary) { bytes += data.length; return; }
      const m = JSON.parse(data.toString());
      if (m.op === 'root') ws.send(JSON.stringify({ op: 'download', id: 1, path: file }));
      else if (m.op === 'download') t0 = process.hrtime.bigint();
      else if (m.op === 'done') {
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        clearTimeout(timer);
        ws.close();
        if (bytes !== expectBytes) reject(new Error(`${what}: ${bytes} bytes of ${expectBytes}`));
        resolve({ bytes, secs, mbps: bytes / secs / 1e6 });
      } else if (m.op === 'error' || m.state === 'closed') { clearTimeout(timer); reject(new Error(JSON.stringify(m))); }
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}
