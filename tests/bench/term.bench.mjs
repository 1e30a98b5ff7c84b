// scripts/bench.sh term: shared/term next to xterm.js (npm @xterm/headless, the baseline) on the
// same bytes in the same run. Inputs of several MB each: `ls --color=always -lR /usr/share`
// recorded through a pseudo-terminal (script(1)), 256-colour and truecolour charts, UTF-8 text
// (CJK, combining marks, emoji, Cyrillic), and an editor's full-screen redraws (syntax colours,
// cursor addressing, scroll regions). Each is fed in 4 KiB writes to an 80x24 terminal with 1000
// lines of scrollback: natively and in wasm under Node by mw_bench_term (BM_TermFile*, Google
// Benchmark, median of 3), and to xterm.js until its write callback (median of 5 after a warm-up).
// Prints MB/s and the ratios Meshwork/xterm.js (targets: wasm >= 2, native >= 5).
//
// Environment: MW_BENCH_BUILD (default build/) is the native tree holding bin/mw_bench_term and
// MW_BENCH_WASM_BUILD (default $MW_BENCH_BUILD/wasm) the wasm one with bin/mw_bench_term.js;
// MW_BENCH_MB (default 4) is the size of each input.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const { Terminal } = require('@xterm/headless');
const xtermVersion = JSON.parse(readFileSync(path.join(root, 'node_modules', '@xterm', 'headless', 'package.json'), 'utf8')).version;

const nativeBuild = path.resolve(root, process.env.MW_BENCH_BUILD || 'build');
const wasmBuild = path.resolve(root, process.env.MW_BENCH_WASM_BUILD || path.join(nativeBuild, 'wasm'));
const size = Math.round(Number(process.env.MW_BENCH_MB || 4) * 1024 * 1024);
const kRead = 4096;

// [SECTION] Inputs

// Deterministic pseudo-random numbers (the same inputs on every run).
function lcg(seed = 12345) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x >>> 8;
  };
}

// Repeats `piece()` until `size` bytes, cut at a line end.
function fill(piece) {
  const parts = [];
  let n = 0;
  while (n < size) {
    const b = Buffer.from(piece(), 'utf8');
    parts.push(b);
    n += b.length;
  }
  const all = Buffer.concat(parts);
  const cut = all.lastIndexOf(0x0a, size);
  return all.subarray(0, cut > 0 ? cut + 1 : size);
}

// ls through a real pty: script(1) gives the program a terminal of 80x24.
function recordLs() {
  const out = execFileSync('script', ['-q', '-c', 'stty cols 80 rows 24; ls --color=always -lR /usr/share', '/dev/null'],
    { maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'], timeout: 120000 });
  if (out.length < size) throw new Error(`ls -lR gave only ${out.length} bytes`);
  const cut = out.lastIndexOf(0x0a, size);
  return out.subarray(0, cut + 1);
}

function chart() {
  const r = lcg(7);
  let frame = 0;
  return fill(() => {
    let s = '';
    for (let c = 0; c < 256; c++) {
      s += `\x1b[38;5;${(c + frame) & 255}m\x1b[48;5;${c}m${String(c).padStart(3)} `;
      if (c % 16 === 15) s += '\x1b[0m\r\n';
    }
    for (let line = 0; line < 8; line++) {
      for (let x = 0; x < 76; x++) {
        const v = (x * 3 + frame) & 255;
        s += `\x1b[38;2;${v};${255 - v};${(line * 32) & 255}m\x1b[48;2;${255 - v};${r() & 255};${v}m\u2580`;
      }
      s += '\x1b[0m\r\n';
    }
    s += '\x1b[1mbold\x1b[22m \x1b[3mitalic\x1b[23m \x1b[4:3;58;5;196mcurly\x1b[0m \x1b[7mreverse\x1b[0m\r\n';
    frame++;
    return s;
  });
}

function utf8() {
  const words = ['caf\u00e9', '\u4e2d\u6587\u5b57', 'e\u0301t\u00e9', '\u{1F600}', 'na\u00efve', '\u043f\u0440\u0438\u0432\u0435\u0442',
    '\ud55c\uad6d\uc5b4', 'plain', 'ascii', '\u65e5\u672c\u8a9e', 'a\u0300\u0301', '\u{1F680}\u{1F389}', '\u03b1\u03b2\u03b3', 'text'];
  const r = lcg(11);
  return fill(() => {
    let s = '';
    const n = 6 + (r() % 10);
    for (let i = 0; i < n; i++) s += words[r() % words.length] + ' ';
    return s + '\r\n';
  });
}

// What vim or less write when scrolling a coloured file: a page redrawn with cursor addressing,
// syntax colours and erase-to-end, a status line, and scrolls through a region.
function redraw() {
  const r = lcg(3);
  const kw = ['static', 'int', 'return', 'if', 'for', 'while', 'const', 'char'];
  const codeLine = (n) => {
    let s = `\x1b[38;5;130m${String(n).padStart(4)} \x1b[39m`;
    const words = 3 + (r() % 8);
    for (let i = 0; i < words; i++) {
      const k = r() % 6;
      if (k === 0) s += `\x1b[32m${kw[r() % kw.length]}\x1b[39m `;
      else if (k === 1) s += `\x1b[31m${r() % 1000}\x1b[39m `;
      else if (k === 2) s += `\x1b[34m/* note */\x1b[39m `;
      else s += `name_${r() % 100} `;
    }
    return s;
  };
  let top = 1;
  return fill(() => {
    let s = '\x1b[?25l';
    if (r() % 3 === 0) {
      for (let row = 1; row <= 23; row++) s += `\x1b[${row};1H${codeLine(top + row)}\x1b[K`;
    } else {
      const n = 1 + (r() % 5);  // scroll n lines up in the text region, draw the new ones
      s += `\x1b[1;23r\x1b[23;1H`;
      for (let i = 0; i < n; i++) s += `\n${codeLine(top + 23 + i)}\x1b[K`;
      s += '\x1b[r';
      top += n;
    }
    s += `\x1b[24;1H\x1b[7medit.c [+]${' '.repeat(40)}${top},1${' '.repeat(10)}42%\x1b[27m\x1b[K`;
    s += `\x1b[${1 + (r() % 23)};${5 + (r() % 70)}H\x1b[?25h`;
    return s;
  });
}

// [SECTION] Measurements

const mb = (bytes, ms) => bytes / 1e6 / (ms / 1000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function xtermOnce(term, bytes) {
  const t0 = performance.now();
  await new Promise((resolve) => {
    for (let i = 0; i < bytes.length; i += kRead) {
      const chunk = bytes.subarray(i, Math.min(i + kRead, bytes.length));
      if (i + kRead >= bytes.length) term.write(chunk, resolve);
      else term.write(chunk);
    }
  });
  return performance.now() - t0;
}

async function xterm(bytes) {
  const term = new Terminal({ cols: 80, rows: 24, scrollback: 1000, allowProposedApi: true });
  await xtermOnce(term, bytes);  // warm-up (JIT)
  const times = [];
  for (let i = 0; i < 5; i++) times.push(await xtermOnce(term, bytes));
  term.dispose();
  return mb(bytes.length, median(times));
}

// Google Benchmark JSON: the median of each BM_TermFile* benchmark, MB/s by input name.
function figures(json) {
  const out = {};
  for (const b of JSON.parse(json).benchmarks) {
    if (b.error_occurred) throw new Error(`${b.name}: ${b.error_message}`);
    if (b.run_type === 'aggregate' && b.aggregate_name !== 'median') continue;
    const m = /^BM_TermFile(\w+?)(_median)?$/.exec(b.name);
    if (m) out[m[1].toLowerCase()] = b.bytes_per_second / 1e6;
  }
  return out;
}

function runNative(dir) {
  const bin = path.join(nativeBuild, 'bin', 'mw_bench_term');
  const json = execFileSync(bin, ['--benchmark_filter=BM_TermFile', '--benchmark_format=json', '--benchmark_repetitions=3',
    '--benchmark_report_aggregates_only=true'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600000 });
  return figures(json);
}

function runWasm(dir) {
  const js = path.join(wasmBuild, 'bin', 'mw_bench_term.js');
  const out = path.join(dir, 'wasm.json');
  execFileSync(process.execPath, ['--no-experimental-fetch', js, '--benchmark_filter=BM_TermFile', '--benchmark_repetitions=3',
    `--benchmark_out=${out}`], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600000 });
  return figures(readFileSync(out, 'utf8'));
}

// [SECTION] Main

const dir = mkdtempSync(path.join(tmpdir(), 'mw-term-bench-'));
try {
  mkdirSync(path.join(dir, 'term-bench'));
  const inputs = { ls: recordLs(), chart: chart(), utf8: utf8(), redraw: redraw() };
  for (const [name, bytes] of Object.entries(inputs)) writeFileSync(path.join(dir, 'term-bench', `${name}.bin`), bytes);

  const native = runNative(dir);
  const wasm = runWasm(dir);
  const js = {};
  for (const [name, bytes] of Object.entries(inputs)) js[name] = await xterm(bytes);

  const pad = (s, n) => String(s).padEnd(n);
  console.log(`${new Date().toISOString().slice(0, 10)}  ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ` +
    `baseline @xterm/headless ${xtermVersion} measured in the same run; 80x24, 1000 lines of scrollback, 4 KiB writes`);
  console.log(pad('input', 9) + pad('size', 10) + pad('native', 14) + pad('wasm', 14) + pad('xterm.js', 14) +
    pad('native/xterm', 14) + pad('wasm/xterm', 12) + 'wasm/native');
  let ok = true;
  for (const [name, bytes] of Object.entries(inputs)) {
    const n = native[name], w = wasm[name], x = js[name];
    if (!(n > 0 && w > 0 && x > 0)) throw new Error(`no figure for ${name}`);
    ok = ok && n / x >= 5 && w / x >= 2;
    console.log(pad(name, 9) + pad(`${(bytes.length / 1e6).toFixed(1)} MB`, 10) + pad(`${n.toFixed(1)} MB/s`, 14) +
      pad(`${w.toFixed(1)} MB/s`, 14) + pad(`${x.toFixed(1)} MB/s`, 14) + pad((n / x).toFixed(2), 14) +
      pad((w / x).toFixed(2), 12) + (w / n).toFixed(2));
  }
  console.log(ok ? 'targets met: native >= 5x and wasm >= 2x xterm.js on every input'
    : 'targets NOT met on every input (native >= 5x, wasm >= 2x xterm.js)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
