import { deflateSync, constants } from 'node:zlib';
import { Store } from '../dist/src/store/store.js';
import { collectRun } from '../dist/src/report/collect.js';
import { matrixIndices, epochGrid } from '../dist/src/report/raster.js';
const store = Store.open('/tmp/grokbench-report-bench-store', { create: false });
const r = collectRun(store, 'p113-s999-bench', 3);
const g = epochGrid(r.epochs);
const idx = matrixIndices(r.coarseness, 512, g.source, Array.from({length:512},(_, i)=>i), 0, 1);
const raw = Buffer.alloc(idx.length + g.epochs.length);
for (let y = 0; y < g.epochs.length; y++) { raw[y*513] = 0; raw.set(idx.subarray(y*512,(y+1)*512), y*513+1); }
for (const level of [1, 3, 6, 9]) for (const strategy of [constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED]) {
  const t = performance.now(); let out; for (let i = 0; i < 5; i++) out = deflateSync(raw, { level, strategy });
  console.log(level, strategy, out.length, ((performance.now() - t)/5).toFixed(1), 'ms');
}
