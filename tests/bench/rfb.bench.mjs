// scripts/bench.sh rfb: shared/rfb decoding RFB framebuffer updates next to noVNC (npm
// @novnc/novnc, the baseline; tests/bench/novnc_decode.mjs drives its decoders) on the same
// captures in the same run. A private Xvnc (tigervnc-standalone-server) at 1280x720 shows a
// generated desktop (windows with title bars, coloured text on white, an icon grid, a photo-like
// area with noise) through xwud, and `mwcodec rfb-record` records 2 s of it per case: Raw,
// Hextile, ZRLE, Tight and Tight with JPEG at 32 bpp, ZRLE and Raw at 16 bpp (Intel AMT's format).
// Each capture is decoded whole, in 64 KiB pieces: natively and in wasm under Node by
// mw_bench_rfb (BM_RfbDecode/<case>, Google Benchmark, median of 3), and by noVNC in a worker
// thread per capture (median of 5 samples of at least 0.2 s after a warm-up). Before timing, noVNC's final framebuffer must equal
// `mwcodec rfb-decode`'s (SHA-256 of the RGB bytes) on every lossless capture it can decode.
// Prints MB/s of encoded input and MP/s of decoded rectangles, and the ratios to noVNC (targets
// on Hextile, ZRLE and Tight: wasm >= 3x, native >= 10x). Exits non-zero on a mismatch or a
// missing figure, not on a missed target.
//
// Flags: --novnc-only (no mw_bench_rfb: noVNC's figures and the correctness check alone);
// --captures DIR (the *.rfb / *.rfb.gz captures in DIR instead of recording, e.g. tests/data/rfb);
// --save DIR (record into DIR and keep the captures there, for profiling or later --captures runs).
// Environment: MW_BENCH_BUILD (default build/) is the native tree holding bin/mw_bench_rfb and
// bin/mwcodec, MW_BENCH_WASM_BUILD (default $MW_BENCH_BUILD/wasm) the wasm one with
// bin/mw_bench_rfb.js.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { novncVersion, readCapture } from './novnc_decode.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const nativeBuild = path.resolve(root, process.env.MW_BENCH_BUILD || 'build');
const wasmBuild = path.resolve(root, process.env.MW_BENCH_WASM_BUILD || path.join(nativeBuild, 'wasm'));
const mwcodec = path.join(nativeBuild, 'bin', 'mwcodec');

const args = process.argv.slice(2);
const novncOnly = args.includes('--novnc-only');
const capturesAt = args.indexOf('--captures');
if (capturesAt >= 0 && !args[capturesAt + 1]) throw new Error('usage: rfb.bench.mjs [--novnc-only] [--captures DIR]');
const capturesArg = capturesAt >= 0 ? path.resolve(args[capturesAt + 1]) : null;
const saveAt = args.indexOf('--save');
if (saveAt >= 0 && !args[saveAt + 1]) throw new Error('usage: rfb.bench.mjs [--novnc-only] [--captures DIR | --save DIR]');
const saveArg = saveAt >= 0 ? path.resolve(args[saveAt + 1]) : null;

const kWidth = 1280;
const kHeight = 720;
// The recorded cases; `target` marks the ones the ratios to noVNC are promised on.
const kCases = [
  { name: 'raw-32', encoding: 'raw', bpp: 32 },
  { name: 'hextile-32', encoding: 'hextile', bpp: 32, target: true },
  { name: 'zrle-32', encoding: 'zrle', bpp: 32, target: true },
  { name: 'tight-32', encoding: 'tight', bpp: 32, target: true },
  { name: 'tight-jpeg8-32', encoding: 'tight', bpp: 32, jpeg: 8 },
  { name: 'zrle-16', encoding: 'zrle', bpp: 16 },
  { name: 'raw-16', encoding: 'raw', bpp: 16 },
];
const kTargetWasm = 3;
const kTargetNative = 10;

// [SECTION] The desktop picture

// Deterministic pseudo-random numbers (the same picture on every run).
function lcg(seed) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x >>> 8;
  };
}

// An RGB picture of a desktop, built from what makes real screens compress the way they do: flat
// areas, small text with anti-aliased edges in a few colours, gradients, icons, and a photograph
// whose noise defeats palettes and run lengths.
function desktop(width, height) {
  const rgb = new Uint8Array(width * height * 3);
  const rand = lcg(2024);
  const put = (x, y, c) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 3;
    rgb[i] = c[0];
    rgb[i + 1] = c[1];
    rgb[i + 2] = c[2];
  };
  const get = (x, y) => {
    const i = (y * width + x) * 3;
    return [rgb[i], rgb[i + 1], rgb[i + 2]];
  };
  const box = (x, y, w, h, c) => {
    for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) put(i, j, c);
  };
  const mix = (a, b, t) => a.map((v, k) => Math.round(v + (b[k] - v) * t));
  const clamp = (v) => Math.max(0, Math.min(255, Math.round(v)));

  // 96 glyphs of 6x9 pixels: strokes of a 5-wide letter body, with half-covered edge pixels the
  // way anti-aliased text has them.
  const glyphs = [];
  for (let g = 0; g < 96; g++) {
    const cov = new Float32Array(6 * 9);
    const strokes = 2 + (rand() % 3);
    for (let s = 0; s < strokes; s++) {
      if (rand() % 2) {
        const col = rand() % 5, top = 1 + (rand() % 4), len = 3 + (rand() % 5);
        for (let j = top; j < Math.min(9, top + len); j++) cov[j * 6 + col] = 1;
      } else {
        const row = 1 + (rand() % 8), left = rand() % 3, len = 2 + (rand() % 3);
        for (let i = left; i < Math.min(5, left + len); i++) cov[row * 6 + i] = 1;
      }
    }
    for (let j = 0; j < 9; j++) {
      for (let i = 0; i < 5; i++) {
        if (cov[j * 6 + i] === 0 && ((i > 0 && cov[j * 6 + i - 1] === 1) || (j > 0 && cov[(j - 1) * 6 + i] === 1)) && rand() % 3 === 0) {
          cov[j * 6 + i] = 0.4;
        }
      }
    }
    glyphs.push(cov);
  }
  const text = (x, y, chars, colour) => {
    for (let n = 0; n < chars; n++) {
      const cov = glyphs[rand() % glyphs.length];
      for (let j = 0; j < 9; j++) {
        for (let i = 0; i < 6; i++) {
          const a = cov[j * 6 + i];
          if (a > 0 && x + n * 7 + i < width && y + j < height) put(x + n * 7 + i, y + j, mix(get(x + n * 7 + i, y + j), colour, a));
        }
      }
    }
  };
  // Words of random length separated by spaces, up to `chars` cells.
  const line = (x, y, chars, colours) => {
    let at = 0;
    while (at < chars) {
      const len = Math.min(chars - at, 2 + (rand() % 9));
      text(x + at * 7, y, len, colours[rand() % colours.length]);
      at += len + 1;
    }
  };
  const windowFrame = (x, y, w, h, title) => {
    box(x + 4, y + 4, w, h, [60, 60, 70]);  // shadow
    box(x, y, w, h, [160, 160, 170]);
    for (let j = 0; j < 28; j++) box(x + 1, y + 1 + j, w - 2, 1, mix([70, 110, 190], [40, 70, 140], j / 27));
    text(x + 12, y + 10, title, [255, 255, 255]);
    for (const [k, c] of [[0, [230, 90, 80]], [1, [240, 190, 60]], [2, [90, 190, 90]]]) {
      const cx = x + w - 20 - k * 22, cy = y + 15;
      for (let j = -7; j <= 7; j++) for (let i = -7; i <= 7; i++) if (i * i + j * j <= 49) put(cx + i, cy + j, c);
    }
    box(x + 1, y + 29, w - 2, h - 30, [255, 255, 255]);
  };

  // Wallpaper: a smooth two-colour gradient with soft waves.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2 + 0.05 * Math.sin(x / 90) * Math.cos(y / 70);
      put(x, y, mix([30, 90, 120], [110, 60, 140], Math.max(0, Math.min(1, t))));
    }
  }

  // An editor: line numbers, syntax colours, a highlighted current line.
  windowFrame(16, 16, 660, 520, 24);
  box(17, 45, 40, 490, [240, 240, 240]);
  box(57, 45 + 14 * 9, 618, 14, [225, 235, 250]);
  const syntax = [[20, 20, 20], [20, 20, 20], [20, 20, 20], [0, 70, 200], [170, 20, 40], [20, 130, 50], [120, 50, 160]];
  for (let n = 0; n < 34; n++) {
    text(22, 48 + n * 14, 3, [130, 130, 130]);
    if (rand() % 6) line(64 + 28 * (rand() % 4), 48 + n * 14, 30 + (rand() % 50), syntax);
  }

  // A photograph: sky, sun, hills, and sensor noise.
  windowFrame(700, 40, 548, 390, 18);
  for (let y = 0; y < 355; y++) {
    for (let x = 0; x < 540; x++) {
      const hill = 220 + 40 * Math.sin(x / 60) + 20 * Math.sin(x / 23 + 1);
      let c = y < hill ? mix([90, 150, 230], [230, 200, 170], y / hill) : mix([60, 130, 50], [30, 70, 30], (y - hill) / (355 - hill));
      const d = Math.hypot(x - 400, y - 90);
      if (d < 40) c = mix([255, 240, 200], c, d / 40);
      const noise = (rand() % 13) - 6;
      put(704 + x, 70 + y, c.map((v) => clamp(v + noise)));
    }
  }

  // A file manager: a grid of icons with labels.
  windowFrame(400, 450, 620, 226, 12);
  for (let k = 0; k < 16; k++) {
    const x = 420 + (k % 8) * 74, y = 490 + Math.floor(k / 8) * 90;
    const hue = [[220, 80, 60], [60, 140, 220], [240, 180, 40], [80, 170, 90], [150, 90, 200]][k % 5];
    for (let j = 0; j < 48; j++) {
      for (let i = 0; i < 48; i++) {
        const r = Math.max(0, Math.abs(i - 23.5) - 17) ** 2 + Math.max(0, Math.abs(j - 23.5) - 17) ** 2;
        if (r <= 49) put(x + i, y + j, mix(hue, mix(hue, [255, 255, 255], 0.5), 1 - j / 47));
      }
    }
    box(x + 14, y + 16, 20, 3, [255, 255, 255]);
    box(x + 14, y + 23, 20, 3, [255, 255, 255]);
    box(x + 14, y + 30, 12, 3, [255, 255, 255]);
    text(x + 2, y + 54, 6 + (k % 3), [40, 40, 40]);
  }

  // A task bar: buttons, window entries, a clock.
  box(0, height - 36, width, 36, [40, 42, 50]);
  box(6, height - 30, 60, 24, [70, 110, 190]);
  for (let k = 0; k < 4; k++) {
    box(80 + k * 170, height - 30, 160, 24, [62, 64, 74]);
    text(90 + k * 170, height - 23, 15, [230, 230, 230]);
  }
  text(width - 60, height - 23, 5, [230, 230, 230]);
  return rgb;
}

// A ZPixmap of depth 24, 32 bits per pixel, TrueColor, LSBFirst (X11 XWDFile.h: 25 big-endian
// CARD32, the window name, no colours, the image): what xwud shows on Xvnc unconverted.
function xwd(rgb, width, height) {
  const name = Buffer.from('meshwork-bench\0');
  const fields = [100 + name.length, 7, 2, 24, width, height, 0, 0, 32, 0, 32, 32, width * 4,
    4, 0xff0000, 0xff00, 0xff, 8, 256, 0, width, height, 0, 0, 0];
  const header = Buffer.alloc(100);
  fields.forEach((f, i) => header.writeUInt32BE(f, i * 4));
  const pixels = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    pixels[i * 4] = rgb[i * 3 + 2];
    pixels[i * 4 + 1] = rgb[i * 3 + 1];
    pixels[i * 4 + 2] = rgb[i * 3];
  }
  return Buffer.concat([header, name, pixels]);
}

// Whether `xwd -root` output shows `rgb`: a 24-bit ZPixmap with 8-bit channel masks (xwd writes
// bits_per_pixel 24 for the 4-byte pixels of a depth-24 screen; the line length tells).
function showsPicture(dump, rgb, width, height) {
  const field = (i) => dump.readUInt32BE(i * 4);
  if (dump.length < 100 || field(4) !== width || field(5) !== height) return false;
  const bpp = field(12) / width;
  const msb = field(7) === 1;
  const shifts = [field(14), field(15), field(16)].map((m) => 31 - Math.clz32(m) - 7);
  let p = field(0) + field(19) * 12;
  if (dump.length < p + field(12) * height) return false;
  for (let i = 0; i < width * height; i++, p += bpp) {
    let v = 0;
    for (let k = 0; k < bpp; k++) v += dump[p + k] * 2 ** (8 * (msb ? bpp - 1 - k : k));
    for (let c = 0; c < 3; c++) if (Math.floor(v / 2 ** shifts[c]) % 256 !== rgb[i * 3 + c]) return false;
  }
  return true;
}

// [SECTION] Xvnc

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    }).once('error', () => resolve(false));
  });
}

// Ends a child: SIGTERM, SIGKILL after 5 s; resolves when it has exited (or after 10 s).
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    const give = setTimeout(resolve, 10000);
    child.once('exit', () => {
      clearTimeout(kill);
      clearTimeout(give);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// Xvnc on 127.0.0.1 at a free port, X display of its own choice (-displayfd 3), no cursor drawn
// into the framebuffer (-nocursor: the captures then hold the picture only). `children` receives
// every started process so that the caller stops them whatever happens.
async function startXvnc(dir, children) {
  const port = await freePort();
  const logFile = path.join(dir, 'Xvnc.log');
  const log = openSync(logFile, 'w');
  const xvnc = spawn('Xvnc', ['-displayfd', '3', '-interface', '127.0.0.1', '-rfbport', String(port), '-nolisten', 'tcp',
    '-geometry', `${kWidth}x${kHeight}`, '-depth', '24', '-nocursor', '-desktop', 'meshwork-bench', '-SecurityTypes', 'None'],
  { stdio: ['ignore', 'ignore', log, 'pipe'] });
  closeSync(log);
  children.push(xvnc);
  const failed = (why) => new Error(`${why}: ${readFileSync(logFile, 'utf8')}`);
  const display = await new Promise((resolve, reject) => {
    let number = '';
    const timer = setTimeout(() => reject(failed('Xvnc did not report its display within 20 s')), 20000);
    xvnc.once('error', (e) => reject(new Error(`cannot start Xvnc (is tigervnc-standalone-server installed?): ${e.message}`)));
    xvnc.once('exit', () => reject(failed('Xvnc exited')));
    xvnc.stdio[3].on('data', (d) => {
      number += d;
      if (number.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${parseInt(number, 10)}`);
      }
    });
  });
  const deadline = Date.now() + 20000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) throw failed(`Xvnc does not accept connections on port ${port}`);
    await sleep(50);
  }
  const env = { ...process.env, DISPLAY: display };
  delete env.XAUTHORITY;
  return { port, display, env };
}

// xwud showing the picture at the top left; waits (10 s at most) until `xwd -root` reads it back.
async function showDesktop(dir, x, children) {
  const rgb = desktop(kWidth, kHeight);
  const file = path.join(dir, 'desktop.xwd');
  writeFileSync(file, xwd(rgb, kWidth, kHeight));
  // -noclick: a pointer button in the window would end xwud.
  const xwud = spawn('xwud', ['-in', file, '-geometry', '+0+0', '-noclick'], { env: x.env, stdio: 'ignore' });
  children.push(xwud);
  const deadline = Date.now() + 10000;
  for (;;) {
    const dump = execFileSync('xwd', ['-root', '-silent'], { env: x.env, maxBuffer: 64 * 1024 * 1024, timeout: 10000 });
    if (showsPicture(dump, rgb, kWidth, kHeight)) return;
    if (Date.now() > deadline) throw new Error('xwud did not show the desktop picture within 10 s (is x11-apps installed?)');
    await sleep(100);
  }
}

async function recordCaptures(dir) {
  const children = [];
  try {
    const x = await startXvnc(dir, children);
    await showDesktop(dir, x, children);
    for (const c of kCases) {
      const opts = ['--encoding', c.encoding, '--bpp', String(c.bpp), ...(c.jpeg === undefined ? [] : ['--jpeg', String(c.jpeg)])];
      execFileSync(mwcodec, ['rfb-record', `127.0.0.1:${x.port}`, ...opts, '--seconds', '2', path.join(dir, `${c.name}.rfb`)],
        { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
    }
  } finally {
    await Promise.all(children.map(stop));
  }
}

// [SECTION] Measurements

// `mwcodec rfb-decode`: the SHA-256 of the final framebuffer's RGB bytes and the pixels of the
// decoded (non-pseudo) rectangles from its statistics line ("Hextile 3600 rects 921600 px ...").
function reference(file, dir) {
  const out = execFileSync(mwcodec, ['rfb-decode', file, '--png', path.join(dir, 'reference.png')],
    { encoding: 'utf8', timeout: 120000 });
  const sha = /^sha256 ([0-9a-f]{64})$/m.exec(out);
  if (!sha) throw new Error(`mwcodec rfb-decode ${file}: no sha256 line in ${JSON.stringify(out)}`);
  let pixels = 0;
  for (const m of out.matchAll(/ (\d+) px /g)) pixels += Number(m[1]);
  return { sha256: sha[1], pixels };
}

// noVNC on one capture (checkAndTime in novnc_decode.mjs) in a worker thread, i.e. a V8 isolate of
// its own: JIT state carries over between captures otherwise, and on Node 20 pako's inflate falls
// into a deoptimization loop when ZRLE follows Tight JPEG in the same isolate (18x slower).
function novnc(file, ref) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./novnc_decode.mjs', import.meta.url), { workerData: { capture: file, ref } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`noVNC worker for ${file} exited with ${code} before answering`)));
  });
}

// Google Benchmark JSON: of each BM_RfbDecode/<case>, the median real time per iteration (ns) and
// the encoded bytes one iteration decoded (bytes/s x time), which tell whether the program read
// our capture or another file of that name.
function figures(json) {
  const scale = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };
  const out = {};
  for (const b of JSON.parse(json).benchmarks) {
    if (b.error_occurred) throw new Error(`${b.name}: ${b.error_message}`);
    if (b.run_type === 'aggregate' && b.aggregate_name !== 'median') continue;
    const m = /^BM_RfbDecode\/(.+?)(_median)?$/.exec(b.name);
    if (!m) continue;
    const ns = b.real_time * scale[b.time_unit ?? 'ns'];
    out[m[1]] = { ns, bytes: (b.bytes_per_second * ns) / 1e9 };
  }
  return out;
}

function runNative(dir) {
  const json = execFileSync(path.join(nativeBuild, 'bin', 'mw_bench_rfb'), ['--benchmark_filter=BM_RfbDecode',
    '--benchmark_format=json', '--benchmark_repetitions=3', '--benchmark_report_aggregates_only=true'],
  { env: { ...process.env, MW_RFB_CAPTURES: dir }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 900000 });
  return figures(json);
}

function runWasm(dir, outDir) {
  const out = path.join(outDir, 'wasm.json');
  execFileSync(process.execPath, ['--no-experimental-fetch', path.join(wasmBuild, 'bin', 'mw_bench_rfb.js'),
    '--benchmark_filter=BM_RfbDecode', '--benchmark_repetitions=3', `--benchmark_out=${out}`],
  { cwd: wasmBuild, env: { ...process.env, MW_RFB_CAPTURES: dir }, stdio: ['ignore', 'ignore', 'inherit'], timeout: 900000 });
  return figures(readFileSync(out, 'utf8'));
}

// [SECTION] Main

const work = mkdtempSync(path.join(tmpdir(), 'mw-rfb-bench-'));
let mismatch = false;
let incomplete = false;
try {
  const dir = capturesArg ?? saveArg ?? path.join(work, 'captures');
  if (!capturesArg) {
    mkdirSync(dir, { recursive: true });
    await recordCaptures(dir);
  }
  const files = readdirSync(dir).filter((f) => /\.rfb(\.gz)?$/.test(f)).sort();
  if (files.length === 0) throw new Error(`no captures in ${dir}`);
  const native = novncOnly ? {} : runNative(dir);
  const wasm = novncOnly ? {} : runWasm(dir, work);

  const target = new Set(kCases.filter((c) => c.target).map((c) => c.name));
  const pad = (s, n) => String(s).padEnd(n);
  const rate = (x, ns) => (ns > 0 ? (x / 1e6 / (ns / 1e9)).toFixed(1) : '-');
  console.log(`${new Date().toISOString().slice(0, 10)}  ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ` +
    `baseline noVNC ${novncVersion} (npm @novnc/novnc) measured in the same run; captures decoded whole in 64 KiB pieces`);
  console.log('MB: encoded bytes; MP: megapixels of decoded rectangles; figures are MB/s and MP/s; noVNC draws into an RGBA ' +
    'array, not a canvas (an upper bound of its speed in a browser)');
  console.log(pad('case', 16) + pad('MB', 7) + pad('MP', 7) + pad('native MB/s MP/s', 19) + pad('wasm MB/s MP/s', 17) +
    pad('noVNC MB/s MP/s', 18) + pad('wasm/noVNC', 12) + pad('native/noVNC', 14) + `target (wasm >= ${kTargetWasm}x, native >= ${kTargetNative}x)`);
  const notes = [];
  let targetsMet = true;
  for (const file of files) {
    const name = file.replace(/\.rfb(\.gz)?$/, '');
    const capture = readCapture(path.join(dir, file));
    const ref = reference(path.join(dir, file), work);
    const js = await novnc(path.join(dir, file), ref);
    for (const p of js.problems ?? []) {
      mismatch = true;
      console.error(`*** MISMATCH ${name}: noVNC ${p} ***`);
    }
    const mb = capture.bytes.length;
    // The programs register one benchmark per file of MW_RFB_CAPTURES, or of tests/data/rfb when
    // they do not see that variable: a figure for another file (of the same name) is no figure.
    const own = (f) => (f && Math.abs(f.bytes - mb) <= mb * 0.01 ? f.ns : undefined);
    const n = own(native[name]), w = own(wasm[name]);
    if (!novncOnly && !(n > 0 && w > 0)) {
      incomplete = true;
      const missing = [n > 0 ? '' : 'native', w > 0 ? '' : 'wasm'].filter(Boolean).join(' and ');
      notes.push(`${name}: no BM_RfbDecode/${name} figure of this capture from mw_bench_rfb (${missing}): ` +
        'did it read MW_RFB_CAPTURES?');
    }
    let novncCell = 'not supported', wasmRatio = '-', nativeRatio = '-', verdict = '';
    if (js.unsupported) {
      notes.push(`${name}: noVNC: not supported (${js.unsupported})`);
    } else {
      novncCell = `${rate(mb, js.ns)} ${rate(ref.pixels, js.ns)}`;
      if (js.jpegRects > 0) {
        novncCell += '*';
        notes.push(`${name}: * not comparable, excluded from the ratios: noVNC hands JPEG to the browser, which Node lacks ` +
          `(${js.unchecked})`);
      } else {
        if (js.unchecked) notes.push(`${name}: framebuffer not checked (${js.unchecked})`);
        if (w > 0) wasmRatio = (js.ns / w).toFixed(2);
        if (n > 0) nativeRatio = (js.ns / n).toFixed(2);
        if (target.has(name) && n > 0 && w > 0) {
          const wasmMet = js.ns / w >= kTargetWasm, nativeMet = js.ns / n >= kTargetNative;
          targetsMet &&= wasmMet && nativeMet;
          verdict = `wasm ${wasmMet ? 'met' : 'NOT met'}, native ${nativeMet ? 'met' : 'NOT met'}`;
        }
      }
    }
    console.log(pad(name, 16) + pad((mb / 1e6).toFixed(2), 7) + pad((ref.pixels / 1e6).toFixed(2), 7) +
      pad(n > 0 ? `${rate(mb, n)} ${rate(ref.pixels, n)}` : '-', 19) + pad(w > 0 ? `${rate(mb, w)} ${rate(ref.pixels, w)}` : '-', 17) +
      pad(novncCell, 18) + pad(wasmRatio, 12) + pad(nativeRatio, 14) + verdict);
  }
  for (const note of notes) console.log(note);
  if (!novncOnly && !capturesArg) {
    const targets = `wasm >= ${kTargetWasm}x, native >= ${kTargetNative}x noVNC`;
    console.log(targetsMet ? `targets met on Hextile, ZRLE and Tight (${targets})`
      : `targets NOT met on every one of Hextile, ZRLE and Tight (${targets})`);
  }
  if (mismatch) console.error('*** noVNC and shared/rfb disagree on at least one capture (see MISMATCH above) ***');
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = mismatch || incomplete ? 1 : 0;
