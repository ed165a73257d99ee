import { Store } from '../dist/src/store/store.js';
import { collectRun } from '../dist/src/report/collect.js';
import { buildGallery, galleryFigures } from '../dist/src/report/gallery.js';
import { renderSvg, finishSvg, svgToPng, toVega } from '../dist/src/report/render.js';
import { loadKernels } from '../dist/src/engine/index.js';
const store = Store.open('/tmp/grokbench-report-bench-store', { create: false });
const { run } = collectRun(store, 'p113-s999-bench', 3);
const k = loadKernels({quiet: true});
let t = performance.now();
const g = buildGallery(k, run); console.log('build', (performance.now() - t).toFixed(0)); t = performance.now();
const figs = galleryFigures(g); console.log('figs', (performance.now() - t).toFixed(0));
const f = figs[5];
for (let i = 0; i < 3; i++) {
  let a = performance.now(); toVega(f.spec); const b = performance.now(); const svg = finishSvg(await renderSvg(f.spec)); const c = performance.now(); await svgToPng(svg, 1); const d = performance.now();
  console.log('compile', (b - a).toFixed(0), 'svg', (c - b).toFixed(0), 'png', (d - c).toFixed(0), svg.length);
}
import { writeFileSync } from 'node:fs';
for (const i of [5, 0]) { const svg = finishSvg(await renderSvg(figs[i].spec)); writeFileSync(`/tmp/rp/gal${i}.png`, await svgToPng(svg, 1)); writeFileSync(`/tmp/rp/gal${i}.svg`, svg); }
