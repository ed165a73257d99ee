/**
 * The model and training configuration (DESIGN.md §1), its defaults, validation and run id.
 */
import { createHash } from 'node:crypto';
import { badInput } from '../errors.js';

export interface ModelConfig {
  p: number;
  dModel: number;
  nHeads: number;
  dHead: number;
  dMlp: number;
  act: 'relu' | 'gelu';
}

/**
 * The order in which TransformerLens draws the W_ tensors from the seeded generator:
 * `tl2` (TransformerLens ≥ 2, the researcher's: W_E, W_pos, W_Q, W_O, W_K, W_V, W_in, W_out, W_U)
 * or `tl1` (TransformerLens 1.x: W_Q, W_K, W_V, W_O).
 */
export type InitOrder = 'tl2' | 'tl1';
export const INIT_ORDERS: readonly InitOrder[] = ['tl2', 'tl1'];

export interface TrainConfig extends ModelConfig {
  seed: number;
  /** TransformerLens draw order of the initial weights (see InitOrder). */
  initOrder: InitOrder;
  dataSeed: number;
  fracTrain: number;
  epochs: number;
  checkpointEvery: number;
  evalEvery: number;
  lr: number;
  wd: number;
  beta1: number;
  beta2: number;
  eps: number;
  trainBiases: boolean;
  allowComposite: boolean;
  /** Where the initial weights come from: the seeded init, or a safetensors file. */
  initFrom: string | null;
  /** Explicit train indices file (JSON), or null for the seeded split. */
  splitFile: string | null;
}

export const DEFAULTS: TrainConfig = {
  p: 113, dModel: 128, nHeads: 4, dHead: 32, dMlp: 512, act: 'relu',
  seed: 999, initOrder: 'tl2', dataSeed: 598, fracTrain: 0.3, epochs: 25000, checkpointEvery: 100, evalEvery: 1,
  lr: 1e-3, wd: 1.0, beta1: 0.9, beta2: 0.98, eps: 1e-8,
  trainBiases: false, allowComposite: false, initFrom: null, splitFile: null,
};

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function int(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v)) throw badInput(`${name} must be an integer, got ${v}`);
  if (v < min || v > max) throw badInput(`${name} must be between ${min} and ${max}, got ${v}`);
}

/** Validates a full config; throws a one-line badInput for the first problem found. */
export function validateConfig(c: TrainConfig): void {
  if (!Number.isInteger(c.p)) throw badInput(`--p must be an integer, got ${c.p}`);
  if (c.p < 3) throw badInput(`--p must be at least 3, got ${c.p}`);
  if (c.p > 2000) throw badInput(`--p must be at most 2000, got ${c.p}`);
  if (c.p % 2 === 0) throw badInput(`--p must be odd (the modular Fourier basis needs odd p), got ${c.p}`);
  if (!c.allowComposite && !isPrime(c.p)) throw badInput(`--p must be prime, got ${c.p} (use --allow-composite to override)`);
  int('--d-model', c.dModel, 1, 4096);
  int('--n-heads', c.nHeads, 1, 64);
  int('--d-head', c.dHead, 1, 1024);
  int('--d-mlp', c.dMlp, 1, 16384);
  if (c.act !== 'relu' && c.act !== 'gelu') throw badInput(`--act must be relu or gelu, got ${c.act}`);
  int('--seed', c.seed, 0, 2 ** 32 - 1);
  if (!INIT_ORDERS.includes(c.initOrder)) throw badInput(`--init-order must be tl2 or tl1, got ${c.initOrder}`);
  int('--data-seed', c.dataSeed, 0, 2 ** 32 - 1);
  if (!(c.fracTrain > 0 && c.fracTrain < 1)) throw badInput(`--frac-train must be in (0, 1), got ${c.fracTrain}`);
  const nTrain = Math.floor(c.p * c.p * c.fracTrain);
  if (nTrain < 1 || nTrain >= c.p * c.p) throw badInput(`--frac-train ${c.fracTrain} leaves an empty train or test set for p=${c.p}`);
  int('--epochs', c.epochs, 1, 10_000_000);
  int('--checkpoint-every', c.checkpointEvery, 1);
  int('--eval-every', c.evalEvery, 1);
  for (const [k, v] of [['--lr', c.lr], ['--beta1', c.beta1], ['--beta2', c.beta2], ['--eps', c.eps]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw badInput(`${k} must be a positive number, got ${v}`);
  }
  if (c.beta1 >= 1 || c.beta2 >= 1) throw badInput('--beta1 and --beta2 must be below 1');
  if (!Number.isFinite(c.wd) || c.wd < 0) throw badInput(`--wd must be a non-negative number, got ${c.wd}`);
}

/** The settings that define a run's identity (everything but `epochs`, which can be extended). */
const IDENTITY_KEYS: (keyof TrainConfig)[] = [
  'p', 'dModel', 'nHeads', 'dHead', 'dMlp', 'act', 'seed', 'initOrder', 'dataSeed', 'fracTrain', 'checkpointEvery',
  'evalEvery', 'lr', 'wd', 'beta1', 'beta2', 'eps', 'trainBiases', 'initFrom', 'splitFile',
];

/**
 * Run id: `p<P>-s<SEED>`, plus a short hash of the non-default settings (and of `epochs` when it
 * differs from the default) so that different experiments never share a run directory.
 */
export function runId(c: TrainConfig, extra: Record<string, unknown> = {}): string {
  const diff: Record<string, unknown> = { ...extra };
  for (const k of [...IDENTITY_KEYS, 'epochs' as const]) {
    if (k === 'p' || k === 'seed') continue;
    if (c[k] !== DEFAULTS[k]) diff[k] = c[k];
  }
  const keys = Object.keys(diff).sort();
  if (keys.length === 0) return `p${c.p}-s${c.seed}`;
  const canon = JSON.stringify(keys.map((k) => [k, diff[k]]));
  return `p${c.p}-s${c.seed}-${createHash('sha256').update(canon).digest('hex').slice(0, 8)}`;
}
