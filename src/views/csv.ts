/** CSV text (RFC 4180 quoting) from a table; null and non-finite numbers are empty cells. */
import type { Table } from './types.js';

export function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(t: Table): string {
  if (t.text !== undefined) return t.text;
  const lines = [t.columns.map(csvCell).join(',')];
  for (const r of t.rows) {
    let line = '';
    for (let i = 0; i < r.length; i++) {
      const v = r[i];
      if (i > 0) line += ',';
      if (typeof v === 'number') { if (Number.isFinite(v)) line += String(v); }
      else line += csvCell(v);
    }
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}

/** Parse CSV text made by toCsv (quoted cells allowed); every cell a string. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], cell = '', i = 0, quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      cell += ch; i++; continue;
    }
    if (ch === '"') { quoted = true; i++; continue; }
    if (ch === ',') { row.push(cell); cell = ''; i++; continue; }
    if (ch === '\n' || ch === '\r') {
      row.push(cell); rows.push(row); row = []; cell = '';
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    cell += ch; i++;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/**
 * CSV text of a wide numeric matrix without building rows: `lead` cells (already CSV-safe text)
 * then one value per column, rounded to `decimals` decimals; NaN is an empty cell.
 */
export function matrixCsv(columns: string[], blocks: { lead: string[]; values: ArrayLike<number>; offset: number; count: number }[], decimals = 6): string {
  const scale = 10 ** decimals;
  const parts: string[] = [columns.map(csvCell).join(',')];
  for (const b of blocks) {
    let line = b.lead.join(',');
    for (let i = 0; i < b.count; i++) {
      const v = b.values[b.offset + i];
      line += v === v ? ',' + Math.round(v * scale) / scale : ',';
    }
    // Rows shorter than the header (a run with fewer neurons) are padded with empty cells.
    for (let i = b.lead.length + b.count; i < columns.length; i++) line += ',';
    parts.push(line);
  }
  return parts.join('\n') + '\n';
}
