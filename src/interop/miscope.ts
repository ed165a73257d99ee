/**
 * Reading the researcher's own results folders (MIScope, "training-dynamics-workbench").
 *
 * One *variant* folder (e.g. `modulo_addition_1layer_p113_seed999_dseed598/`) holds
 *   checkpoints/checkpoint_epoch_NNNNN.safetensors   the state dict, TransformerLens names, with
 *                                                    the buffers blocks.0.attn.mask / IGNORE
 *   metadata.json   train_losses, test_losses (one per epoch), train_indices, test_indices,
 *                   checkpoint_epochs, num_epochs
 *   config.json     n_layers, n_heads, d_model, d_head, d_mlp, act_fn, d_vocab, d_vocab_out,
 *                   n_ctx, prime, model_seed (or seed), data_seed, training_fraction
 *
 * MIScope's training loop computes the train loss, steps the optimiser, then computes the test
 * loss and saves the checkpoint. So for its epoch label e: train_losses[e] belongs to the weights
 * after e optimiser steps, while test_losses[e] and checkpoint_epoch_e hold the weights after
 * e + 1 steps. grokbench keeps MIScope's label as the epoch (so numbers line up with the
 * researcher's) and records the step count e + 1 beside it.
 *
 * This module only reads and validates the folder's JSON files and lists its checkpoints; it
 * does not open the checkpoints (src/interop/import.ts does). Errors are one-line `badInput`s.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { badInput } from '../core/errors.js';
import { type Split, splitFromIndices } from '../data/dataset.js';

/** The settings of a variant, from config.json (and its folder name where config.json is silent). */
export interface MiscopeSettings {
  p: number;
  dModel: number | null;
  nHeads: number | null;
  dHead: number | null;
  dMlp: number | null;
  act: 'relu';
  /** Model (init) seed; null when neither config.json nor the folder name tells it. */
  seed: number | null;
  dataSeed: number | null;
  fracTrain: number | null;
}

export interface MiscopeCheckpointFile {
  /** MIScope's epoch label e (the weights after e + 1 optimiser steps). */
  label: number;
  path: string;
}

export interface MiscopeVariant {
  dir: string;
  name: string;
  settings: MiscopeSettings;
  /** config.json as read. */
  rawConfig: Record<string, unknown>;
  numEpochs: number;
  /** Per epoch label; NaN where MIScope wrote NaN/null (a diverged epoch). */
  trainLosses: Float64Array;
  testLosses: Float64Array;
  split: Split;
  /** checkpoint_epochs as listed in metadata.json. */
  listedCheckpointEpochs: number[];
  /** The checkpoint files present, sorted by label. */
  checkpoints: MiscopeCheckpointFile[];
}

const CHECKPOINT_FILE = /^checkpoint_epoch_(\d+)\.safetensors$/;

/** Whether `dir` looks like one MIScope variant folder (rather than a folder of them). */
export function isMiscopeVariantDir(dir: string): boolean {
  return existsSync(join(dir, 'metadata.json')) || existsSync(join(dir, 'config.json')) || isDir(join(dir, 'checkpoints'));
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The variant folders of `dir`: itself if it is one, else its sub-folders that are, else theirs
 * (so MIScope's `results/` folder, which groups variants by model family, works too).
 */
export function findMiscopeVariants(dir: string): string[] {
  if (isMiscopeVariantDir(dir)) return [dir];
  const subdirs = (d: string): string[] => {
    try {
      return readdirSync(d).sort().map((n) => join(d, n)).filter(isDir);
    } catch (err) {
      throw badInput(`${d}: cannot list folder (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`);
    }
  };
  let found = subdirs(dir).filter(isMiscopeVariantDir);
  if (found.length === 0) found = subdirs(dir).flatMap((d) => subdirs(d).filter(isMiscopeVariantDir));
  if (found.length === 0) {
    throw badInput(`${dir}: neither a MIScope variant folder (metadata.json, config.json, checkpoints/) nor a folder of them`);
  }
  return found;
}

/**
 * JSON as Python's json.dump writes it, which may hold bare NaN / Infinity (a diverged loss):
 * those become null.
 */
function parsePythonJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(text.replace(/-?\bInfinity\b|\bNaN\b/g, 'null'));
    } catch {
      throw badInput(`${source}: not valid JSON`);
    }
  }
}

function readJsonObject(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(`${path}: missing (${what})`);
    throw badInput(`${path}: cannot read (${code ?? 'unknown error'})`);
  }
  const v = parsePythonJson(text, path);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badInput(`${path}: not a JSON object`);
  return v as Record<string, unknown>;
}

function losses(v: unknown, key: string, source: string): Float64Array {
  if (!Array.isArray(v)) throw badInput(`${source}: ${key} is missing or not an array`);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x === null) out[i] = NaN;
    else if (typeof x === 'number') out[i] = x;
    else throw badInput(`${source}: ${key}[${i}] is ${JSON.stringify(x)}, not a number`);
  }
  return out;
}

function optInt(cfg: Record<string, unknown>, keys: string[], source: string, min = 0): number | null {
  for (const k of keys) {
    const v = cfg[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw badInput(`${source}: ${k} is ${JSON.stringify(v)}, not an integer ≥ ${min}`);
    }
    return v;
  }
  return null;
}

/** The settings in config.json (falling back to numbers in the folder name for the seeds). */
export function miscopeSettings(cfg: Record<string, unknown>, dirName: string, source: string): MiscopeSettings {
  const nLayers = optInt(cfg, ['n_layers'], source, 1);
  if (nLayers !== null && nLayers !== 1) throw badInput(`${source}: n_layers is ${nLayers}; grokbench handles one-layer models only`);
  const nCtx = optInt(cfg, ['n_ctx'], source, 1);
  if (nCtx !== null && nCtx !== 3) throw badInput(`${source}: n_ctx is ${nCtx}, expected 3 ([a, b, =])`);
  if (cfg.normalization_type !== undefined && cfg.normalization_type !== null) {
    throw badInput(`${source}: normalization_type is ${JSON.stringify(cfg.normalization_type)}; grokbench's model has no LayerNorm`);
  }
  let p = optInt(cfg, ['prime', 'p', 'd_vocab_out'], source, 3);
  const vocab = optInt(cfg, ['d_vocab'], source, 1);
  if (p === null && vocab !== null) p = vocab - 1;
  if (p === null) throw badInput(`${source}: no prime (p) in config.json`);
  if (vocab !== null && vocab !== p + 1) throw badInput(`${source}: d_vocab is ${vocab} but p is ${p} (expected d_vocab = p + 1)`);
  // grokbench computes ReLU only: another activation is refused, never computed as ReLU.
  const actRaw = cfg.act_fn ?? 'relu';
  if (actRaw !== 'relu') throw badInput(`${source}: act_fn ${JSON.stringify(actRaw).slice(0, 40)} is not supported; grokbench computes relu only`);
  const fromName = (re: RegExp): number | null => {
    const m = re.exec(dirName);
    return m ? Number(m[1]) : null;
  };
  let frac: number | null = null;
  if (cfg.training_fraction !== undefined && cfg.training_fraction !== null) {
    const f = cfg.training_fraction;
    if (typeof f !== 'number' || !(f > 0 && f < 1)) throw badInput(`${source}: training_fraction ${JSON.stringify(f)} is not in (0, 1)`);
    frac = f;
  }
  return {
    p,
    dModel: optInt(cfg, ['d_model'], source, 1),
    nHeads: optInt(cfg, ['n_heads'], source, 1),
    dHead: optInt(cfg, ['d_head'], source, 1),
    dMlp: optInt(cfg, ['d_mlp'], source, 1),
    act: actRaw,
    seed: optInt(cfg, ['model_seed', 'seed'], source) ?? fromName(/(?:^|_)seed(\d+)/),
    dataSeed: optInt(cfg, ['data_seed'], source) ?? fromName(/(?:^|_)dseed(\d+)/),
    fracTrain: frac,
  };
}

/** Read and validate one variant folder (its JSON files and checkpoint list). */
export function readMiscopeVariant(dir: string): MiscopeVariant {
  const name = basename(dir.replace(/[\\/]+$/, ''));
  const metaPath = join(dir, 'metadata.json');
  const configPath = join(dir, 'config.json');
  if (!existsSync(metaPath)) throw badInput(`${dir}: no metadata.json (a MIScope variant folder needs metadata.json, config.json and checkpoints/)`);
  if (!existsSync(configPath)) throw badInput(`${dir}: no config.json (a MIScope variant folder needs metadata.json, config.json and checkpoints/)`);
  const meta = readJsonObject(metaPath, 'MIScope metadata');
  const rawConfig = readJsonObject(configPath, 'MIScope config');
  const settings = miscopeSettings(rawConfig, name, configPath);

  const numEpochs = meta.num_epochs;
  if (typeof numEpochs !== 'number' || !Number.isSafeInteger(numEpochs) || numEpochs < 1) {
    throw badInput(`${metaPath}: num_epochs is ${JSON.stringify(numEpochs)}, not a positive integer`);
  }
  const trainLosses = losses(meta.train_losses, 'train_losses', metaPath);
  const testLosses = losses(meta.test_losses, 'test_losses', metaPath);
  if (trainLosses.length !== numEpochs || testLosses.length !== numEpochs) {
    throw badInput(`${metaPath}: train_losses (${trainLosses.length}) and test_losses (${testLosses.length}) must have num_epochs = ${numEpochs} entries`);
  }
  if (!('train_indices' in meta)) throw badInput(`${metaPath}: no train_indices`);
  const split = splitFromIndices(meta.train_indices, meta.test_indices, settings.p, metaPath);
  const listed = meta.checkpoint_epochs;
  if (listed !== undefined && (!Array.isArray(listed) || !listed.every((e) => Number.isSafeInteger(e) && (e as number) >= 0))) {
    throw badInput(`${metaPath}: checkpoint_epochs is not an array of epoch numbers`);
  }

  const cpDir = join(dir, 'checkpoints');
  if (!isDir(cpDir)) throw badInput(`${dir}: no checkpoints/ folder`);
  const checkpoints: MiscopeCheckpointFile[] = [];
  const seen = new Map<number, string>();
  for (const file of readdirSync(cpDir).sort()) {
    if (!file.endsWith('.safetensors')) continue;
    const m = CHECKPOINT_FILE.exec(file);
    if (!m) throw badInput(`${join(cpDir, file)}: unexpected checkpoint name (expected checkpoint_epoch_NNNNN.safetensors)`);
    const label = Number(m[1]);
    if (label >= numEpochs) throw badInput(`${join(cpDir, file)}: epoch ${label} is beyond num_epochs = ${numEpochs} of metadata.json`);
    if (seen.has(label)) throw badInput(`${join(cpDir, file)}: a second checkpoint for epoch ${label} (also ${seen.get(label)})`);
    seen.set(label, file);
    checkpoints.push({ label, path: join(cpDir, file) });
  }
  if (checkpoints.length === 0) throw badInput(`${cpDir}: no checkpoint_epoch_NNNNN.safetensors files`);
  checkpoints.sort((a, b) => a.label - b.label);
  return {
    dir, name, settings, rawConfig, numEpochs, trainLosses, testLosses, split,
    listedCheckpointEpochs: (listed as number[] | undefined) ?? [], checkpoints,
  };
}

/** The run id of a variant: `miscope-p<P>-s<SEED>-d<DATA_SEED>` (plus non-default fraction/epochs). */
export function miscopeRunId(v: MiscopeVariant): string {
  const s = v.settings;
  let id = `miscope-p${s.p}-s${s.seed ?? 'x'}-d${s.dataSeed ?? 'x'}`;
  const defaultFrac = s.fracTrain === null ? v.split.train.length === Math.floor(s.p * s.p * 0.3) : s.fracTrain === 0.3;
  if (!defaultFrac) id += `-f${s.fracTrain ?? `n${v.split.train.length}`}`;
  if (v.numEpochs !== 25000) id += `-e${v.numEpochs}`;
  return id;
}
