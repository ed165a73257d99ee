/**
 * `grokbench verify`: every file a run's rows point to (checkpoints, the resume state, analysis
 * artifacts), read whole and checked against the SHA-256 written beside it (io/checksum.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { checksumState } from '../io/checksum.js';
import type { Store } from './store.js';

export type FileKind = 'checkpoint' | 'resume' | 'artifact';

/** One file's check: ok, damaged (bytes differ from the recorded hash), missing, or unchecked (no checksum beside it). */
export interface FileCheck {
  run_id: string;
  kind: FileKind;
  /** The checkpoint's or artifact's epoch (null for the resume state). */
  epoch: number | null;
  /** The artifact's analyzer (null otherwise). */
  analyzer: string | null;
  path: string;
  state: 'ok' | 'damaged' | 'missing' | 'unchecked';
}

/** Check one file. */
export function checkFile(path: string): FileCheck['state'] {
  if (!existsSync(path)) return 'missing';
  return checksumState(path, readFileSync(path));
}

/** Check every file of a run. */
export function verifyRun(store: Store, runId: string): FileCheck[] {
  const out: FileCheck[] = [];
  for (const c of store.listCheckpoints(runId)) out.push({ run_id: runId, kind: 'checkpoint', epoch: c.epoch, analyzer: null, path: c.path, state: checkFile(c.path) });
  const resume = store.resumePath(runId);
  if (existsSync(resume)) out.push({ run_id: runId, kind: 'resume', epoch: null, analyzer: null, path: resume, state: checkFile(resume) });
  for (const a of store.artifactFiles(runId)) out.push({ run_id: runId, kind: 'artifact', epoch: a.epoch, analyzer: a.analyzer, path: a.path, state: checkFile(a.path) });
  return out;
}
