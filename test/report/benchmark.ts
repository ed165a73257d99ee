/**
 * Times `writeReport` on a seed-experiment-sized store (8 runs × 251 checkpoints × 512 neurons).
 * Usage: node dist/test/report/benchmark.js [STORE_DIR] [OUT_DIR]
 * The store is built (bench-store.ts) if STORE_DIR holds none. Prints seconds and report.html size.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeReport } from '../../src/report/index.js';
import { Store } from '../../src/store/store.js';
import { buildBenchStore } from './bench-store.js';

const dir = process.argv[2] ?? '/tmp/grokbench-report-bench-store';
const out = process.argv[3] ?? '/tmp/grokbench-report-bench-out';
if (!existsSync(join(dir, 'grokbench.sqlite'))) {
  const t = performance.now();
  buildBenchStore(dir);
  process.stderr.write(`built bench store in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}
const store = Store.open(dir, { create: false });
try {
  const r = await writeReport(store, [], out);
  const html = statSync(join(out, 'report.html')).size;
  process.stdout.write(JSON.stringify({ seconds: Number(r.seconds.toFixed(2)), files: r.files.length, report_html_mb: Number((html / 1e6).toFixed(2)) }) + '\n');
} finally {
  store.close();
}
