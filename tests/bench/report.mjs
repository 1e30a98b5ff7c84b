// Reads Google Benchmark JSON (--benchmark_format=json) and prints each benchmark's throughput
// next to the baseline measured in the same run (benchmarks named BM_Baseline_*), as a ratio.
// Usage: node tests/bench/report.mjs RESULT.json [BASELINE_NAME]
import { readFileSync } from 'node:fs';

const [file, baselineName] = process.argv.slice(2);
const data = JSON.parse(readFileSync(file, 'utf8'));
const rows = data.benchmarks.filter((b) => b.run_type !== 'aggregate' || b.aggregate_name === 'median');
const rate = (b) => (b.bytes_per_second ? b.bytes_per_second : b.items_per_second || 0);
const unit = (b) => (b.bytes_per_second ? 'MB/s' : 'items/s');
const baseline = rows.find((b) => (baselineName ? b.name === baselineName : b.name.startsWith('BM_Baseline_')));
const pad = (s, n) => String(s).padEnd(n);
console.log(`${data.context.date}  ${data.context.num_cpus} CPU @ ${data.context.mhz_per_cpu} MHz  (${data.context.library_build_type})`);
console.log(pad('benchmark', 44) + pad('throughput', 20) + 'ratio to ' + (baseline ? baseline.name : '(no baseline)'));
for (const b of rows) {
  const r = rate(b);
  const shown = b.bytes_per_second ? (r / 1e6).toFixed(1) : r.toFixed(0);
  const ratio = baseline && rate(baseline) ? (r / rate(baseline)).toFixed(3) : '-';
  console.log(pad(b.name, 44) + pad(`${shown} ${unit(b)}`, 20) + ratio);
}
