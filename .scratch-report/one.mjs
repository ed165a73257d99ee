import { Store } from '../dist/src/store/store.js';
import { collectRun, disambiguateLabels } from '../dist/src/report/collect.js';
import { buildFigures } from '../dist/src/report/index.js';
import { buildGallery, galleryFigures } from '../dist/src/report/gallery.js';
import { renderSvg, svgToPng, finishSvg } from '../dist/src/report/render.js';
import { loadKernels } from '../dist/src/engine/index.js';
import { writeFileSync, mkdirSync } from 'node:fs';
const store = Store.open(process.argv[2]);
const pat = new RegExp(process.argv[3] ?? '.');
const runs = store.listRuns().map(r => collectRun(store, r.run_id, 3)); disambiguateLabels(runs);
let figs = buildFigures(runs, 3);
if ((process.argv[3] ?? '').includes('gallery')) { const k = loadKernels({quiet: true}); for (const r of runs.slice(0, 2)) figs.push(...galleryFigures(buildGallery(k, r))); }
mkdirSync('/tmp/rp/one', { recursive: true });
for (const f of figs.filter(f => pat.test(f.name))) {
  const t = performance.now();
  const svg = finishSvg(await renderSvg(f.staticSpec ?? f.spec, f.name));
  writeFileSync(`/tmp/rp/one/${f.name}.svg`, svg);
  writeFileSync(`/tmp/rp/one/${f.name}.png`, await svgToPng(svg));
  console.log(f.name, (performance.now() - t).toFixed(0), 'ms');
}
