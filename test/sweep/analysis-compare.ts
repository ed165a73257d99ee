/** Assertions that two stores hold the same analysis: every database row and every artifact file, byte for byte. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../../src/store/store.js';

export interface AnalysisRowDump { run_id: string; epoch: number; analyzer: string; params: string; summary_json: string; path: string | null }

/** Every row of the analysis table, in key order. */
export function analysisRows(store: string): AnalysisRowDump[] {
  const db = new Database(join(store, SQLITE_FILE), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT run_id, epoch, analyzer, params, summary_json, path FROM analysis ORDER BY run_id, epoch, analyzer, params').all() as AnalysisRowDump[];
  } finally { db.close(); }
}

/** Every artifact file (`runs/<id>/analysis/**`) by path relative to the store, with its SHA-256. */
export function artifactHashes(store: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(store, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  const runs = join(store, 'runs');
  for (const id of existsSync(runs) ? readdirSync(runs).sort() : []) if (existsSync(join(runs, id, 'analysis'))) walk(join(runs, id, 'analysis'));
  return out;
}

/**
 * `actual` holds exactly the analysis of `expected`: the same rows (summaries as stored text,
 * parameters, artifact paths) and the same artifact files, byte for byte; at least `minRows` rows.
 */
export function assertSameAnalysis(actual: string, expected: string, minRows: number): void {
  const a = analysisRows(actual), e = analysisRows(expected);
  assert.ok(e.length >= minRows, `the reference holds only ${e.length} analysis rows`);
  assert.equal(a.length, e.length, 'number of analysis rows');
  for (let i = 0; i < e.length; i++) assert.deepEqual(a[i], e[i], `analysis row ${i} (${e[i].run_id} epoch ${e[i].epoch} ${e[i].analyzer})`);
  const ha = artifactHashes(actual), he = artifactHashes(expected);
  assert.ok(he.size > 0, 'the reference has no artifact files');
  assert.deepEqual([...ha.keys()], [...he.keys()], 'artifact files');
  for (const [k, v] of he) assert.equal(ha.get(k), v, `artifact ${k} differs`);
}
