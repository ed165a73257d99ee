/**
 * The dashboard's HTML: one shell per page (the page's code, src/browser/dashboard, draws the
 * rest) and the fixed table of static scripts (vega, vega-lite, vega-embed, the viridis palette).
 */
import { browserBundles } from '../report/html.js';
import { palette } from '../views/colormap.js';
import { esc } from './http.js';
import { PAGE_CSS } from './style.js';

export type PageKind = 'home' | 'run' | 'compare' | 'jobs' | 'job' | 'views' | 'missing';

/**
 * The pages that draw figures and so load vega, vega-lite and vega-embed (~1.2 MB of script, a
 * third of a second to evaluate): the home table and the jobs pages draw none.
 */
const DRAWS_FIGURES: ReadonlySet<PageKind> = new Set(['run', 'compare', 'views']);

/**
 * A page's HTML shell; shownToken is given to the page only when the request showed it. A
 * 'missing' page (an unknown run, say) carries its message in words instead of the page's code.
 */
export function pageHtml(kind: PageKind, title: string, storeDir: string, shownToken: string, extra: Record<string, string> = {}, message?: string): string {
  const data = Object.entries({ page: kind, ...extra }).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="gb-token" content="${esc(shownToken)}">
<style>${PAGE_CSS}</style>
${DRAWS_FIGURES.has(kind) ? '<script src="/static/vega.js"></script><script src="/static/vega-lite.js"></script><script src="/static/vega-embed.js"></script>\n' : ''}</head><body${data}><header><a href="/" class="home">grokbench</a> <nav><a href="/"${kind === 'home' ? ' class="here"' : ''}>runs</a><a href="/study" id="nav-study"${kind === 'compare' && extra.runs === 'all' ? ' class="here"' : ''}>study</a><a href="/views" id="nav-views"${kind === 'views' ? ' class="here"' : ''}>views</a><a href="/jobs" id="nav-jobs"${kind === 'jobs' || kind === 'job' ? ' class="here"' : ''}>jobs</a></nav> <span class="store">${esc(storeDir)}</span> <span id="live" class="live">${message === undefined ? 'connecting…' : ''}</span></header><main id="main">${message === undefined ? '' : `<h1>${esc(title.replace(/^grokbench: /, ''))}</h1><p class="error" id="missing">${esc(message)}</p><p><a href="/">all runs of this store</a></p>`}</main>
${message === undefined ? '<script src="/static/viridis.js"></script><script src="/app.js"></script>' : ''}</body></html>`;
}

let staticFiles: Map<string, string> | null = null;

/** A static script by name (a fixed table: nothing from a URL becomes a path), or undefined. */
export function staticFile(name: string): string | undefined {
  if (!staticFiles) {
    const [vega, vl, embed] = browserBundles();
    const vir = palette('viridis');
    const colours: string[] = [];
    for (let i = 0; i < 256; i++) colours.push(`${vir[3 * i]},${vir[3 * i + 1]},${vir[3 * i + 2]}`);
    staticFiles = new Map([
      ['vega.js', vega], ['vega-lite.js', vl], ['vega-embed.js', embed],
      ['viridis.js', `window.VIRIDIS=${JSON.stringify(colours)};`],
    ]);
  }
  return staticFiles.get(name);
}
