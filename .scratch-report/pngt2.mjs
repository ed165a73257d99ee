import { readFileSync, readdirSync } from 'node:fs';
import { svgToPng } from '../dist/src/report/render.js';
const dir = '/tmp/rp/bench-out/figures/';
const files = readdirSync(dir).filter(f => f.endsWith('.svg'));
const agg = {};
for (const f of files) { const svg = readFileSync(dir + f, 'utf8'); const a = performance.now(); const png = await svgToPng(svg, f.startsWith('gallery') ? 1 : 2); const k = f.startsWith('gallery') ? 'gallery' : f; agg[k] = (agg[k] ?? 0) + performance.now() - a; }
for (const [k, v] of Object.entries(agg).sort((a, b) => b[1] - a[1])) console.log(v.toFixed(0), k);
