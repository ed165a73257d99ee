import { readFileSync, readdirSync } from 'node:fs';
import { svgToPng } from '../dist/src/report/render.js';
const dir = '/tmp/rp/bench-out/figures/';
const files = readdirSync(dir).filter(f => f.endsWith('.svg'));
let t = performance.now(); let sync = 0;
for (const f of files) { const svg = readFileSync(dir + f, 'utf8'); const a = performance.now(); const p = svgToPng(svg, f.startsWith('gallery') ? 1 : 2); sync += performance.now() - a; await p; }
console.log(files.length, 'total', (performance.now() - t).toFixed(0), 'sync part', sync.toFixed(0));
