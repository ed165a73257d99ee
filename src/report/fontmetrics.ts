/**
 * Text widths for Vega's layout in Node. Without a canvas Vega estimates a string's width as
 * 0.8 em per character, about 60 % too wide for a sans-serif font, which leaves wide empty margins
 * (legends and titles pushed out). Here the widths come from the same font files resvg draws with:
 * advance widths read from the TrueType tables (cmap format 4, hmtx), falling back to a second
 * font for characters the first lacks, and to the estimate if no font file is found.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as vega from 'vega';

interface Face { unitsPerEm: number; advance: (code: number) => number | null }

/** Parse the advance widths of a TrueType/OpenType file (BMP characters). */
export function parseFace(buf: Buffer): Face {
  const numTables = buf.readUInt16BE(4);
  const tables = new Map<string, number>();
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    tables.set(buf.toString('latin1', rec, rec + 4), buf.readUInt32BE(rec + 8));
  }
  const head = tables.get('head'), hhea = tables.get('hhea'), hmtx = tables.get('hmtx'), cmap = tables.get('cmap');
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined) throw new Error('not a TrueType font with cmap/hmtx');
  const unitsPerEm = buf.readUInt16BE(head + 18);
  const nMetrics = buf.readUInt16BE(hhea + 34);
  // A Unicode BMP subtable in format 4: (3, 1) preferred, else (0, *).
  let sub = -1;
  const nSub = buf.readUInt16BE(cmap + 2);
  for (let i = 0; i < nSub; i++) {
    const rec = cmap + 4 + 8 * i;
    const plat = buf.readUInt16BE(rec), enc = buf.readUInt16BE(rec + 2), off = cmap + buf.readUInt32BE(rec + 4);
    if (buf.readUInt16BE(off) !== 4) continue;
    if (plat === 3 && enc === 1) { sub = off; break; }
    if (plat === 0 && sub < 0) sub = off;
  }
  if (sub < 0) throw new Error('no Unicode BMP cmap');
  const segX2 = buf.readUInt16BE(sub + 6);
  const ends = sub + 14, starts = ends + segX2 + 2, deltas = starts + segX2, ranges = deltas + segX2;
  const glyphOf = (c: number): number => {
    for (let s = 0; s < segX2; s += 2) {
      if (buf.readUInt16BE(ends + s) < c) continue;
      const start = buf.readUInt16BE(starts + s);
      if (start > c) return 0;
      const delta = buf.readInt16BE(deltas + s), ro = buf.readUInt16BE(ranges + s);
      if (ro === 0) return (c + delta) & 0xffff;
      const g = buf.readUInt16BE(ranges + s + ro + 2 * (c - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  const cache = new Map<number, number | null>();
  return {
    unitsPerEm,
    advance(c: number): number | null {
      let w = cache.get(c);
      if (w === undefined) {
        const g = c > 0xffff ? 0 : glyphOf(c);
        w = g === 0 ? null : buf.readUInt16BE(hmtx + 4 * Math.min(g, nMetrics - 1));
        cache.set(c, w);
      }
      return w;
    },
  };
}

const REGULAR = ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'];
const BOLD = ['/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'];

function loadFaces(files: string[]): Face[] {
  const out: Face[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    try { out.push(parseFace(readFileSync(f))); } catch { /* skip unreadable fonts */ }
  }
  return out;
}

/** Width of `text` at `size` px with the first face that has each character (0.6 em otherwise). */
export function textWidth(faces: Face[], text: string, size: number): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    let adv: number | null = null;
    for (const f of faces) {
      const a = f.advance(c);
      if (a !== null) { adv = a / f.unitsPerEm; break; }
    }
    w += adv ?? 0.6;
  }
  return w * size;
}

let installed = false;

/** Make Vega measure text with the font files (once per process); false if no font was found. */
export function installTextMetrics(): boolean {
  if (installed) return true;
  const regular = loadFaces(REGULAR), bold = loadFaces(BOLD);
  if (regular.length === 0) return false;
  const tm = (vega as unknown as { textMetrics: { width: (item: Record<string, unknown>, text: unknown) => number } }).textMetrics;
  tm.width = (item, text) => {
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    const s = text == null ? '' : String(text).trim();
    if (size <= 0 || !s) return 0;
    const weight = item.fontWeight;
    const isBold = weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600) || (typeof weight === 'string' && Number(weight) >= 600);
    return textWidth(isBold && bold.length ? bold : regular, s, size);
  };
  installed = true;
  return true;
}
