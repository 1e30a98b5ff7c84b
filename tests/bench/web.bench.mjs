// scripts/bench.sh web: the browser app (build/web) in headless Chromium on loopback, against
// noVNC (npm @novnc/novnc, the baseline) in the same browser on the same relay in the same run.
//   size         app.js + app.wasm raw and gzip (the build's pre-compressed .gz files), and what
//                the app page really fetches after login (Resource Timing: transferSize,
//                encodedBodySize), fonts included. Target: wasm + js <= 1.5 MB gzip.
//   first frame  navigation start of the app page (after login) to the app's first drawn frame
//                (the moment it sets window.meshwork.frames to 1), median of --runs loads: cold
//                (a new browser context holding only the session cookie, empty cache) and warm
//                (reloads of one page); when the responses completed, for where the time goes.
//                Target: <= 1 s on loopback.
//   desktop      a private Xvfb 1920x1080x24 whose whole screen tools/xanimate changes 60 times a
//                second; meshwork-agent serves it; the app opens it with the Desktop button
//                (Lossless: Tight without JPEG, the default). Over --seconds after a warm-up:
//                framebuffer updates decoded per second (window.meshwork.desktops[0].updates),
//                frames the app drew per second (window.meshwork.frames), and "shown/s", browser
//                frames (requestAnimationFrame ticks) in which the decoded count had advanced.
//                Then noVNC in a page of the same browser context and origin (its session cookie)
//                connects to the same relay, /meshrelay.ashx?p=2&nodeid=... (the node id from the
//                agent's log, checked against the app's), asking for the same encodings as the app
//                (its quality and compression pseudo-encodings removed, so the agent sends lossless
//                Tight at its default compression to both), scaled to the page as the app scales:
//                FramebufferUpdates completed per second and shown/s. Target: the app >= 30
//                updates/s. Over each window, the cores used by every process started here
//                (server, agent, Xvfb, xanimate, Chromium's browser, renderer, GPU and other
//                processes) and by the rest of the machine ("other": figures taken under load),
//                and from them CPU milliseconds per update.
// Chromium runs as the e2e tests run it (harness launchBrowser): no GPU, WebGL through SwiftShader
// in the GPU process, canvas 2D rastered in software by the renderer; a machine with a GPU moves
// the app's drawing off the CPU, so these figures are a floor for the app, not for noVNC.
// Prints a table and writes build/bench/web-<stamp>.json; screenshots of both viewers go to
// build/test-artifacts/web-bench-*.png. Every process it starts is stopped at the end, also on
// failure or interruption; the whole run is bounded (--deadline, default 300 s).
//
// Flags: --runs N (page loads per first-frame figure, default 5), --seconds S (measuring window
// per viewer, default 10), --warmup S (default 3), --rounds N (the app then noVNC, N times,
// default 2; the figures are means over the rounds), --profile (after the figures: a 4 s V8 CPU
// profile of the app's page showing the desktop, saved as build/bench/web-<stamp>.cpuprofile, its
// heaviest functions printed), --deadline S.
// Environment: MW_BUILD_DIR (default build/), MW_CHROMIUM (default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, startAgent, startXvfb, launchBrowser, login, adminWithGroup, clickButton, buildDir, repoRoot,
  saveArtifact } from '../e2e/lib/harness.mjs';
import { sleep } from './lib/servers.mjs';

// [SECTION] Settings

const args = process.argv.slice(2);
function flag(name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!(v > 0)) throw new Error(`${name} needs a positive number`);
  return v;
}
const kRuns = flag('--runs', 5);
const kSeconds = flag('--seconds', 10);
const kWarmup = flag('--warmup', 3);
const kRounds = flag('--rounds', 2);
const kDeadline = flag('--deadline', 300);
const kProfile = args.includes('--profile');
const kViewport = { width: 1280, height: 800 };
const kScreen = { width: 1920, height: 1080 };
const kTargetGzipBytes = 1.5e6;
const kTargetFirstFrameMs = 1000;
const kTargetFps = 30;
const GROUP = 'mesh//WebBenchGroup000000000000000000000000000000000000000000000000000';

// The package exports only core/rfb.js: its folder's parent is the package (as novnc_decode.mjs finds it).
const novncDir = path.resolve(fileURLToPath(new URL('.', import.meta.resolve('@novnc/novnc'))), '..');
const novncVersion = JSON.parse(readFileSync(path.join(novncDir, 'package.json'), 'utf8')).version;
const chromiumVersion = () => browser?.version() ?? '?';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// [SECTION] Processes: everything started here is stopped in cleanup(), whatever happens

let server, agent, xvfb, xanimate, browser;
let xanimateLog = '';
let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    // Signals first, all at once: nothing outlives this script even if it is cut short.
    const xanimateGone = xanimate && xanimate.exitCode === null ? new Promise((r) => xanimate.on('exit', r)) : null;
    if (xanimateGone) xanimate.kill('SIGTERM');
    if (agent) agent.stop();
    if (xvfb) xvfb.stop();
    const serverGone = server ? server.stop() : null;  // SIGTERM now; resolves once it exited
    if (browser) await browser.close().catch(() => {});
    if (xanimateGone) await Promise.race([xanimateGone, sleep(3000)]);
    if (serverGone) await serverGone;
  })();
  return cleaning;
}
const onSignal = (sig) => {
  console.error(`\n${sig}: stopping what was started`);
  cleanup().finally(() => process.exit(130));
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, onSignal);
// An error nobody awaits (a child that cannot be spawned emits one) must not leave the others running.
for (const ev of ['uncaughtException', 'unhandledRejection']) {
  process.on(ev, (e) => {
    console.error(e);
    cleanup().finally(() => process.exit(1));
  });
}
// playwright-core installs its own SIGINT/SIGTERM handlers at launch, which close the browser and
// exit at once, before the server and agent are stopped: after launch, cleanup() is the only one.
function ownSignals() {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    for (const l of process.listeners(sig)) if (l !== onSignal) process.off(sig, l);
  }
  process.on('SIGHUP', onSignal);
}
const deadline = setTimeout(() => {
  console.error(`*** the run took longer than ${kDeadline} s: stopping ***`);
  cleanup().finally(() => process.exit(1));
}, kDeadline * 1000);
deadline.unref();

// CPU seconds (user + system) of every process, by pid, with the role of those this script started:
// its direct children (server, agent, Xvfb, xanimate, Chromium) and their descendants, Chromium's
// by process type. Pids, not sums, so that a process ending between two samples (a closed page's
// renderer) takes nothing away from the window's figures.
function processes() {
  const procs = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      procs.set(Number(d), { ppid: Number(f[1]), comm, cmd, cpu: (Number(f[11]) + Number(f[12])) / 100, start: f[19], role: null });
    } catch { /* gone */ }
  }
  const mark = (pid, role) => {
    const stack = [pid];
    while (stack.length) {
      const parent = stack.pop();
      for (const [cpid, c] of procs) {
        if (c.ppid !== parent || c.role) continue;
        const type = /--type=([a-z-]+)/.exec(c.cmd)?.[1];
        c.role = role ?? (type === 'renderer' ? 'chromium renderer' : type === 'gpu-process' ? 'chromium gpu' : 'chromium other');
        stack.push(cpid);
      }
    }
  };
  for (const [pid, p] of procs) {
    if (p.ppid !== process.pid) continue;
    const chromium = /chrom/.test(p.comm);
    p.role = chromium ? 'chromium browser' : p.comm.replace(/^meshwork-/, '');
    mark(pid, chromium ? null : p.role);
  }
  if (procs.has(process.pid)) procs.get(process.pid).role = 'node (this script)';
  return procs;
}

// Cores used over a window by role, and by the busiest processes not started here (by name).
function diffProcesses(a, b, secs) {
  const cpu = {}, others = {};
  for (const [pid, p] of b) {
    const before = a.get(pid);
    const used = (p.cpu - (before && before.start === p.start ? before.cpu : 0)) / secs;  // a reused pid starts at 0
    if (p.role) cpu[p.role] = (cpu[p.role] || 0) + used;
    else {
      const name = /^(kworker|ksoftirqd|kdamond|rcu_)/.test(p.comm) ? 'kernel threads' : p.comm;
      others[name] = (others[name] || 0) + used;
    }
  }
  const busiest = Object.entries(others).filter(([, v]) => v >= 0.05).sort((x, y) => y[1] - x[1]).slice(0, 4);
  return { cpu, others: Object.fromEntries(busiest) };
}

// Busy and total jiffies of the whole machine (/proc/stat), for its load during a window.
function machine() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6];  // user nice system idle iowait irq softirq
  return { busy: total - f[3] - f[4], total };
}

// [SECTION] 1. Download size

function sizes() {
  const web = path.join(buildDir, 'web');
  const size = (f) => (existsSync(path.join(web, f)) ? statSync(path.join(web, f)).size : null);
  const files = {};
  for (const f of ['app.js', 'app.wasm']) files[f] = { raw: size(f), gzip: size(`${f}.gz`) };
  if (files['app.js'].raw === null || files['app.wasm'].raw === null) throw new Error(`no app in ${web}: scripts/build.sh wasm:meshwork-app`);
  for (const f of readdirSync(path.join(web, 'fonts'))) files[`fonts/${f}`] = { raw: size(`fonts/${f}`), gzip: size(`fonts/${f}.gz`) };
  return files;
}

// [SECTION] 2. Time to the first drawn frame

// Runs before the page's scripts: window.meshwork (the object loader.js creates, which the app
// writes its frame count into) gets an accessor for `frames` that notes performance.now() when the
// count first reaches 1, i.e. when the app has issued its first frame's drawing.
const firstFrameProbe = () => {
  let hook;
  const watch = (m) => {
    if (!m || typeof m !== 'object' || Object.getOwnPropertyDescriptor(m, 'frames')?.set) return;
    let frames = m.frames;
    Object.defineProperty(m, 'frames', {
      configurable: true, enumerable: true,
      get: () => frames,
      set: (v) => { frames = v; if (v >= 1 && window.__mwFirstFrame === undefined) window.__mwFirstFrame = performance.now(); },
    });
  };
  Object.defineProperty(window, 'meshwork', {
    configurable: true, enumerable: true,
    get: () => hook,
    set: (v) => { hook = v; watch(v); },
  });
};

// One load of the app page in `page` (already holding the session cookie): { ms, resources, nav }.
async function loadApp(page, url, reload) {
  if (reload) await page.reload({ waitUntil: 'commit' });
  else await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__mwFirstFrame !== undefined, null, { timeout: 30000, polling: 'raf' });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const pick = (e) => ({ name: e.name.replace(location.origin, ''), transferSize: e.transferSize, encodedBodySize: e.encodedBodySize,
      decodedBodySize: e.decodedBodySize, start: e.startTime, end: e.responseEnd });
    return {
      ms: window.__mwFirstFrame,
      nav: { ...pick(nav), domContentLoaded: nav.domContentLoadedEventEnd },
      resources: performance.getEntriesByType('resource').map(pick),
    };
  });
}

// [SECTION] 3. Frames per second: the app and noVNC on the same relay

// The noVNC page. Chromium refuses a WebSocket to loopback from a document that page.route made
// up (Local Network Access checks: such a document has no address), so the document is a real
// answer of the server, its "Not found" page for /bench-novnc.html, on the server's origin (the relay
// gets the session cookie); its content is replaced, and the server's Content-Security-Policy
// (script-src 'self') admits the module /bench-novnc/bench.js, which page.route serves with noVNC's
// ES modules from node_modules beside it. bench.js: noVNC's SetEncodings without the quality and
// compression pseudo-encodings, counters of completed FramebufferUpdates, of browser frames that
// showed a new one and of rectangles by encoding; `window.bench.start(url)` connects.
const novncModule = `import RFB from '/bench-novnc/core/rfb.js';
import { initLogging } from '/bench-novnc/core/util/logging.js';
initLogging('warn');
const bench = window.bench = { updates: 0, shown: 0, encodings: {}, state: 'loaded', width: 0, height: 0 };
const clientEncodings = RFB.messages.clientEncodings;
RFB.messages.clientEncodings = (sock, encs) => clientEncodings(sock,
  encs.filter((e) => !(e >= -32 && e <= -23) && !(e >= -256 && e <= -247)));
const fbu = RFB.prototype._framebufferUpdate;
RFB.prototype._framebufferUpdate = function () { const done = fbu.call(this); if (done) bench.updates++; return done; };
const handleRect = RFB.prototype._handleRect;
RFB.prototype._handleRect = function () {
  const e = this._FBU.encoding, done = handleRect.call(this);
  if (done) bench.encodings[e] = (bench.encodings[e] || 0) + 1;
  return done;
};
let seen = 0;
const tick = () => { if (bench.updates !== seen) { seen = bench.updates; bench.shown++; } requestAnimationFrame(tick); };
requestAnimationFrame(tick);
bench.start = (url) => {
  const rfb = new RFB(document.getElementById('screen'), url, { shared: true });
  rfb.scaleViewport = true;
  rfb.addEventListener('connect', () => { bench.state = 'connected'; bench.width = rfb._fbWidth; bench.height = rfb._fbHeight; });
  rfb.addEventListener('disconnect', (e) => { bench.state = 'disconnected' + (e.detail.clean ? '' : ' (unclean)'); });
  bench.rfb = rfb;
};
bench.state = 'ready';
`;

async function openNovncPage(page, origin) {
  await page.route(`${origin}bench-novnc/**`, (r) => {
    const rel = new URL(r.request().url()).pathname.replace(/^\/bench-novnc\//, '');
    if (rel === 'bench.js') return r.fulfill({ status: 200, contentType: 'text/javascript', body: novncModule });
    const file = path.resolve(novncDir, rel);
    if (!file.startsWith(novncDir + path.sep) || !existsSync(file)) return r.fulfill({ status: 404, body: 'not found' });
    return r.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(file) });
  });
  await page.goto(`${origin}bench-novnc.html`);
  await page.evaluate(() => {
    document.title = 'noVNC bench';
    document.body.innerHTML = '<div id="screen" style="position:fixed;inset:0;background:#111"></div>';
    const s = document.createElement('script');
    s.type = 'module';
    s.src = '/bench-novnc/bench.js';
    document.head.appendChild(s);
  });
}

// Samples `read()` (in the page: { updates, frames?, shown }) and the CPU of every process at the
// start and end of a window of kSeconds.
async function window_(page, read) {
  const m0 = machine(), p0 = processes(), a = await page.evaluate(read), t0 = performance.now();
  await sleep(kSeconds * 1000);
  const b = await page.evaluate(read), secs = (performance.now() - t0) / 1000, m1 = machine(), p1 = processes();
  const out = { secs, ...diffProcesses(p0, p1, secs), machineBusy: ((m1.busy - m0.busy) / (m1.total - m0.total)) * cpus().length };
  // What the rest of the machine used meanwhile (another build, say; the kernel): figures taken under load.
  out.otherBusy = Math.max(0, out.machineBusy - Object.values(out.cpu).reduce((x, y) => x + y, 0));
  for (const k of Object.keys(b)) if (typeof b[k] === 'number') out[`${k}PerSec`] = (b[k] - a[k]) / secs;
  return out;
}

// The app: the Desktop button, the first update, a warm-up, the window. Returns the figures and
// the device's node id (for noVNC). The page is closed at the end (its relay with it).
async function measureApp(context, url, round) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Console output costs time too: counted (by text) while the window runs.
  const logged = new Map();
  let logging = false;
  page.on('console', (m) => { if (logging) logged.set(m.text().slice(0, 120), (logged.get(m.text().slice(0, 120)) || 0) + 1); });
  await page.goto(url);
  await clickButton(page, `desktop:${hostname()}`);
  await page.waitForFunction(() => window.meshwork.desktops?.[0]?.ready && window.meshwork.desktops[0].updates > 0,
    null, { timeout: 30000 });
  const d = await page.evaluate(() => window.meshwork.desktops[0]);
  if (d.width !== kScreen.width || d.height !== kScreen.height) throw new Error(`the app shows ${d.width}x${d.height}`);
  // Browser frames in which the decoded count advanced (see the header).
  await page.evaluate(() => {
    const b = window.__mwBench = { shown: 0 };
    let seen = -1;
    const tick = () => {
      const u = window.meshwork.desktops?.[0]?.updates ?? 0;
      if (u !== seen) { seen = u; b.shown++; }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await sleep(kWarmup * 1000);
  logging = true;
  const fig = await window_(page, () => ({ updates: window.meshwork.desktops[0].updates, frames: window.meshwork.frames,
    shown: window.__mwBench.shown }));
  logging = false;
  fig.console = Object.fromEntries(logged);
  const after = await page.evaluate(() => window.meshwork.desktops[0]);
  if (round === 0) saveArtifact('web-bench-app-desktop.png', await page.screenshot({ type: 'png' }));
  await page.close();
  if (errors.length) throw new Error(`page errors in the app: ${errors.join('; ')}`);
  if (after.status && !/connected/i.test(after.status)) fig.status = after.status;
  return { ...fig, nodeid: d.nodeid };
}

async function measureNovnc(context, origin, nodeid, round) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await openNovncPage(page, origin);
  // After the document's own "Not found", which the console reports as an error.
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
  await page.waitForFunction(() => window.bench?.state === 'ready', null, { timeout: 10000 });
  const relay = `${origin.replace(/^https/, 'wss')}meshrelay.ashx?p=2&nodeid=${encodeURIComponent(nodeid)}`;
  await page.evaluate((u) => window.bench.start(u), relay);
  await page.waitForFunction(() => window.bench.updates > 0 || /disconnected/.test(window.bench.state), null, { timeout: 30000 });
  const state = await page.evaluate(() => ({ state: window.bench.state, width: window.bench.width, height: window.bench.height }));
  if (state.state !== 'connected') throw new Error(`noVNC: ${state.state} ${errors.join('; ')}`);
  if (state.width !== kScreen.width || state.height !== kScreen.height) throw new Error(`noVNC shows ${state.width}x${state.height}`);
  await sleep(kWarmup * 1000);
  const fig = await window_(page, () => ({ updates: window.bench.updates, shown: window.bench.shown }));
  fig.encodings = await page.evaluate(() => window.bench.encodings);
  if (round === 0) saveArtifact('web-bench-novnc-desktop.png', await page.screenshot({ type: 'png' }));
  const end = await page.evaluate(() => window.bench.state);
  await page.close();
  if (end !== 'connected') throw new Error(`noVNC ended ${end}`);
  if (errors.length) throw new Error(`page errors in noVNC's page: ${errors.join('; ')}`);
  return fig;
}

// A V8 CPU profile of the app's page showing the desktop: the heaviest functions by self time.
async function profileApp(context, url, file) {
  const page = await context.newPage();
  await page.goto(url);
  await clickButton(page, `desktop:${hostname()}`);
  await page.waitForFunction(() => window.meshwork.desktops?.[0]?.updates > 0, null, { timeout: 30000 });
  await sleep(kWarmup * 1000);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  await sleep(4000);
  const { profile } = await cdp.send('Profiler.stop');
  await page.close();
  writeFileSync(file, JSON.stringify(profile));
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) || 0) + (profile.timeDeltas[i] || 0));
  const self = new Map();
  let total = 0;
  for (const n of profile.nodes) {
    const us = dt.get(n.id) || 0;
    total += us;
    const cf = n.callFrame;
    const name = `${cf.functionName || '(anonymous)'} ${cf.url ? path.basename(cf.url) : ''}`.trim();
    self.set(name, (self.get(name) || 0) + us);
  }
  return { total, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([name, us]) => ({ name, ms: us / 1000, share: us / total })) };
}

// [SECTION] Main

const result = { date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?',
  memGiB: totalmem() / 2 ** 30 }, node: process.version, novnc: novncVersion, settings: { runs: kRuns, seconds: kSeconds,
  warmup: kWarmup, rounds: kRounds, viewport: kViewport, screen: kScreen } };
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
let failed = null;
try {
  result.files = sizes();
  server = await startServer([], { importDocs: adminWithGroup(GROUP, 'Web bench', 2) });
  browser = await launchBrowser();
  ownSignals();
  result.chromium = chromiumVersion();
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: kViewport });
  const loginPage = await context.newPage();
  await login(loginPage, server.url);
  const appUrl = loginPage.url();
  await loginPage.waitForFunction(() => window.meshwork?.frames >= 1, null, { timeout: 30000 });
  await loginPage.close();
  const session = await context.storageState();

  // 2. First frame (and 1.'s network figures from the first cold load).
  const cold = [], warm = [];
  for (let i = 0; i < kRuns; i++) {
    const c = await browser.newContext({ ignoreHTTPSErrors: true, viewport: kViewport, storageState: session });
    await c.addInitScript(firstFrameProbe);
    const p = await c.newPage();
    cold.push(await loadApp(p, appUrl, false));
    await c.close();
  }
  {
    const c = await browser.newContext({ ignoreHTTPSErrors: true, viewport: kViewport, storageState: session });
    await c.addInitScript(firstFrameProbe);
    const p = await c.newPage();
    await loadApp(p, appUrl, false);
    for (let i = 0; i < kRuns; i++) warm.push(await loadApp(p, appUrl, true));
    await c.close();
  }
  const phase = (runs, name) => median(runs.map((r) => r.resources.find((e) => e.name.endsWith(name))?.end ?? NaN));
  result.firstFrame = {
    coldMs: cold.map((r) => r.ms), warmMs: warm.map((r) => r.ms),
    coldMedianMs: median(cold.map((r) => r.ms)), warmMedianMs: median(warm.map((r) => r.ms)),
    // Where a cold load's time goes (medians, ms from navigation start): responses complete.
    coldPhases: { html: median(cold.map((r) => r.nav.end)), 'app.js': phase(cold, '/app.js'), 'app.wasm': phase(cold, '/app.wasm'),
      'fonts requested': median(cold.map((r) => Math.min(...r.resources.filter((e) => e.name.includes('/fonts/')).map((e) => e.start)))),
      fonts: median(cold.map((r) => Math.max(...r.resources.filter((e) => e.name.includes('/fonts/')).map((e) => e.end)))) },
  };
  const first = cold[0];
  result.network = { document: first.nav, resources: first.resources,
    transferBytes: first.nav.transferSize + first.resources.reduce((a, e) => a + e.transferSize, 0),
    encodedBytes: first.nav.encodedBodySize + first.resources.reduce((a, e) => a + e.encodedBodySize, 0) };

  // 3. The desktop.
  xvfb = await startXvfb(`${kScreen.width}x${kScreen.height}x24`);
  xanimate = spawn(path.join(buildDir, 'bin', 'xanimate'), ['--fps', '60'], { env: xvfb.env, stdio: ['ignore', 'ignore', 'pipe'] });
  xanimate.stderr.on('data', (d) => { xanimateLog += d; });
  await sleep(500);
  if (xanimate.exitCode !== null) throw new Error(`xanimate exited: ${xanimateLog}`);
  agent = await startAgent(server, GROUP, `Display=${xvfb.display}\n`);
  const nodeid = / as (node\/\/\S+)/.exec(agent.log())?.[1];
  if (!nodeid) throw new Error(`no node id in the agent's log:\n${agent.log()}`);
  const origin = server.url;
  result.rounds = [];
  for (let round = 0; round < kRounds; round++) {
    const app = await measureApp(context, appUrl, round);
    if (app.nodeid !== nodeid) throw new Error(`the app shows ${app.nodeid}, the agent is ${nodeid}`);
    delete app.nodeid;
    const novnc = await measureNovnc(context, origin, nodeid, round);
    result.rounds.push({ app, novnc });
  }
  if (kProfile) {
    const file = path.join(buildDir, 'bench', `web-${stamp}.cpuprofile`);
    mkdirSync(path.dirname(file), { recursive: true });
    result.profile = { file: path.relative(repoRoot, file), ...(await profileApp(context, appUrl, file)) };
  }
  await context.close();
} catch (e) {
  failed = e;
} finally {
  await cleanup();
}
if (xanimateLog.trim()) result.xanimate = xanimateLog.trim();
if (failed) {
  console.error(failed);
  process.exit(1);
}

// [SECTION] Report

const kB = (n) => (n === null || n === undefined ? '-' : `${(n / 1000).toFixed(1)} kB`);
const pad = (s, n) => String(s).padEnd(n);
const f = result.files;
const gzipTotal = f['app.js'].gzip + f['app.wasm'].gzip;
result.targets = {
  gzipBytes: { value: gzipTotal, target: kTargetGzipBytes, met: gzipTotal <= kTargetGzipBytes },
  firstFrameMs: { value: result.firstFrame.coldMedianMs, target: kTargetFirstFrameMs, met: result.firstFrame.coldMedianMs <= kTargetFirstFrameMs },
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const appUps = mean(result.rounds.map((r) => r.app.updatesPerSec));
const novncUps = mean(result.rounds.map((r) => r.novnc.updatesPerSec));
result.means = { app: { updatesPerSec: appUps, shownPerSec: mean(result.rounds.map((r) => r.app.shownPerSec)),
  framesPerSec: mean(result.rounds.map((r) => r.app.framesPerSec)) },
novnc: { updatesPerSec: novncUps, shownPerSec: mean(result.rounds.map((r) => r.novnc.shownPerSec)) } };
result.targets.fps = { value: appUps, target: kTargetFps, met: appUps >= kTargetFps };
result.ratio = { updates: appUps / novncUps, shown: result.means.app.shownPerSec / result.means.novnc.shownPerSec };

console.log(`Browser app (web): ${result.date.slice(0, 10)}  ${result.machine.cpus} CPU (${result.machine.model}), Chromium ` +
  `${result.chromium} headless (SwiftShader WebGL), viewport ${kViewport.width}x${kViewport.height}, loopback; baseline noVNC ` +
  `${novncVersion} (npm @novnc/novnc) in the same browser on the same relay, same run`);
console.log('\n1. Download');
console.log(pad('file', 26) + pad('raw', 12) + pad('gzip file', 12) + pad('fetched (transfer / body)', 28));
const fetched = (name) => result.network.resources.find((e) => e.name === `/${name}`);
for (const [name, s] of Object.entries(f)) {
  const r = fetched(name);
  console.log(pad(name, 26) + pad(kB(s.raw), 12) + pad(kB(s.gzip), 12) + (r ? `${kB(r.transferSize)} / ${kB(r.encodedBodySize)}` : '-'));
}
console.log(pad('app.js + app.wasm', 26) + pad(kB(f['app.js'].raw + f['app.wasm'].raw), 12) + pad(kB(gzipTotal), 12) +
  `target <= ${kB(kTargetGzipBytes)} gzip: ${result.targets.gzipBytes.met ? 'met' : 'NOT met'}`);
console.log(`whole app page after login (document + ${result.network.resources.length} resources, Resource Timing): ` +
  `${kB(result.network.transferBytes)} transferred, ${kB(result.network.encodedBytes)} bodies`);
for (const r of result.network.resources.filter((e) => !(e.name.slice(1) in f))) {
  console.log(`  also fetched ${r.name}: ${kB(r.transferSize)} / ${kB(r.encodedBodySize)}`);
}
console.log('\n2. Navigation start to the first drawn frame (ms)');
const ff = result.firstFrame;
console.log(`cold (new context, session cookie only): median ${ff.coldMedianMs.toFixed(0)} ms  [${ff.coldMs.map((x) => x.toFixed(0)).join(', ')}]` +
  `  target <= ${kTargetFirstFrameMs} ms: ${result.targets.firstFrameMs.met ? 'met' : 'NOT met'}`);
console.log(`warm (reload, browser cache): median ${ff.warmMedianMs.toFixed(0)} ms  [${ff.warmMs.map((x) => x.toFixed(0)).join(', ')}]`);
console.log(`cold load, ms from navigation start (medians): ${Object.entries(ff.coldPhases).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}` +
  `, first frame ${ff.coldMedianMs.toFixed(0)} (responses complete, except "fonts requested")`);
console.log(`\n3. Desktop ${kScreen.width}x${kScreen.height}, whole screen changing (xanimate 60 Hz), lossless Tight; ` +
  `${kSeconds} s windows after ${kWarmup} s warm-up`);
console.log(pad('viewer', 14) + pad('updates/s', 11) + pad('shown/s', 9) + pad('drawn/s', 9) + pad('machine busy', 14) +
  'CPU cores by process ("other": processes not started here)');
const cpuCell = (r) => Object.entries({ ...r.cpu, other: r.otherBusy }).filter(([, v]) => v >= 0.005).sort((a, b) => b[1] - a[1])
  .map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
result.rounds.forEach((r, i) => {
  const tag = kRounds > 1 ? ` #${i + 1}` : '';
  console.log(pad(`Meshwork${tag}`, 14) + pad(r.app.updatesPerSec.toFixed(1), 11) + pad(r.app.shownPerSec.toFixed(1), 9) +
    pad(r.app.framesPerSec.toFixed(1), 9) + pad(`${r.app.machineBusy.toFixed(2)} / ${cpus().length}`, 14) + cpuCell(r.app));
  console.log(pad(`noVNC${tag}`, 14) + pad(r.novnc.updatesPerSec.toFixed(1), 11) + pad(r.novnc.shownPerSec.toFixed(1), 9) +
    pad('-', 9) + pad(`${r.novnc.machineBusy.toFixed(2)} / ${cpus().length}`, 14) + cpuCell(r.novnc));
});
const perUpdate = (v) => Object.entries(v.cpu).filter(([, c]) => c >= 0.02).sort((a, b) => b[1] - a[1])
  .map(([k, c]) => `${k} ${((c * 1000) / v.updatesPerSec).toFixed(0)}`).join(', ');
result.rounds.forEach((r, i) => {
  const tag = kRounds > 1 ? ` (round ${i + 1})` : '';
  console.log(`CPU ms per update${tag}: Meshwork ${perUpdate(r.app)}; GPU process ` +
    `${(((r.app.cpu['chromium gpu'] || 0) * 1000) / r.app.framesPerSec).toFixed(0)} ms per drawn frame, ` +
    `${(r.app.framesPerSec / r.app.updatesPerSec).toFixed(1)} frames drawn per update`);
  console.log(`CPU ms per update${tag}: noVNC ${perUpdate(r.novnc)}`);
});
const encNames = { 7: 'Tight', 16: 'ZRLE', 5: 'Hextile', 0: 'Raw', 1: 'CopyRect', '-239': 'Cursor', '-224': 'LastRect', '-223': 'DesktopSize', '-308': 'ExtendedDesktopSize' };
console.log(`noVNC's rectangles by encoding: ${Object.entries(result.rounds[0].novnc.encodings).map(([e, n]) => `${encNames[e] ?? e} ${n}`).join(', ')}`);
console.log(`mean over ${kRounds} round(s): Meshwork ${appUps.toFixed(1)} updates/s, noVNC ${novncUps.toFixed(1)} updates/s; ` +
  `Meshwork / noVNC: updates ${result.ratio.updates.toFixed(2)}x, shown ${result.ratio.shown.toFixed(2)}x; ` +
  `target Meshwork >= ${kTargetFps} updates/s: ${result.targets.fps.met ? 'met' : 'NOT met'}`);
const others = {};
for (const r of result.rounds) for (const v of [r.app, r.novnc]) for (const [k, c] of Object.entries(v.others)) others[k] = Math.max(others[k] || 0, c);
if (Object.keys(others).length) {
  console.log(`busiest processes not started here (cores, highest window): ${Object.entries(others).sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${c.toFixed(2)}`).join(', ')}`);
}
for (const [text, n] of Object.entries(result.rounds[0].app.console)) console.log(`the app logged ${n}x in the window: ${text}`);
if (result.xanimate) console.log(result.xanimate);
if (result.profile) {
  console.log(`\nCPU profile of the app's page (${(result.profile.total / 1e6).toFixed(1)} s sampled, ${result.profile.file}), self time:`);
  for (const t of result.profile.top) console.log(`  ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.name}`);
}
const out = path.join(buildDir, 'bench', `web-${stamp}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2));
console.log(`\n${path.relative(repoRoot, out)}`);
