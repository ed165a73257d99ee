import { Store } from '../dist/src/store/store.js';
import { collectRun } from '../dist/src/report/collect.js';
import { buildGallery } from '../dist/src/report/gallery.js';
import { loadKernels } from '../dist/src/engine/index.js';
const store = Store.open('/tmp/grokbench-report-bench-store', { create: false });
const { run } = collectRun(store, 'p113-s999-bench', 3);
const k = loadKernels({quiet: true});
for (let i = 0; i < 3; i++) { const t = performance.now(); buildGallery(k, run); console.log('build', (performance.now() - t).toFixed(0)); }
