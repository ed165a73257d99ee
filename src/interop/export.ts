/**
 * `grokbench export --miscope DIR`: runs of the store written as MIScope variant folders, so the
 * researcher opens them in their own workbench (training-dynamics-workbench). DIR is MIScope's
 * results folder: each run becomes
 *
 *   DIR/modulo_addition_1layer/modulo_addition_1layer_p{P}_seed{SEED}_dseed{DATA_SEED}/
 *     checkpoints/checkpoint_epoch_NNNNN.safetensors   the state dict as TransformerLens saves it:
 *         the parameters (TransformerLens names, F32) and the buffers blocks.0.attn.mask (BOOL,
 *         lower-triangular n_ctx × n_ctx) and blocks.0.attn.IGNORE (F32 scalar −inf, TransformerLens 2.x)
 *     metadata.json   train_losses, test_losses (num_epochs each), train_indices, test_indices,
 *                     checkpoint_epochs, num_epochs (as MIScope's Variant.train writes it)
 *     config.json     MIScope's build_config_dict keys, plus a `grokbench` block (run id, every
 *                     setting, the epoch convention)
 *
 * Epochs are converted to MIScope's label convention (src/interop/miscope.ts): MIScope's label L
 * holds the weights after L + 1 optimiser steps, train_losses[L] is the train loss of the weights
 * after L steps and test_losses[L] the test loss after L + 1 steps. So grokbench's epoch e (after e
 * steps) is label e − 1: its checkpoint is checkpoint_epoch_{e−1}, train_losses[e] = train loss of
 * epoch e, test_losses[e − 1] = test loss of epoch e. Epoch 0 (the initial weights) has no label
 * and is not exported. A run imported from MIScope keeps its labels. `grokbench import` of an
 * export gives back the same weights (by step) and losses.
 *
 * Everything is read and checked before anything is written; each variant folder is staged
 * beside its final place and renamed into it; an existing folder is never overwritten.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { badInput, failure } from '../core/errors.js';
import { DEFAULTS, type TrainConfig } from '../config/config.js';
import { loadCheckpoint, paramTensors } from '../model/checkpoint.js';
import { fsyncDir, removeStaleTempDirs, writeFileAtomic } from '../core/atomic.js';
import { writeSafetensorsFile } from '../io/safetensors.js';
import type { Store } from '../store/store.js';

/** MIScope's family of this model and its variant folder pattern (model_families/modulo_addition_1layer/family.json). */
export const MISCOPE_FAMILY = 'modulo_addition_1layer';
export const MISCOPE_ARCHITECTURE = { n_layers: 1, n_heads: 4, d_model: 128, d_head: 32, d_mlp: 512, act_fn: 'relu', normalization_type: null, n_ctx: 3 } as const;

export function miscopeVariantName(p: number, seed: number, dataSeed: number): string {
  return `${MISCOPE_FAMILY}_p${p}_seed${seed}_dseed${dataSeed}`;
}

interface PlannedCheckpoint { label: number; source: string }

/** One run to export, checked; nothing written yet. */
export interface ExportPlan {
  runId: string;
  dir: string;
  name: string;
  config: TrainConfig;
  metadata: {
    train_losses: number[]; test_losses: number[]; train_indices: number[]; test_indices: number[];
    checkpoint_epochs: number[]; num_epochs: number;
  };
  checkpoints: PlannedCheckpoint[];
  /** Facts the user should know (e.g. an architecture MIScope's family does not build). */
  warnings: string[];
}

export interface ExportResult { run_id: string; folder: string; checkpoints: number; num_epochs: number; warnings: string[] }

function readSplit(path: string, runId: string): { train_indices: number[]; test_indices: number[] } {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw badInput(`run ${runId} has no readable split.json (${path}); MIScope needs the split`);
  }
  const s = v as { train_indices?: unknown; test_indices?: unknown };
  const ints = (x: unknown): x is number[] => Array.isArray(x) && x.every((i) => Number.isSafeInteger(i));
  if (!ints(s.train_indices) || !ints(s.test_indices)) throw badInput(`run ${runId}: ${path} does not hold train_indices and test_indices`);
  return { train_indices: s.train_indices, test_indices: s.test_indices };
}

/** Check one run and gather what its variant folder needs. */
export function planRunExport(store: Store, runId: string, outDir: string): ExportPlan {
  const row = store.resolveRun(runId);
  const id = row.run_id;
  if (row.source !== 'grokbench' && row.source !== 'miscope') {
    throw badInput(`run ${id} was imported from bare checkpoint files (source ${row.source}); only runs trained here or imported from MIScope can be exported`);
  }
  if (row.source === 'grokbench' && (row.status !== 'done' || row.epochs_done < row.epochs)) {
    throw badInput(`run ${id} is not finished (${row.epochs_done} of ${row.epochs} epochs, status ${row.status}); MIScope's folders hold finished runs`);
  }
  const config = { ...DEFAULTS, ...(JSON.parse(row.config_json) as Partial<TrainConfig>) };
  if (!(config.seed >= 0) || !(config.dataSeed >= 0)) throw badInput(`run ${id}: its seed or data seed is unknown; MIScope names a variant by both`);
  // grokbench's epoch e is MIScope's label e − 1; a MIScope import already has MIScope's labels.
  const shift = row.source === 'grokbench' ? 1 : 0;
  const numEpochs = row.epochs;
  const byEpoch = new Map(store.getMetrics(id).map((m) => [m.epoch, m]));
  const train_losses: number[] = [], test_losses: number[] = [];
  for (let L = 0; L < numEpochs; L++) {
    const tr = byEpoch.get(L)?.train_loss;
    const te = byEpoch.get(L + shift)?.test_loss;
    if (tr === undefined || !Number.isFinite(tr)) throw badInput(`run ${id} has no train loss for epoch ${L}; MIScope needs one per epoch`);
    if (te === undefined || te === null || !Number.isFinite(te)) {
      throw badInput(`run ${id} has no test loss for epoch ${L + shift}` +
        `${config.evalEvery > 1 ? ` (it evaluated every ${config.evalEvery} epochs)` : ''}; MIScope needs one per epoch`);
    }
    train_losses.push(tr);
    test_losses.push(te);
  }
  const checkpoints: PlannedCheckpoint[] = [];
  for (const cp of store.listCheckpoints(id)) {
    const label = cp.epoch - shift;
    if (label < 0 || label >= numEpochs) continue; // the initial weights have no MIScope label
    checkpoints.push({ label, source: cp.path });
  }
  if (checkpoints.length === 0) throw badInput(`run ${id} has no checkpoint after its initial weights`);
  const split = readSplit(join(store.runDir(id), 'split.json'), id);
  const name = miscopeVariantName(config.p, config.seed, config.dataSeed);
  const dir = join(resolve(outDir), MISCOPE_FAMILY, name);
  if (existsSync(dir)) throw badInput(`${dir} already exists; export into another --miscope folder (nothing is overwritten)`);
  const warnings: string[] = [];
  const a = MISCOPE_ARCHITECTURE;
  if (config.nHeads !== a.n_heads || config.dModel !== a.d_model || config.dHead !== a.d_head || config.dMlp !== a.d_mlp) {
    warnings.push(`run ${id}: MIScope's ${MISCOPE_FAMILY} family builds d_model=${a.d_model}, n_heads=${a.n_heads}, d_head=${a.d_head}, d_mlp=${a.d_mlp}; ` +
      `this run has d_model=${config.dModel}, n_heads=${config.nHeads}, d_head=${config.dHead}, d_mlp=${config.dMlp}, so MIScope's dashboard cannot load its checkpoints`);
  }
  if (config.jitter !== 0) warnings.push(`run ${id}: jitter ${config.jitter} is not part of MIScope's variant name (recorded in config.json's grokbench block)`);
  return {
    runId: id, dir, name, config, checkpoints, warnings,
    metadata: { train_losses, test_losses, ...split, checkpoint_epochs: checkpoints.map((c) => c.label), num_epochs: numEpochs },
  };
}

/** config.json as MIScope's build_config_dict writes it, plus grokbench's settings. */
function miscopeConfig(plan: ExportPlan, source: string): Record<string, unknown> {
  const c = plan.config;
  return {
    n_layers: 1, n_heads: c.nHeads, d_model: c.dModel, d_head: c.dHead, d_mlp: c.dMlp, act_fn: c.act,
    normalization_type: null, d_vocab: c.p + 1, d_vocab_out: c.p, n_ctx: 3, seed: c.seed,
    prime: c.p, data_seed: c.dataSeed, model_seed: c.seed, training_fraction: c.fracTrain,
    grokbench: {
      run_id: plan.runId, source, settings: c,
      epoch_convention: source === 'grokbench'
        ? "MIScope's label L = grokbench epoch L + 1 (the weights after L + 1 optimiser steps); grokbench's epoch 0 (initial weights) is not exported"
        : "labels as MIScope recorded them (the run was imported from MIScope)",
    },
  };
}

/** The buffers TransformerLens 2.x keeps in a HookedTransformer's state dict beside the parameters. */
function transformerLensBuffers(): Record<string, { dtype: 'BOOL' | 'F32'; shape: number[]; data: Uint8Array | Float32Array }> {
  const mask = new Uint8Array(9);
  for (let q = 0; q < 3; q++) for (let k = 0; k <= q; k++) mask[q * 3 + k] = 1;
  return {
    'blocks.0.attn.mask': { dtype: 'BOOL', shape: [3, 3], data: mask },
    'blocks.0.attn.IGNORE': { dtype: 'F32', shape: [], data: Float32Array.of(-Infinity) },
  };
}

/** Write one planned variant folder (staged, then renamed into place). */
export function writeMiscopeVariant(store: Store, plan: ExportPlan): ExportResult {
  const familyDir = join(plan.dir, '..');
  mkdirSync(familyDir, { recursive: true });
  removeStaleTempDirs(familyDir); // left by an export that was killed midway
  const staging = join(familyDir, `.export-${plan.name}.${process.pid}.${Date.now().toString(36)}.tmp`);
  mkdirSync(join(staging, 'checkpoints'), { recursive: true });
  try {
    const source = store.getRun(plan.runId)!.source;
    for (const cp of plan.checkpoints) {
      const { params } = loadCheckpoint(cp.source, plan.config);
      writeSafetensorsFile(join(staging, 'checkpoints', `checkpoint_epoch_${String(cp.label).padStart(5, '0')}.safetensors`),
        { ...paramTensors(params), ...transformerLensBuffers() }, undefined, { checksum: false }); // MIScope's layout exactly
    }
    writeFileAtomic(join(staging, 'metadata.json'), JSON.stringify(plan.metadata));
    writeFileAtomic(join(staging, 'config.json'), JSON.stringify(miscopeConfig(plan, source), null, 2));
    if (existsSync(plan.dir)) throw badInput(`${plan.dir} already exists; export into another --miscope folder (nothing is overwritten)`);
    renameSync(staging, plan.dir);
    fsyncDir(familyDir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (err instanceof Error && err.name === 'GrokbenchError') throw err;
    throw failure(`exporting ${plan.runId}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  return { run_id: plan.runId, folder: plan.dir, checkpoints: plan.checkpoints.length, num_epochs: plan.metadata.num_epochs, warnings: plan.warnings };
}

/** Plan every run (all checked, two runs never share a folder), then write them. */
export function planExport(store: Store, runIds: readonly string[], outDir: string): ExportPlan[] {
  if (runIds.length === 0) throw badInput('export needs at least one run');
  const plans = runIds.map((id) => planRunExport(store, id, outDir));
  const seen = new Map<string, string>();
  for (const pl of plans) {
    const other = seen.get(pl.dir);
    if (other !== undefined && other !== pl.runId) {
      throw badInput(`runs ${other} and ${pl.runId} would both be MIScope variant ${pl.name} (MIScope names a variant by p, seed and data seed); export them to different --miscope folders`);
    }
    seen.set(pl.dir, pl.runId);
  }
  return plans.filter((pl, i) => plans.findIndex((q) => q.dir === pl.dir) === i);
}
