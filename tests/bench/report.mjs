// Reads Google Benchmark JSON (--benchmark_format=json / --benchmark_out) and prints each
// benchmark's throughput next to the baseline measured in the same run (BM_Baseline_*), as a
// ratio. With a second file (the same benchmarks compiled to WebAssembly and run under Node), it
// prints the wasm figures beside the native ones, and wasm/native.
// Usage: node tests/bench/report.mjs NATIVE.json [WASM.json]
import { readFileSync } from 'node:fs';

const [nativeFile, wasmFile] = process.argv.slice(2);
const load = (file) => {
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const rows = data.benchmarks.filter((b) => b.run_type !== 'aggregate' || b.aggregate_name === 'median');
  return { context: data.context, rows: new Map(rows.map((b) => [b.name.replace(/_median$/, ''), b])) };
};
const rate = (b) => (b ? b.bytes_per_second || b.items_per_second || 0 : 0);
const unit = (b) => (b && !b.bytes_per_second && b.items_per_second ? 'items/s' : 'MB/s');
const show = (b) => (!b ? '-' : b.bytes_per_second ? `${(rate(b) / 1e6).toFixed(1)} MB/s` : `${rate(b).toFixed(0)} items/s`);
const baselineOf = (set) => [...set.rows.entries()].find(([n]) => n.startsWith('BM_Baseline_'));
const pad = (s, n) => String(s).padEnd(n);

const native = load(nativeFile);
const wasm = wasmFile ? load(wasmFile) : null;
const nb = baselineOf(native);
const wb = wasm ? baselineOf(wasm) : null;
const c = native.context;
console.log(`${c.date}  ${c.num_cpus} CPU @ ${c.mhz_per_cpu} MHz; baseline ${nb ? nb[0] : '(none)'} measured in the same run`);
let header = pad('benchmark', 40) + pad('native', 18) + pad('ratio', 9);
if (wasm) header += pad('wasm (Node)', 18) + pad('ratio', 9) + 'wasm/native';
console.log(header);
for (const [name, b] of native.rows) {
  let line = pad(name, 40) + pad(show(b), 18) + pad(nb && rate(nb[1]) ? (rate(b) / rate(nb[1])).toFixed(3) : '-', 9);
  if (wasm) {
    const w = wasm.rows.get(name);
    line += pad(show(w), 18) + pad(w && wb && rate(wb[1]) ? (rate(w) / rate(wb[1])).toFixed(3) : '-', 9);
    line += w && rate(b) ? (rate(w) / rate(b)).toFixed(3) : '-';
  }
  console.log(line);
}
void unit;
