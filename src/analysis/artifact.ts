/**
 * One stored analysis result of a run, as scripts read it (`grokbench artifact`): the analyzer's
 * SQLite summary at an epoch and, for checkpoint analyzers, its safetensors artifact (metadata and
 * every tensor). The row read is the one stored with the analyzer's parameters at the default
 * options when there is one, else the last stored row of that epoch.
 */
import { existsSync } from 'node:fs';
import { badInput, failure } from '../core/errors.js';
import { readSafetensorsFile } from '../io/safetensors.js';
import type { Store } from '../store/store.js';
import { DEFAULT_OPTIONS } from './protocol/analyzer.js';
import { listAnalyzers, listCrossEpochAnalyzers, listRunAnalyzers } from './registry.js';

export interface ArtifactTensor { dtype: string; shape: number[]; data: number[] }

export interface StoredArtifact {
  run_id: string;
  analyzer: string;
  epoch: number;
  params: Record<string, unknown>;
  summary: unknown;
  path: string | null;
  metadata: Record<string, string> | null;
  tensors: Record<string, ArtifactTensor> | null;
}

const INTEGER_DTYPES = new Set(['I8', 'I16', 'I32', 'I64', 'U8', 'U16', 'U32', 'BOOL']);

export function readStoredArtifact(store: Store, runId: string, name: string, epoch?: number): StoredArtifact {
  const known = [...listAnalyzers(), ...listCrossEpochAnalyzers(), ...listRunAnalyzers()];
  const a = known.find((x) => x.name === name);
  const all = store.getAnalyses(runId, name);
  if (!a && all.length === 0) throw badInput(`unknown artifact ${name} (known: ${known.map((x) => x.name).join(', ')})`);
  if (all.length === 0) throw badInput(`run ${runId} has no ${name} results (run grokbench analyze ${runId})`);
  const epochs = [...new Set(all.map((r) => r.epoch))];
  const at = epoch ?? epochs[epochs.length - 1];
  const rows = all.filter((r) => r.epoch === at);
  if (rows.length === 0) {
    throw badInput(`run ${runId} has no ${name} result at epoch ${at} (${epochs.length} epochs analysed, ${epochs[0]}…${epochs[epochs.length - 1]})`);
  }
  const want = a ? JSON.stringify(a.params(DEFAULT_OPTIONS)) : null;
  const row = rows.find((r) => JSON.stringify(r.params) === want) ?? rows[rows.length - 1];
  const out: StoredArtifact = {
    run_id: runId, analyzer: name, epoch: at, params: row.params, summary: row.summary, path: row.path, metadata: null, tensors: null,
  };
  if (row.path !== null) {
    if (!existsSync(row.path)) throw failure(`the ${name} artifact of ${runId} at epoch ${at} is missing (${row.path}); run grokbench analyze ${runId}`);
    const f = readSafetensorsFile(row.path);
    out.metadata = f.metadata;
    out.tensors = {};
    for (const t of f.names()) {
      const { dtype, shape } = f.info(t);
      out.tensors[t] = { dtype, shape, data: Array.from(INTEGER_DTYPES.has(dtype) ? f.getInt32(t) : dtype === 'F64' ? f.getFloat64(t) : f.getFloat32(t)) };
    }
  }
  return out;
}
