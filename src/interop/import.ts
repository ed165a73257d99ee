/**
 * `grokbench import`: runs trained elsewhere, turned into runs of the store that `analyze` and
 * `report` treat like any other.
 *
 * Two kinds of input:
 *  (a) safetensors checkpoint files (TransformerLens names; F32, F16, BF16 or F64; the buffers
 *      `blocks.0.attn.mask` / `IGNORE` ignored) that together become one run. Each file's epoch
 *      is its metadata `epoch`, else the number in its name; its step is metadata `step`, else
 *      the epoch. Metrics come from `--metrics metrics.csv`, and with `--split` the train/test
 *      loss and accuracy of every checkpoint are computed here.
 *  (b) MIScope variant folders, or a folder of them (src/interop/miscope.ts): each becomes a run
 *      with its checkpoints, per-epoch losses, split and settings; accuracies (and losses, as a
 *      check against MIScope's records) are computed at every checkpoint. The epoch is MIScope's
 *      label e; the checkpoint's step is e + 1 (MIScope saves after the optimiser step).
 *
 * Everything is read and validated (`planImport`) before the store is opened, so bad input
 * leaves the store untouched. Writing a run (`executeImport`) stages its files in a hidden
 * folder of the store, renames it into place and then adds the run, its metrics and its
 * checkpoint index to SQLite in one transaction.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { badInput, failure } from '../core/errors.js';
import { type Split, makeSplit, readSplitFile } from '../data/dataset.js';
import type { Kernels } from '../engine/kernels.js';
import { DEFAULTS, type ModelConfig, type TrainConfig } from '../config/config.js';
import { type LoadedCheckpoint, inferModelConfig, paramsFromSafetensors, saveCheckpoint } from '../model/checkpoint.js';
import { Workspace, computeTables, evaluate, makeBatch } from '../model/model.js';
import { PARAM_NAMES } from '../model/params.js';
import { fsyncDir, removeStaleTempDirs, writeFileAtomic } from '../core/atomic.js';
import { RunFolderStore } from '../store/run-folder.js';
import { type MiscopeVariant, findMiscopeVariants, miscopeRunId, readMiscopeVariant } from './miscope.js';
import { readSafetensorsFile } from '../io/safetensors.js';
import { type CheckpointInput, type MetricRow, type RunRow, type Store, checkRunId } from '../store/store.js';
import { grokkingTimes } from '../metrics/grokking.js';

/** The dtypes accepted for parameters. */
const PARAM_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

export interface ImportCheckpoint {
  /** The file it comes from. */
  source: string;
  epoch: number;
  step: number;
  label: string;
}

/** A validated run to import: everything needed to write it, nothing written yet. */
export interface ImportPlan {
  runId: string;
  source: 'import' | 'miscope';
  config: TrainConfig;
  /** Whether the config's seeds are known (else they are -1). */
  seedKnown: boolean;
  split: Split | null;
  /** Metrics known before evaluation (MIScope's losses, or metrics.csv). */
  metrics: MetricRow[];
  checkpoints: ImportCheckpoint[];
  /** Extra facts for run.json's `import` block. */
  origin: Record<string, unknown>;
}

export interface ImportOptions {
  /** --metrics: a CSV of per-epoch metrics (checkpoint files only). */
  metrics?: string;
  /** --split: a split file (checkpoint files only). */
  split?: string;
  /** --name: the run id (one run only). */
  name?: string;
}

export interface ImportResult {
  run_id: string;
  source: 'import' | 'miscope';
  p: number;
  seed: number;
  data_seed: number;
  epochs: number;
  checkpoints: number;
  first_epoch: number;
  last_epoch: number;
  memorise_epoch: number | null;
  grok_epoch: number | null;
  /** At the last checkpoint (null without a split). */
  final_train_acc: number | null;
  final_test_acc: number | null;
  /** MIScope only: the largest |loss computed here − loss MIScope recorded| at the checkpoints. */
  loss_check: {
    test_max_abs_diff: number; train_max_abs_diff: number | null;
    tolerance: { abs: number; rel: number }; within_tolerance: boolean;
  } | null;
  /** MIScope only: whether the recorded split equals torch's randperm split of the data seed. */
  split_matches_data_seed: boolean | null;
  dir: string;
}

// ---- reading and validating ---------------------------------------------------------------------

/**
 * Read one checkpoint file: parameter names, dtypes, shapes (against `config` if given) and
 * values are checked. Returns the parameters and the file's metadata.
 */
export function readImportCheckpoint(path: string, config?: ModelConfig): LoadedCheckpoint {
  const f = readSafetensorsFile(path);
  for (const name of PARAM_NAMES) {
    if (!f.has(name)) continue;
    const { dtype } = f.info(name);
    if (!PARAM_DTYPES.has(dtype)) throw badInput(`${path}: tensor ${name} has dtype ${dtype}; parameters must be F32, F16, BF16 or F64`);
  }
  return paramsFromSafetensors(f, path, config ?? inferModelConfig(f, path));
}

const sameShape = (a: ModelConfig, b: ModelConfig): boolean =>
  a.p === b.p && a.dModel === b.dModel && a.nHeads === b.nHeads && a.dHead === b.dHead && a.dMlp === b.dMlp;

const describeShape = (c: ModelConfig): string =>
  `p=${c.p}, d_model=${c.dModel}, n_heads=${c.nHeads}, d_head=${c.dHead}, d_mlp=${c.dMlp}`;

/** Parse metrics CSV (`grokbench metrics --csv` form: epoch,train_loss,train_acc,test_loss,test_acc). */
export function parseMetricsCsv(text: string, source: string): MetricRow[] {
  const lines = text.split(/\r?\n/);
  const KNOWN = ['epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc'];
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) throw badInput(`${source}: empty metrics file`);
  const header = lines[headerAt].split(',').map((h) => h.trim().toLowerCase());
  for (const h of header) {
    if (!KNOWN.includes(h)) throw badInput(`${source}: unknown column ${JSON.stringify(h)} (expected ${KNOWN.join(', ')})`);
  }
  if (!header.includes('epoch')) throw badInput(`${source}: no epoch column`);
  if (header.length < 2) throw badInput(`${source}: no metric columns beside epoch`);
  if (new Set(header).size !== header.length) throw badInput(`${source}: a column appears twice in the header`);
  const rows: MetricRow[] = [];
  const seen = new Set<number>();
  for (let i = headerAt + 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = lines[i].split(',').map((c) => c.trim());
    if (cells.length !== header.length) throw badInput(`${source}: line ${i + 1} has ${cells.length} fields, the header ${header.length}`);
    const row: MetricRow = { epoch: -1, train_loss: NaN, train_acc: NaN, test_loss: null, test_acc: null };
    header.forEach((h, j) => {
      const c = cells[j];
      if (h === 'epoch') {
        if (!/^\d+$/.test(c)) throw badInput(`${source}: line ${i + 1}: epoch ${JSON.stringify(c)} is not a non-negative integer`);
        row.epoch = Number(c);
        return;
      }
      let v: number | null = null;
      if (c !== '' && c.toLowerCase() !== 'nan') {
        v = Number(c);
        if (!Number.isFinite(v)) throw badInput(`${source}: line ${i + 1}: ${h} ${JSON.stringify(c)} is not a number`);
        if (h.endsWith('_acc') && (v < 0 || v > 1)) throw badInput(`${source}: line ${i + 1}: ${h} ${v} is not between 0 and 1`);
      }
      if (h === 'train_loss') row.train_loss = v ?? NaN;
      else if (h === 'train_acc') row.train_acc = v ?? NaN;
      else if (h === 'test_loss') row.test_loss = v;
      else row.test_acc = v;
    });
    if (seen.has(row.epoch)) throw badInput(`${source}: line ${i + 1}: epoch ${row.epoch} appears twice`);
    seen.add(row.epoch);
    rows.push(row);
  }
  if (rows.length === 0) throw badInput(`${source}: no rows below the header`);
  return rows.sort((a, b) => a.epoch - b.epoch);
}

/** The epoch of a checkpoint file: metadata `epoch`, else the last number in its name. */
function epochOf(path: string, metadata: Record<string, string>, single: boolean): number {
  const m = metadata.epoch;
  if (m !== undefined) {
    if (!/^\d+$/.test(m.trim())) throw badInput(`${path}: metadata epoch ${JSON.stringify(m)} is not a non-negative integer`);
    return Number(m);
  }
  const nums = basename(path).replace(/\.safetensors$/i, '').match(/\d+/g);
  if (nums) return Number(nums[nums.length - 1]);
  if (single) return 0;
  throw badInput(`${path}: cannot tell its epoch (no "epoch" in its metadata and no number in its name)`);
}

/** Seeds and settings a grokbench checkpoint records in its metadata `config` (if any). */
function recordedConfig(metadata: Record<string, string>): Partial<TrainConfig> {
  try {
    const c = metadata.config ? (JSON.parse(metadata.config) as Partial<TrainConfig>) : {};
    return c !== null && typeof c === 'object' ? c : {};
  } catch {
    return {};
  }
}

/** Plan the import of checkpoint files as one run. */
export function planCheckpointFiles(paths: string[], opts: ImportOptions): ImportPlan {
  let shapes: ModelConfig | undefined;
  let first = '';
  let recorded: Partial<TrainConfig> = {};
  const hash = createHash('sha256');
  const checkpoints: ImportCheckpoint[] = [];
  const byEpoch = new Map<number, string>();
  for (const path of paths) {
    const loaded = readImportCheckpoint(path);
    if (!shapes) {
      shapes = loaded.config;
      first = path;
      recorded = recordedConfig(loaded.metadata);
    } else if (!sameShape(shapes, loaded.config)) {
      throw badInput(`${path}: its shapes (${describeShape(loaded.config)}) differ from ${first} (${describeShape(shapes)})`);
    }
    const epoch = epochOf(path, loaded.metadata, paths.length === 1);
    if (byEpoch.has(epoch)) throw badInput(`${path}: epoch ${epoch} again (also ${byEpoch.get(epoch)})`);
    byEpoch.set(epoch, path);
    const stepText = loaded.metadata.step;
    const step = stepText !== undefined && /^\d+$/.test(stepText.trim()) ? Number(stepText) : epoch;
    checkpoints.push({ source: resolve(path), epoch, step, label: basename(path) });
    hash.update(createHash('sha256').update(readFileSync(path)).digest());
  }
  const model = shapes!;
  checkpoints.sort((a, b) => a.epoch - b.epoch);
  const split = opts.split ? readSplitFile(opts.split, model.p) : null;
  const metrics = opts.metrics ? parseMetricsCsv(readText(opts.metrics, 'metrics file'), opts.metrics) : [];
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);
  const seed = num(recorded.seed);
  const dataSeed = num(recorded.dataSeed);
  const lastEpoch = checkpoints[checkpoints.length - 1].epoch;
  const epochs = Math.max(lastEpoch, metrics.length ? metrics[metrics.length - 1].epoch : 0);
  const config: TrainConfig = {
    ...DEFAULTS, ...model, seed: seed ?? -1, dataSeed: dataSeed ?? -1,
    fracTrain: split ? split.train.length / (model.p * model.p) : (typeof recorded.fracTrain === 'number' ? recorded.fracTrain : DEFAULTS.fracTrain),
    epochs, splitFile: opts.split ? resolve(opts.split) : null, initFrom: null,
  };
  const runId = opts.name ?? `import-p${model.p}-${hash.digest('hex').slice(0, 8)}`;
  checkRunId(runId);
  return {
    runId, source: 'import', config, seedKnown: seed !== null, split, metrics, checkpoints,
    origin: {
      files: checkpoints.map((c) => c.source),
      metrics_file: opts.metrics ? resolve(opts.metrics) : null,
      split_file: opts.split ? resolve(opts.split) : null,
      epoch_convention: 'epoch from each file\'s metadata "epoch" or the number in its name; step from metadata "step", else the epoch',
    },
  };
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(`${path}: no such ${what}`);
    throw badInput(`${path}: cannot read ${what} (${code ?? 'unknown error'})`);
  }
}

/** Plan the import of one MIScope variant folder; every checkpoint is read and checked. */
export function planMiscopeVariant(v: MiscopeVariant, name?: string): ImportPlan {
  const s = v.settings;
  let model: ModelConfig | undefined;
  for (const cp of v.checkpoints) {
    const f = readImportCheckpoint(cp.path);
    const c = f.config;
    const want = { p: s.p, d_model: s.dModel, n_heads: s.nHeads, d_head: s.dHead, d_mlp: s.dMlp };
    const got = { p: c.p, d_model: c.dModel, n_heads: c.nHeads, d_head: c.dHead, d_mlp: c.dMlp };
    for (const k of Object.keys(want) as (keyof typeof want)[]) {
      if (want[k] !== null && want[k] !== got[k]) {
        throw badInput(`${cp.path}: its shapes give ${k}=${got[k]} but config.json says ${k}=${want[k]} (${describeShape(c)})`);
      }
    }
    if (model && !sameShape(model, c)) {
      throw badInput(`${cp.path}: its shapes (${describeShape(c)}) differ from ${v.checkpoints[0].path} (${describeShape(model)})`);
    }
    model = { ...c, act: s.act };
  }
  const m = model!;
  const metrics: MetricRow[] = [];
  for (let e = 0; e < v.numEpochs; e++) {
    const te = v.testLosses[e];
    metrics.push({ epoch: e, train_loss: v.trainLosses[e], train_acc: NaN, test_loss: Number.isNaN(te) ? null : te, test_acc: null });
  }
  const fracTrain = s.fracTrain ?? v.split.train.length / (m.p * m.p);
  const config: TrainConfig = {
    ...DEFAULTS, ...m, seed: s.seed ?? -1, dataSeed: s.dataSeed ?? -1, fracTrain, epochs: v.numEpochs,
    splitFile: null, initFrom: null,
  };
  const runId = name ?? miscopeRunId(v);
  checkRunId(runId);
  let splitMatches: boolean | null = null;
  if (s.dataSeed !== null && s.dataSeed <= 0xffffffff) {
    const nTrain = Math.floor(m.p * m.p * fracTrain);
    if (nTrain === v.split.train.length && nTrain >= 1 && nTrain < m.p * m.p) {
      const mine = makeSplit(m.p, fracTrain, s.dataSeed);
      splitMatches = mine.train.every((x, i) => x === v.split.train[i]) && mine.test.every((x, i) => x === v.split.test[i]);
    } else splitMatches = false;
  }
  return {
    runId, source: 'miscope', config, seedKnown: s.seed !== null, split: v.split, metrics,
    checkpoints: v.checkpoints.map((cp) => ({
      source: resolve(cp.path), epoch: cp.label, step: cp.label + 1, label: basename(cp.path, '.safetensors'),
    })),
    origin: {
      folder: resolve(v.dir),
      split: 'split.json beside this file (train_indices, test_indices as MIScope recorded them)',
      miscope_config: v.rawConfig,
      miscope_checkpoint_epochs: v.listedCheckpointEpochs,
      split_matches_data_seed: splitMatches,
      epoch_convention:
        "epoch = MIScope's label e. The checkpoint of epoch e and test_loss[e] hold the weights after e + 1 optimiser steps " +
        '(step = e + 1); train_loss[e] was computed before that step (after e steps). Accuracies are computed here from the checkpoints.',
      not_recorded: 'lr, wd, beta1, beta2, eps, trainBiases: not in MIScope\'s files; its code uses AdamW lr 1e-3, wd 1, betas (0.9, 0.98), frozen biases (grokbench\'s defaults); checkpointEvery: MIScope uses a schedule (see miscope_checkpoint_epochs)',
    },
  };
}

/**
 * Plan an import from the command line's paths: checkpoint files become one run, each MIScope
 * variant folder (or each variant in a folder of them) a run of its own. Reads and validates
 * everything; writes nothing.
 */
export function planImport(paths: string[], opts: ImportOptions = {}): ImportPlan[] {
  if (paths.length === 0) throw badInput('import needs at least one checkpoint file or MIScope folder');
  const files: string[] = [];
  const variants: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw badInput(`${p}: ${code === 'ENOENT' ? 'no such file or folder' : `cannot read (${code ?? 'unknown error'})`}`);
    }
    if (st.isDirectory()) variants.push(...findMiscopeVariants(p));
    else if (st.isFile() && /\.safetensors$/i.test(p)) files.push(p);
    else throw badInput(`${p}: neither a .safetensors checkpoint file nor a folder`);
  }
  if (variants.length > 0 && (opts.split || opts.metrics)) {
    throw badInput('--split and --metrics apply to checkpoint files; a MIScope folder carries its own split and losses');
  }
  const nRuns = (files.length > 0 ? 1 : 0) + variants.length;
  if (opts.name !== undefined && nRuns !== 1) throw badInput(`--name names one run, but the paths make ${nRuns}`);
  const plans: ImportPlan[] = [];
  if (files.length > 0) plans.push(planCheckpointFiles(files, opts));
  const seenDirs = new Set<string>();
  for (const dir of variants) {
    const abs = resolve(dir);
    if (seenDirs.has(abs)) continue;
    seenDirs.add(abs);
    plans.push(planMiscopeVariant(readMiscopeVariant(dir), opts.name));
  }
  const ids = new Map<string, string>();
  for (const pl of plans) {
    const where = pl.source === 'miscope' ? String(pl.origin.folder) : 'the checkpoint files';
    if (ids.has(pl.runId)) throw badInput(`two imports would both be run ${pl.runId} (${ids.get(pl.runId)} and ${where}); import them separately with --name`);
    ids.set(pl.runId, where);
  }
  return plans;
}

// ---- writing ------------------------------------------------------------------------------------

/** Fail (bad input) if any planned run id is already in the store. */
export function checkNotInStore(store: Store, plans: ImportPlan[]): void {
  for (const pl of plans) {
    if (store.getRun(pl.runId)) throw badInput(`run ${pl.runId} already exists in store ${store.dir} (use --name for another id)`);
  }
}

export interface ImportProgress { runId: string; done: number; total: number }

/**
 * How closely the losses computed here from MIScope's checkpoints must reproduce the losses it
 * recorded: |computed − recorded| ≤ abs + rel·|recorded| at every checkpoint (test loss of label
 * e, and train loss of label e + 1). The same weights in float32 agree to ~1e-7 (the PyTorch
 * fixture); one optimiser step early in training, a different split, activation or convention
 * change the losses by far more.
 */
export const LOSS_TOLERANCE = { abs: 1e-4, rel: 1e-4 } as const;

/** The worst recorded-vs-computed loss of an import, relative to LOSS_TOLERANCE. */
export interface LossMismatch { kind: 'test' | 'train'; epoch: number; recorded: number; computed: number }

/** A run written to a hidden staging folder of the store, not yet visible: commit or discard it. */
export interface StagedImport {
  readonly plan: ImportPlan;
  /** The worst loss disagreement beyond LOSS_TOLERANCE, if any (MIScope folders only). */
  readonly mismatch: LossMismatch | null;
  /** Move the staged folder into place and add the run to SQLite in one transaction. */
  commit(): ImportResult;
  /** Remove the staged folder and release the run's lock (harmless after commit). */
  discard(): void;
}

/** One line describing a loss mismatch, for errors and warnings. */
export function describeMismatch(id: string, m: LossMismatch): string {
  const d = Math.abs(m.computed - m.recorded);
  return `run ${id}: the ${m.kind} loss computed from the checkpoint of epoch ${m.epoch} is ${m.computed.toExponential(6)}, ` +
    `MIScope recorded ${m.recorded.toExponential(6)} (difference ${d.toExponential(2)}, tolerance ` +
    `${LOSS_TOLERANCE.abs} + ${LOSS_TOLERANCE.rel}·|recorded|)`;
}

/**
 * Write one planned run into the store; with `force`, even if its recorded losses are not
 * reproduced (a failure, exit 1, otherwise: nothing is imported).
 */
export function executeImport(store: Store, k: Kernels, plan: ImportPlan, engine: string,
  onProgress?: (p: ImportProgress) => void, opts: { force?: boolean } = {}): ImportResult {
  const staged = stageImport(store, k, plan, engine, onProgress);
  try {
    if (staged.mismatch && !opts.force) {
      throw failure(`${describeMismatch(plan.runId, staged.mismatch)}; nothing imported (--force imports it anyway)`);
    }
    return staged.commit();
  } finally {
    staged.discard();
  }
}

/**
 * An imported run's metrics with its checkpoints' own evaluation: MIScope's recorded losses are
 * compared with the losses grokbench computes from the same weights (the largest differences and
 * the worst one beyond LOSS_TOLERANCE kept), and what the source did not record is filled in.
 */
class ImportedMetrics {
  private readonly metrics: Map<number, MetricRow>;
  private testDiff = 0;
  private trainDiff = 0;
  private trainCompared = 0;
  private worst: { ratio: number; m: LossMismatch } | null = null;
  /** The last checkpoint's accuracies. */
  finalAcc: { train: number; test: number } | null = null;

  constructor(private readonly plan: ImportPlan) {
    this.metrics = new Map(plan.metrics.map((r) => [r.epoch, { ...r }]));
  }

  private compare(kind: 'test' | 'train', epoch: number, recorded: number, computed: number): number {
    const d = Math.abs(recorded - computed);
    const ratio = d / (LOSS_TOLERANCE.abs + LOSS_TOLERANCE.rel * Math.abs(recorded));
    if (!(ratio <= 1) && (this.worst === null || !(ratio <= this.worst.ratio))) this.worst = { ratio, m: { kind, epoch, recorded, computed } };
    return d;
  }

  /** The evaluation of the checkpoint at epoch on both splits. */
  add(epoch: number, tr: { loss: number; acc: number }, te: { loss: number; acc: number }): void {
    const metrics = this.metrics;
    this.finalAcc = { train: tr.acc, test: te.acc };
    if (this.plan.source === 'miscope') {
      // MIScope: test_loss[e] is these weights' test loss; train_loss[e + 1] their train loss.
      const rec = metrics.get(epoch);
      if (rec?.test_loss != null) this.testDiff = Math.max(this.testDiff, this.compare('test', epoch, rec.test_loss, te.loss));
      const next = metrics.get(epoch + 1);
      if (next && Number.isFinite(next.train_loss)) {
        this.trainDiff = Math.max(this.trainDiff, this.compare('train', epoch, next.train_loss, tr.loss));
        this.trainCompared++;
      }
      const row = rec ?? { epoch, train_loss: NaN, train_acc: NaN, test_loss: te.loss, test_acc: null };
      row.train_acc = tr.acc;
      row.test_acc = te.acc;
      metrics.set(epoch, row);
    } else {
      const row = metrics.get(epoch) ?? { epoch, train_loss: NaN, train_acc: NaN, test_loss: null, test_acc: null };
      if (!Number.isFinite(row.train_loss)) row.train_loss = tr.loss;
      if (!Number.isFinite(row.train_acc)) row.train_acc = tr.acc;
      row.test_loss ??= te.loss;
      row.test_acc ??= te.acc;
      metrics.set(epoch, row);
    }
  }

  rows(): MetricRow[] {
    return [...this.metrics.values()].sort((a, b) => a.epoch - b.epoch);
  }

  /** The worst recorded loss beyond tolerance, or null. */
  mismatch(): LossMismatch | null {
    return this.worst?.m ?? null;
  }

  /** The loss check of a MIScope import with its split (null otherwise). */
  lossCheck() {
    return this.plan.source === 'miscope' && this.plan.split
      ? { test_max_abs_diff: this.testDiff, train_max_abs_diff: this.trainCompared > 0 ? this.trainDiff : null,
        tolerance: { ...LOSS_TOLERANCE }, within_tolerance: this.mismatch() === null } : null;
  }
}

/**
 * Read, evaluate and write one planned run into a staging folder of the store (see the module
 * comment for the order of writes), holding the run's lock until it is committed or discarded.
 */
export function stageImport(store: Store, k: Kernels, plan: ImportPlan, engine: string,
  onProgress?: (p: ImportProgress) => void): StagedImport {
  const id = plan.runId;
  const lock = store.lockRun(id);
  let staging: string | null = null;
  const discard = (): void => {
    if (staging !== null) rmSync(staging, { recursive: true, force: true });
    staging = null;
    lock.release();
  };
  try {
    if (store.getRun(id)) throw badInput(`run ${id} already exists in store ${store.dir}`);
    const runsDir = join(store.dir, 'runs');
    removeStaleTempDirs(runsDir); // left by an import that was killed midway
    staging = join(runsDir, `.import-${id}.${process.pid}.${Date.now().toString(36)}.tmp`);
    mkdirSync(join(staging, 'checkpoints'), { recursive: true });
    const dir = staging;
    const cfg = plan.config;
    const trainB = plan.split ? makeBatch(cfg.p, plan.split.train) : null;
    const testB = plan.split ? makeBatch(cfg.p, plan.split.test) : null;
    const check = new ImportedMetrics(plan);
    const cpRows: CheckpointInput[] = [];
    let ws: Workspace | null = null;
    plan.checkpoints.forEach((cp, i) => {
      const loaded = readImportCheckpoint(cp.source, cfg);
      const params = loaded.params;
      if (trainB && testB) {
        ws ??= new Workspace(k, params, Math.max(trainB.n, testB.n));
        const tables = computeTables(k, params);
        const tr = evaluate(k, params, tables, trainB, ws);
        const te = evaluate(k, params, tables, testB, ws);
        check.add(cp.epoch, tr, te);
      }
      const name = `epoch-${String(cp.epoch).padStart(6, '0')}.safetensors`;
      saveCheckpoint(join(dir, 'checkpoints', name), params, {
        format: 'grokbench-checkpoint', run_id: id, epoch: String(cp.epoch), step: String(cp.step), label: cp.label,
        source: plan.source, imported_from: cp.source, config: JSON.stringify(cfg),
      });
      cpRows.push({ epoch: cp.epoch, step: cp.step, label: cp.label, path: store.checkpointPath(id, cp.epoch) });
      onProgress?.({ runId: id, done: i + 1, total: plan.checkpoints.length });
    });
    const rows = check.rows();
    const times = grokkingTimes(rows);
    const mismatch = check.mismatch();
    const lossCheck = check.lossCheck();
    if (plan.split) {
      writeFileAtomic(join(dir, 'split.json'),
        JSON.stringify({ train_indices: Array.from(plan.split.train), test_indices: Array.from(plan.split.test) }));
    }
    const runJson = {
      run_id: id, ...cfg, engine,
      import: { source: plan.source, seed_known: plan.seedKnown, checkpoints: plan.checkpoints.length, loss_check: lossCheck, ...plan.origin },
    };
    writeFileAtomic(join(dir, 'run.json'), JSON.stringify(runJson, null, 2) + '\n');
    const commit = (): ImportResult => {
      if (staging === null) throw failure(`import of ${id} was discarded`);
      const finalDir = store.runDir(id);
      try {
        // A folder left by an import that was killed before its database commit has no run row: replace it.
        rmSync(finalDir, { recursive: true, force: true });
        renameSync(dir, finalDir);
        staging = null;
        fsyncDir(runsDir);
      } catch (err) {
        throw failure(`importing ${id}: cannot move ${dir} to ${finalDir}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
      let row: RunRow;
      try {
        row = store.createRunWith({
          run_id: id, p: cfg.p, seed: cfg.seed, data_seed: cfg.dataSeed, epochs: cfg.epochs, epochs_done: cfg.epochs,
          status: 'imported', config_json: JSON.stringify(cfg), engine, source: plan.source,
          memorise_epoch: times.memorise_epoch, grok_epoch: times.grok_epoch,
        }, rows, cpRows);
      } catch (err) {
        rmSync(finalDir, { recursive: true, force: true });
        throw err;
      }
      // Its folder holds what grokbench repair needs to rebuild the row (as every trained run's does).
      new RunFolderStore(store.dir).seedFrom(store, id);
      const cps = plan.checkpoints;
      const fin = check.finalAcc;
      return {
        run_id: id, source: plan.source, p: row.p, seed: row.seed, data_seed: row.data_seed, epochs: row.epochs,
        checkpoints: cps.length, first_epoch: cps[0].epoch, last_epoch: cps[cps.length - 1].epoch,
        memorise_epoch: row.memorise_epoch, grok_epoch: row.grok_epoch,
        final_train_acc: fin?.train ?? null, final_test_acc: fin?.test ?? null,
        loss_check: lossCheck, split_matches_data_seed: (plan.origin.split_matches_data_seed as boolean | null | undefined) ?? null,
        dir: finalDir,
      };
    };
    return { plan, mismatch, commit, discard };
  } catch (err) {
    discard();
    if (err instanceof Error && err.name === 'GrokbenchError') throw err;
    throw failure(`importing ${id}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
}
