/**
 * report.html: one self-contained page (Vega, Vega-Lite and vega-embed inlined from node_modules,
 * all data inline), opening offline from disk. Figures are embedded from their specs; the runs'
 * check boxes, the play button and the gallery widget are wired by the browser code in src/browser/report (bundled, inlined).
 */
import { existsSync, readFileSync } from 'node:fs';
import { failure } from '../core/errors.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from '../engine/native.js';
import { palette } from '../views/colormap.js';
import { FONT, runPalette } from '../views/figures/common.js';
import type { GalleryRun } from './gallery.js';
import type { Figure, ReportStudy, RunData, SectionId } from '../views/types.js';

const require = createRequire(import.meta.url);

/** The directory of an installed package (its exports need not list package.json). */
function packageDir(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  for (;;) {
    const f = join(dir, 'package.json');
    if (existsSync(f) && (JSON.parse(readFileSync(f, 'utf8')) as { name?: string }).name === pkg) return dir;
    const up = dirname(dir);
    if (up === dir) throw failure(`cannot find the ${pkg} package (npm install)`);
    dir = up;
  }
}

/** The browser bundles, read once. `</script` inside them is escaped so they can sit in a script element. */
let bundles: string[] | undefined;
export function browserBundles(): string[] {
  if (!bundles) {
    const file = (pkg: string, rel: string): string => join(packageDir(pkg), rel);
    bundles = [
      file('vega', 'build/vega.min.js'),
      file('vega-lite', 'build/vega-lite.min.js'),
      file('vega-embed', 'build/vega-embed.min.js'),
    ].map((f) => readFileSync(f, 'utf8').replace(/<\/script/gi, '<\\/script'));
  }
  return bundles;
}

/**
 * A page's own script, compiled from src/browser by `npm run build` (scripts/bundle-browser.mjs):
 * 'dashboard' (grokbench serve's /app.js) or 'report' (inlined in report.html). Read once.
 */
const pageScripts = new Map<string, string>();
export function pageScript(name: 'dashboard' | 'report'): string {
  let s = pageScripts.get(name);
  if (s === undefined) {
    const file = join(packageRoot(), 'dist', 'browser', `${name}.js`);
    if (!existsSync(file)) throw failure(`the ${name} page's script is missing (${file}): run npm run build`);
    s = readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
    pageScripts.set(name, s);
  }
  return s;
}

/** A section id as it appears in data/answer-<id>.csv. */
export function answerFileId(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function esc(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

/** JSON safe inside a script element. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export const SECTIONS: { id: SectionId; title: string; intro: string }[] = [
  { id: 'runs', title: 'Runs', intro: '' },
  { id: 'training', title: 'Training curves', intro: 'Loss and accuracy per run: when each run memorised and when (if ever) it grokked.' },
  { id: 'distribution', title: '1. Coarseness distribution over time', intro: 'Seed analysis 1 (highest priority): does the distribution of neuron coarseness shift towards blobs in grokking runs?' },
  { id: 'mean', title: '2. Mean coarseness vs epoch', intro: 'Seed analysis 2: one trajectory per run, set against the test loss, to see whether the rise in coarseness precedes, coincides with or follows grokking.' },
  { id: 'heatmap', title: '3. Coarseness vs neuron index', intro: 'Seed analysis 3: do particular neurons become blobs, and do they do it together?' },
  { id: 'predict', title: '4. Early coarseness predicts grokking time?', intro: 'Seed analysis 4: one point per run.' },
  { id: 'count', title: '5. High-coarseness neuron count over time', intro: 'Seed analysis 5: the number of "blob" neurons at three thresholds.' },
  { id: 'gallery', title: '6. Neuron galleries', intro: 'The pictures behind the numbers: activation maps of the highest and lowest neurons at chosen epochs, with the 2-D power spectrum of a selected neuron.' },
  { id: 'embedding', title: '7. Embedding Fourier spectrum and reference coarseness', intro: 'Which frequencies the embedding holds over training, and the coarseness of ideal single-frequency maps for comparison.' },
  { id: 'answers', title: 'Answers', intro: 'The research questions of the seed, answered from the stored analyses of these runs. Every number is computed; where the data do not support a hypothesis, the answer says so.' },
];

const CSS = `
body { font-family: ${FONT}; margin: 0; color: #222; background: #fafafa; }
header { background: #fff; border-bottom: 1px solid #ddd; padding: 12px 24px; }
header h1 { font-size: 20px; margin: 0 0 4px 0; }
header .meta { color: #555; font-size: 12px; }
#run-toggles { margin-top: 6px; font-size: 12px; }
#run-toggles label { margin-right: 12px; white-space: nowrap; }
#run-toggles .sw { display: inline-block; width: 10px; height: 10px; margin: 0 3px; vertical-align: middle; }
nav { padding: 8px 24px; font-size: 13px; }
nav a { margin-right: 14px; }
main { padding: 0 24px 48px 24px; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 4px; margin: 16px 0; padding: 8px 18px 16px 18px; }
section h2 { font-size: 18px; }
figure.fig { margin: 18px 0 26px 0; }
figure.fig h3 { font-size: 15px; margin: 6px 0; }
.caption { color: #444; font-size: 13px; max-width: 1000px; margin: 4px 0 8px 0; }
.files { font-size: 12px; color: #666; }
.vis { overflow-x: auto; }
.vega-bindings { font-size: 12px; margin: 4px 0; }
.vega-bind { display: inline-block; margin-right: 14px; }
table.data { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
table.data th, table.data td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; }
table.data th { background: #f3f3f3; }
table.data td.l, table.data th.l { text-align: left; }
button.play { font-size: 13px; padding: 2px 10px; margin: 4px 0; }
.answer { margin: 14px 0 22px 0; }
.answer h3 { font-size: 15px; margin-bottom: 4px; }
.answer p { max-width: 1000px; font-size: 14px; line-height: 1.45; }
.g-controls { font-size: 13px; margin: 6px 0; }
.g-controls label { margin-right: 8px; }
.g-body { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.g-grid h4, .g-detail h4 { margin: 6px 0; font-size: 13px; }
.g-cells { display: grid; grid-template-columns: repeat(4, 112px); gap: 6px; }
.g-cell { font-size: 9px; cursor: pointer; border: 2px solid transparent; }
.g-cell.selected { border-color: #e8871e; }
.g-cell canvas { width: 104px; height: 104px; image-rendering: pixelated; display: block; }
.g-lbl { font-size: 10px; color: #333; white-space: nowrap; }
.g-row { display: flex; gap: 6px; align-items: flex-start; }
.g-col { display: flex; flex-direction: column; }
.g-cap { font-size: 10px; color: #555; max-width: 300px; min-height: 26px; }
canvas.g-big { width: 300px; height: 300px; image-rendering: pixelated; }
canvas.g-spec { width: 300px; height: 300px; }
.g-readout { font-size: 12px; color: #333; min-height: 18px; margin-top: 6px; font-family: monospace; }
`;

export interface HtmlInput {
  title: string;
  generated: string;
  K: number;
  runs: RunData[];
  figures: Figure[];
  galleries: GalleryRun[];
  answers: ReportStudy | null;
  /** Figure names of the answers' own figures, by section id. */
  answerFigures: Map<string, string>;
  /** Frames of the animated histogram. */
  frames: number;
}

function figureHtml(f: Figure, frames: number, bare = false): string {
  const play = f.name === 'coarseness-histogram-animated'
    ? `<button class="play" data-play="${esc(f.name)}" data-frames="${frames}">&#9654; play</button>` : '';
  return `<figure class="fig" id="fig-${esc(f.name)}" data-name="${esc(f.name)}">
${bare ? '' : `<h3>${esc(f.title)}</h3>\n<p class="caption">${esc(f.caption)}</p>\n`}${play}<div class="vis" id="vis-${esc(f.name)}"></div>
<p class="files">files: <a href="figures/${esc(f.name)}.png">PNG</a> · <a href="figures/${esc(f.name)}.svg">SVG</a> · <a href="data/${esc(f.name)}.csv">CSV</a></p>
</figure>`;
}

function runsTable(runs: RunData[]): string {
  const head = ['run', 'run id', 'p', 'seed', 'epochs', 'status', 'analysed checkpoints', 'memorised (train acc ≥ 0.99)', 'grokked (test loss < 0.01)', 'test acc ≥ 0.99', 'stays grokked', 'final test loss', 'final test acc'];
  const rows = runs.map((r) => {
    const last = [...r.metrics].reverse().find((m) => m.test_loss !== null);
    return `<tr data-run-label="${esc(r.label)}"><td class="l">${esc(r.label)}</td><td class="l">${esc(r.runId)}</td><td>${r.p}</td><td>${r.seed}</td>` +
      `<td>${r.epochsDone} / ${r.maxEpoch}</td><td class="l">${esc(r.status)}</td><td>${r.epochs.length}</td>` +
      `<td>${esc(r.grok.memorise_epoch ?? 'never')}</td><td>${esc(r.grok.grok_epoch ?? 'never')}</td><td>${esc(r.grok.grok_epoch_acc ?? 'never')}</td>` +
      `<td>${r.grok.stays_below === null ? '–' : r.grok.stays_below ? 'yes' : 'no'}</td>` +
      `<td>${last?.test_loss != null ? last.test_loss.toExponential(3) : '–'}</td><td>${last?.test_acc != null ? last.test_acc.toFixed(4) : '–'}</td></tr>`;
  });
  return `<table class="data"><tr>${head.map((h, i) => `<th class="${i < 2 ? 'l' : ''}">${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table>`;
}

export function tableHtml(t: { columns: string[]; rows: (string | number | boolean | null)[][] }): string {
  const cell = (v: string | number | boolean | null): string => {
    if (v === null) return '<td>–</td>';
    if (typeof v === 'number') return `<td>${esc(Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : String(Number(v.toPrecision(4))))}</td>`;
    return `<td class="l">${esc(String(v))}</td>`;
  };
  return `<table class="data"><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${t.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</table>`;
}

function answersHtml(a: ReportStudy, figures: Figure[], answerFigures: Map<string, string>, frames: number): string {
  const names = new Set(figures.map((f) => f.name));
  return a.sections.map((s) => {
    const own = answerFigures.get(s.id);
    const ownFig = own ? figures.find((f) => f.name === own) : undefined;
    const ref = !ownFig && s.figure && names.has(s.figure) ? `<p class="files">figure: <a href="#fig-${esc(s.figure)}">${esc(s.figure)}</a></p>` : '';
    return `<div class="answer" id="answer-${esc(s.id)}"><h3>${esc(s.question)}</h3><p>${esc(s.answer)}</p>` +
      (s.table ? tableHtml(s.table) + `<p class="files">data: <a href="data/answer-${esc(answerFileId(s.id))}.csv">CSV</a></p>` : '') +
      ref + (ownFig ? figureHtml(ownFig, frames, true) : '') + '</div>';
  }).join('\n');
}

export function buildHtml(h: HtmlInput): string {
  const shown = h.figures.filter((f) => !f.hideInHtml);
  const inAnswers = new Set(h.answerFigures.values());
  const vir = palette('viridis');
  const viridis: string[] = [];
  for (let i = 0; i < 255; i++) viridis.push('#' + [vir[3 * i], vir[3 * i + 1], vir[3 * i + 2]].map((v) => v.toString(16).padStart(2, '0')).join(''));
  const data = {
    figures: shown.map((f) => ({
      name: f.name, spec: f.spec,
      runFilter: ((f.spec as { params?: { name: string }[] }).params ?? []).some((p) => p.name === 'shown'),
    })),
    galleries: h.galleries.map((g) => ({
      runId: g.runId, label: g.label, p: g.p, K: g.K,
      epochs: g.epochs.map((e) => ({
        epoch: e.epoch, reason: e.reason, flat: e.flat, rankings: e.rankings,
        neurons: e.neurons.map((x) => ({ n: x.n, c: x.coarseness, f: x.specialization, k: x.dominant, s: x.share, min: x.min, max: x.max, u: x.uri })),
      })),
    })),
    viridis,
    font: FONT,
  };
  const colours = runPalette(h.runs);
  const toggles = h.runs.map((r, i) => `<label><input type="checkbox" value="${esc(r.label)}" checked><span class="sw" style="background:${esc(colours[i] ?? '#888')}"></span>${esc(r.label)}</label>`).join('');
  const galleryLinks = h.figures.filter((f) => f.section === 'gallery').map((f) => `<a href="figures/${esc(f.name)}.png">${esc(f.name)}</a>`).join(' · ');
  const sectionBody = (id: SectionId): string => {
    if (id === 'runs') return runsTable(h.runs);
    if (id === 'answers') {
      if (!h.answers) return '<p>The answers need several runs: run <code>grokbench report</code> with two or more analysed runs.</p>';
      return answersHtml(h.answers, h.figures, h.answerFigures, h.frames);
    }
    let out = shown.filter((f) => f.section === id && !inAnswers.has(f.name)).map((f) => figureHtml(f, h.frames)).join('\n');
    if (id === 'gallery') {
      out = `<div id="gallery"></div><p class="files">static galleries (PNG; SVG and CSV beside them): ${galleryLinks || 'none'}</p>` + out;
    }
    return out;
  };
  const sections = SECTIONS.map((s) => `<section id="sec-${s.id}"><h2>${esc(s.title)}</h2>${s.intro ? `<p class="caption">${esc(s.intro)}</p>` : ''}\n${sectionBody(s.id)}\n</section>`);
  const nav = SECTIONS.map((s) => `<a href="#sec-${s.id}">${esc(s.title.replace(/^\d+\.\s*/, ''))}</a>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(h.title)}</title>
<style>${CSS}</style>
${browserBundles().map((b) => `<script>${b}</script>`).join('\n')}
</head><body>
<header><h1>${esc(h.title)}</h1>
<div class="meta">${esc(h.generated)} · coarseness K = ${h.K} (frequencies 1..${h.K}) · ${h.runs.length} run(s) · blob ≥ 0.7, plaid &lt; 0.5</div>
<div id="run-toggles">show runs: ${toggles}</div></header>
<nav>${nav}</nav>
<main>
${sections.join('\n')}
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${pageScript('report')}</script>
</body></html>
`;
}
