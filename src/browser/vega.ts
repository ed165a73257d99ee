/**
 * The parts of vega-embed's API the pages use. vega, vega-lite and vega-embed are loaded by the
 * page as plain scripts (served or inlined from node_modules), so vegaEmbed is a global.
 */
export interface VegaView {
  signal(name: string): unknown;
  signal(name: string, value: unknown): VegaView;
  runAsync(): Promise<VegaView>;
  data(name: string): unknown[];
}

export interface EmbedResult { view: VegaView }

declare global {
  function vegaEmbed(el: HTMLElement, spec: unknown, options?: Record<string, unknown>): Promise<EmbedResult>;
  interface Window {
    /** The viridis palette as 256 'r,g,b' strings (the dashboard's /static/viridis.js). */
    VIRIDIS?: string[];
    /** The report's embedded views by figure name (read by the browser tests). */
    grokbenchViews?: Record<string, VegaView>;
  }
}

/** Draw a Vega-Lite spec into el; with `exportMenu`, vega-embed's menu saves it as PNG or SVG. */
export function embed(el: HTMLElement, spec: unknown, renderer: 'canvas' | 'svg', exportMenu = false): Promise<EmbedResult> {
  return vegaEmbed(el, spec, { actions: exportMenu ? { export: true, source: false, compiled: false, editor: false } : false, renderer });
}
