import { Store } from '../dist/src/store/store.js';
import { collectRun, disambiguateLabels } from '../dist/src/report/collect.js';
import { buildFigures } from '../dist/src/report/index.js';
import { toCsv } from '../dist/src/report/csv.js';
import { loadKernels } from '../dist/src/engine/index.js';
const store = Store.open('/tmp/grokbench-report-bench-store', { create: false });
const runs = store.listRuns().map(r => collectRun(store, r.run_id, 3).run); disambiguateLabels(runs);
const k = loadKernels({quiet: true});
let t = performance.now();
const figs = buildFigures(runs, 3, k); console.log('figures', (performance.now() - t).toFixed(0));
for (const f of figs) { const a = performance.now(); const s = toCsv(f.table); console.log(f.name, (performance.now() - a).toFixed(0), 'ms', (s.length/1e6).toFixed(1), 'MB'); }
