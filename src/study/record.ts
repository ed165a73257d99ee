/**
 * A run's compact record: everything the cross-run study and `grokbench outcome --json` read about
 * one run, without its weights, so a study over many runs can be committed and rebuilt without the
 * store (a 30-run store is gigabytes; a record is a few hundred kB). One gzip'd JSON file per run,
 * `<run_id>.json.gz`, written atomically:
 *   - the run: id, p, seed, data seed, jitter, status, epochs, source and every setting (config);
 *   - split_sha256 (of split.json) and final_weights_sha256 (of the last checkpoint's float32
 *     parameters, in checkpoint order), so retraining the run on any machine can be checked;
 *   - the metrics of every epoch, exactly (float64 in JSON's shortest round-trip form);
 *   - per analysed checkpoint: the frequency fractions of the first LOW_K frequencies, the flat
 *     flags, the concentration and the dominant frequency of every neuron (float32 values as
 *     stored in the neuron_fourier artifacts, base64), from which the study's coarseness for
 *     K ≤ LOW_K is exactly the store's;
 *   - the embedding spectra (norms per frequency, key frequencies, Gini);
 *   - the outcome's key frequencies and viability (computed with the run's split);
 *   - where and how long it trained.
 * Reading a record gives the study the same StudyRunSource as the store (analysis/study.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { badInput } from '../core/errors.js';
import type { TrainConfig } from '../config/config.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { writeFileAtomic } from '../core/atomic.js';
import type { MetricRow, RunRow, Store } from '../store/store.js';
import { type DynamicsInput, dynamicsSummary, neuronDynamics } from '../analysis/dynamics.js';
import { epochConventionOf, runJitter, runOutcome, type RunOutcome } from '../metrics/outcome.js';
import { concentrationValues, readEmbeddingFourier, readNeuronFourier } from '../analysis/results.js';
import type { StudyRunSource } from './study.js';
import { runKeyFrequencies } from '../analysis/outcome.js';

export const RECORD_FORMAT = 'grokbench-run-record';
export const RECORD_VERSION = 1;
/** Frequencies whose fractions a record keeps per neuron: the study's coarseness for K ≤ 6 (its default maxK). */
export const LOW_K = 6;

export interface RunRecord {
  format: typeof RECORD_FORMAT;
  version: number;
  run: Pick<RunRow, 'run_id' | 'p' | 'seed' | 'data_seed' | 'epochs' | 'epochs_done' | 'status' | 'source' | 'engine'> & { jitter: number; config: TrainConfig };
  split_sha256: string;
  final_epoch: number | null;
  final_weights_sha256: string | null;
  trained: { wall_s: number; cpu: string; cores: number; recorded_at: string; created_at: string; updated_at: string };
  metrics: { epoch: number[]; train_loss: number[]; train_acc: number[]; test_loss: (number | null)[]; test_acc: (number | null)[] };
  neurons: { d_mlp: number; n_freq: number; low_k: number; epochs: number[]; frac: string; flat: string; concentration: string; dominant: string };
  embedding: { epoch: number; norms: number[]; key_frequencies: number[]; gini: number }[];
  key_frequencies: RunOutcome['key_frequencies'];
}

const b64 = (a: Float32Array | Int32Array | Uint8Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromB64<T>(s: string, make: (buf: ArrayBuffer) => T): T {
  const b = Buffer.from(s, 'base64');
  return make(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** The CPU this process runs on: vendor and model, from /proc/cpuinfo. */
export function cpuName(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return `${/vendor_id\s*:\s*(.*)/.exec(info)?.[1] ?? '?'} ${/model name\s*:\s*(.*)/.exec(info)?.[1] ?? os.cpus()[0]?.model ?? '?'}`;
  } catch { return os.cpus()[0]?.model ?? 'unknown CPU'; }
}

/** SHA-256 of a parameter vector's float32 bytes. */
export function weightsSha256(flat: Float32Array | Float64Array): string {
  const f = flat instanceof Float32Array ? flat : Float32Array.from(flat);
  return createHash('sha256').update(Buffer.from(f.buffer, f.byteOffset, f.byteLength)).digest('hex');
}

/** The record of a stored run (finished or not: the record says which). */
export function recordOfRun(store: Store, runId: string): RunRecord {
  const row = store.getRun(runId);
  if (!row) throw badInput(`no run ${runId} in store ${store.dir}`);
  const config = JSON.parse(row.config_json) as TrainConfig;
  const nf = readNeuronFourier(store, runId);
  const E = nf.epochs.length, m = nf.dMlp, lowK = Math.min(LOW_K, nf.nFreq);
  const frac = new Float32Array(E * lowK * m), flat = new Uint8Array(E * m), conc = new Float32Array(E * m), dom = new Int32Array(E * m);
  nf.epochs.forEach((e, i) => {
    frac.set(e.frac.subarray(0, lowK * m), i * lowK * m);
    flat.set(e.flat, i * m);
    conc.set(concentrationValues(e, nf.nFreq, m), i * m);
    dom.set(e.dominantFrequency, i * m);
  });
  const metrics = store.getMetrics(runId);
  const cps = store.listCheckpoints(runId);
  const last = cps.length ? cps.reduce((a, b) => (b.epoch > a.epoch ? b : a)) : null;
  const splitPath = join(store.runDir(runId), 'split.json');
  const created = Date.parse(row.created_at), updated = Date.parse(row.updated_at);
  return {
    format: RECORD_FORMAT, version: RECORD_VERSION,
    run: {
      run_id: row.run_id, p: row.p, seed: row.seed, data_seed: row.data_seed, jitter: runJitter(row), epochs: row.epochs,
      epochs_done: row.epochs_done, status: row.status, source: row.source, engine: row.engine, config,
    },
    split_sha256: existsSync(splitPath) ? createHash('sha256').update(readFileSync(splitPath)).digest('hex') : '',
    final_epoch: last ? last.epoch : null,
    final_weights_sha256: last ? weightsSha256(loadCheckpoint(last.path, config).params.flat) : null,
    trained: {
      wall_s: Number.isFinite(updated - created) ? Math.round((updated - created) / 100) / 10 : NaN, cpu: cpuName(), cores: os.availableParallelism(),
      recorded_at: new Date().toISOString(), created_at: row.created_at, updated_at: row.updated_at,
    },
    metrics: {
      epoch: metrics.map((x) => x.epoch), train_loss: metrics.map((x) => x.train_loss), train_acc: metrics.map((x) => x.train_acc),
      test_loss: metrics.map((x) => x.test_loss), test_acc: metrics.map((x) => x.test_acc),
    },
    neurons: { d_mlp: m, n_freq: nf.nFreq, low_k: lowK, epochs: nf.epochs.map((e) => e.epoch), frac: b64(frac), flat: b64(flat), concentration: b64(conc), dominant: b64(dom) },
    embedding: readEmbeddingFourier(store, runId).map((x) => ({ epoch: x.epoch, norms: Array.from(x.norms), key_frequencies: x.keyFrequencies, gini: x.gini })),
    key_frequencies: runKeyFrequencies(store, runId, row.p),
  };
}

export function recordFile(dir: string, runId: string): string { return join(dir, `${runId}.json.gz`); }

/** Writes the record atomically as DIR/<run_id>.json.gz (the bytes depend only on the record). */
export function writeRecord(dir: string, rec: RunRecord): string {
  mkdirSync(dir, { recursive: true });
  const path = recordFile(dir, rec.run.run_id);
  writeFileAtomic(path, gzipSync(Buffer.from(JSON.stringify(rec) + '\n', 'utf8'), { level: 9 }));
  return path;
}

/** Reads one record file; anything else is a one-line badInput. */
export function readRecord(path: string): RunRecord {
  let rec: RunRecord;
  try {
    rec = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as RunRecord;
  } catch (err) {
    throw badInput(`${path}: not a run record (${(err as Error).message.split('\n')[0]})`);
  }
  if (rec?.format !== RECORD_FORMAT) throw badInput(`${path}: not a run record (format ${JSON.stringify(rec?.format)})`);
  if (rec.version !== RECORD_VERSION) throw badInput(`${path}: run record version ${rec.version}, this grokbench reads ${RECORD_VERSION}`);
  return rec;
}

/** The run ids of the records in DIR (none when DIR does not exist). */
export function recordedRunIds(dir: string): Set<string> {
  if (!existsSync(dir)) return new Set();
  return new Set(readdirSync(dir).filter((f) => f.endsWith('.json.gz')).map((f) => f.slice(0, -'.json.gz'.length)));
}

/** Every record in DIR, by run id. */
export function readRecords(dir: string): RunRecord[] {
  if (!existsSync(dir)) throw badInput(`no records folder ${dir}`);
  return [...recordedRunIds(dir)].sort().map((id) => readRecord(recordFile(dir, id)));
}

/** The record's metrics as the store's rows. */
export function recordMetrics(rec: RunRecord): MetricRow[] {
  const x = rec.metrics;
  return x.epoch.map((epoch, i) => ({ epoch, train_loss: x.train_loss[i], train_acc: x.train_acc[i], test_loss: x.test_loss[i], test_acc: x.test_acc[i] }));
}

/** The study's source for the run, from its record: what studyRunSource reads from the store. */
export function recordStudySource(rec: RunRecord): StudyRunSource {
  const n = rec.neurons, m = n.d_mlp, lowK = n.low_k;
  const frac = fromB64(n.frac, (b) => new Float32Array(b)), flat = fromB64(n.flat, (b) => new Uint8Array(b));
  const conc = fromB64(n.concentration, (b) => new Float32Array(b)), dom = fromB64(n.dominant, (b) => new Int32Array(b));
  return {
    runId: rec.run.run_id, p: rec.run.p, seed: rec.run.seed, dataSeed: rec.run.data_seed, jitter: rec.run.jitter, epochs: rec.run.epochs,
    dMlp: m, nFreq: n.n_freq, lowK,
    checkpoints: n.epochs.map((epoch, i) => ({
      epoch,
      frac: frac.subarray(i * lowK * m, (i + 1) * lowK * m),
      flat: flat.subarray(i * m, (i + 1) * m),
      concentration: Float64Array.from(conc.subarray(i * m, (i + 1) * m)),
      dominant: dom.subarray(i * m, (i + 1) * m),
    })),
    metrics: recordMetrics(rec),
    embedding: rec.embedding.map((e) => ({ epoch: e.epoch, norms: Float64Array.from(e.norms), keyFrequencies: e.key_frequencies, gini: e.gini })),
  };
}

/** The record's neuron data as the frequency dynamics read it (dynamics.ts readDynamicsInput). */
export function recordDynamicsInput(rec: RunRecord): DynamicsInput {
  const n = rec.neurons;
  return {
    epochs: n.epochs, dMlp: n.d_mlp, nFreq: n.n_freq,
    maxFrac: fromB64(n.concentration, (b) => new Float32Array(b)), dominant: fromB64(n.dominant, (b) => new Int32Array(b)),
  };
}

/** One row of `grokbench outcome --json` from the run's record: the row the store gives, field for field. */
export function recordVariantRow(rec: RunRecord): {
  run_id: string; p: number; seed: number; data_seed: number; jitter: number; status: string; epochs_done: number;
  outcome: RunOutcome | null; dynamics: Record<string, unknown> | null;
} {
  const r = rec.run;
  const metrics = recordMetrics(rec);
  const input = recordDynamicsInput(rec);
  return {
    run_id: r.run_id, p: r.p, seed: r.seed, data_seed: r.data_seed, jitter: r.jitter, status: r.status, epochs_done: r.epochs_done,
    outcome: metrics.length ? { ...runOutcome(metrics, epochConventionOf(r)), key_frequencies: rec.key_frequencies } : null,
    dynamics: input.epochs.length ? dynamicsSummary(neuronDynamics(input)) : null,
  };
}
