/**
 * Figures to files without a browser: Vega-Lite is compiled to Vega, Vega renders to an SVG string
 * (View with renderer 'none'), and resvg turns the SVG into a PNG with system fonts (Liberation
 * Sans / DejaVu Sans from Debian's fonts-liberation / fonts-dejavu-core).
 */
import { existsSync } from 'node:fs';
import { renderAsync } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { failure } from '../core/errors.js';
import { installTextMetrics } from './fontmetrics.js';

/** True for Vega-Lite specs (by their $schema). */
export function isVegaLite(spec: object): boolean {
  const s = (spec as { $schema?: string }).$schema ?? '';
  return s.includes('vega-lite');
}

/** Vega-Lite's compile logger, silenced: nothing below the command line prints. */
const QUIET = {
  level(): number { return 0; },
  warn() { return QUIET; }, info() { return QUIET; }, debug() { return QUIET; }, error() { return QUIET; },
} as unknown as NonNullable<Parameters<typeof compile>[1]>['logger'];

/** The Vega spec of a Vega or Vega-Lite spec. */
export function toVega(spec: object): vega.Spec {
  if (!isVegaLite(spec)) return spec as vega.Spec;
  return compile(spec as Parameters<typeof compile>[0], { logger: QUIET }).spec as vega.Spec;
}

/** Render a spec to an SVG string. */
export async function renderSvg(spec: object, name = 'figure'): Promise<string> {
  installTextMetrics();
  let view: vega.View | undefined;
  try {
    // Vega marks the data objects it ingests: render a copy, so the caller's spec stays as it was.
    view = new vega.View(vega.parse(toVega(JSON.parse(JSON.stringify(spec)) as object)), { renderer: 'none', logLevel: vega.Error });
    const svg = await view.toSVG();
    return svg;
  } catch (err) {
    throw failure(`cannot render figure ${name}: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    view?.finalize();
  }
}

/**
 * The SVG as written to figures/NAME.svg: raster images keep their pixels (Vega writes
 * `image-rendering: pixelated` as a style; the attribute is what other renderers read).
 */
export function finishSvg(svg: string): string {
  return svg.replace(/style="image-rendering: optimizeSpeed; image-rendering: pixelated;"/g, 'image-rendering="optimizeSpeed" style="image-rendering: pixelated"');
}

/** Liberation Sans (Arial metrics, covers every character the figures use); DejaVu Sans if it is missing. */
const FONT_CHOICES = [
  ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf'],
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'],
];

let fontFiles: string[] | undefined;

/** The font files resvg loads (the first complete choice present; otherwise all system fonts). */
export function pngFonts(): { fontFiles: string[]; loadSystemFonts: boolean; family: string } {
  fontFiles ??= FONT_CHOICES.find((c) => c.every((f) => existsSync(f))) ?? [];
  const family = fontFiles.some((x) => x.includes('Liberation')) ? 'Liberation Sans' : 'DejaVu Sans';
  return { fontFiles, loadSystemFonts: fontFiles.length === 0, family };
}

/** PNG of an SVG (the finished SVG), at `scale` × its size, on white. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const f = pngFonts();
  const img = await renderAsync(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { fontFiles: f.fontFiles, loadSystemFonts: f.loadSystemFonts, defaultFontFamily: f.family, sansSerifFamily: f.family },
    imageRendering: 1, // nearest neighbour: heatmap cells stay sharp
  });
  return img.asPng();
}
