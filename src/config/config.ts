/**
 * The model and training configuration (docs/design.md §1): ONE table of settings (`SETTINGS`) from
 * which everything else is made — the config type, the defaults, validation, the run's identity
 * (run id), the command-line flags (src/cli/settings.ts) and a sweep's child arguments
 * (src/sweep/plan.ts). A new setting is one new row here.
 *
 * Limits are the same for both engines: the native engine mixes at most 32 heads (GB_MAX_HEADS in
 * native/kernels.h: mixTokens and the kernels built on it). Its cross-entropy has no class limit
 * of its own (its scratch is sized by the class count); grokbench's p ≤ 2000 is the limit.
 */
import { createHash } from 'node:crypto';
import { badInput } from '../core/errors.js';
import { parseCheckpointSchedule } from './schedule.js';
import { interventionRunId, readInterventionFile } from '../model/interventions.js';

export type { ModelConfig } from '../model/params.js';
export { INIT_ORDERS, type InitOrder } from '../model/init.js';
import { INIT_ORDERS } from '../model/init.js';
import type { InitOrder } from '../model/init.js';

/** How a setting is written on the command line and checked. */
export type SettingKind = 'int' | 'number' | 'flag' | 'choice' | 'path' | 'schedule';

/** One row of the settings table. */
export interface Setting<T> {
  /** The command-line flag. */
  flag: string;
  kind: SettingKind;
  default: T;
  /** Help text (the default is appended). */
  help: string;
  /** The flag's value name in the help, e.g. `<int>`. */
  arg?: string;
  /** int: inclusive bounds; number: exclusive bounds (`gt`, `lt`) and inclusive `ge`. */
  min?: number;
  max?: number;
  gt?: number;
  lt?: number;
  ge?: number;
  /** choice: the accepted values. */
  choices?: readonly string[];
  /** Part of the run's identity: a non-default value changes the run id. */
  identity: boolean;
  /**
   * Where the flag is offered: 'run' (train and sweep), 'train' (train only), 'grid' (train;
   * a sweep takes a list of values instead, see `sweepList`).
   */
  scope: 'run' | 'train' | 'grid';
  /** grid settings: the sweep's list flag. */
  sweepList?: string;
}

const s = <T>(row: Setting<T>): Setting<T> => row;
const UINT32 = 2 ** 32 - 1;

/** THE settings table. Order is the order of `--help`. */
export const SETTINGS = {
  p: s<number>({ flag: '--p', kind: 'int', default: 113, min: 3, max: 2000, help: 'modulus p (prime ≥ 3; at most 2000)', identity: true, scope: 'grid', sweepList: '--primes' }),
  seed: s<number>({ flag: '--seed', kind: 'int', default: 999, min: 0, max: UINT32, help: 'model seed (initialisation)', identity: true, scope: 'grid', sweepList: '--seeds' }),
  initOrder: s<InitOrder>({ flag: '--init-order', kind: 'choice', arg: '<order>', default: 'tl2', choices: INIT_ORDERS, identity: true, scope: 'run',
    help: "TransformerLens draw order of the initial weights: tl2 (TransformerLens ≥ 2, the researcher's; W_Q, W_O, W_K, W_V) or tl1 (1.x; W_Q, W_K, W_V, W_O)" }),
  jitter: s<number>({ flag: '--jitter', kind: 'int', arg: '<J>', default: 0, min: 0, max: UINT32, identity: true, scope: 'grid', sweepList: '--jitters',
    help: 'move each initial weight by a pseudo-random −1, 0 or +1 ulp, pattern seeded by J (0: unchanged); a rounding ensemble' }),
  initFrom: s<string | null>({ flag: '--init-from', kind: 'path', arg: '<file>', default: null, identity: true, scope: 'train',
    help: 'initial weights from a safetensors checkpoint (TransformerLens names)' }),
  splitFile: s<string | null>({ flag: '--split-file', kind: 'path', arg: '<file>', default: null, identity: true, scope: 'train',
    help: 'train indices: JSON array, {"train_indices": [...]}, or a MIScope metadata.json' }),
  dataSeed: s<number>({ flag: '--data-seed', kind: 'int', default: 598, min: 0, max: UINT32, help: 'data seed (train/test split)', identity: true, scope: 'grid', sweepList: '--data-seeds' }),
  fracTrain: s<number>({ flag: '--frac-train', kind: 'number', arg: '<x>', default: 0.3, gt: 0, lt: 1, help: 'train fraction of all p² pairs', identity: true, scope: 'run' }),
  epochs: s<number>({ flag: '--epochs', kind: 'int', default: 25000, min: 1, max: 10_000_000, help: 'full-batch epochs', identity: true, scope: 'run' }),
  checkpointEvery: s<number>({ flag: '--checkpoint-every', kind: 'int', default: 100, min: 1, max: 10_000_000, help: 'checkpoint every N epochs', identity: true, scope: 'run' }),
  checkpointSchedule: s<string | null>({ flag: '--checkpoint-schedule', kind: 'schedule', arg: '<spec>', default: null, identity: true, scope: 'run',
    help: "checkpoint epochs instead of --checkpoint-every: 'miscope' (MIScope's schedule exactly) or start:end:step,… (range(start, end, step) each, end excluded); epoch 0 and the last always" }),
  evalEvery: s<number>({ flag: '--eval-every', kind: 'int', default: 1, min: 1, max: 10_000_000, help: 'test evaluation every N epochs', identity: true, scope: 'run' }),
  lr: s<number>({ flag: '--lr', kind: 'number', arg: '<x>', default: 1e-3, gt: 0, help: 'AdamW learning rate', identity: true, scope: 'run' }),
  wd: s<number>({ flag: '--wd', kind: 'number', arg: '<x>', default: 1.0, ge: 0, help: 'AdamW weight decay', identity: true, scope: 'run' }),
  beta1: s<number>({ flag: '--beta1', kind: 'number', arg: '<x>', default: 0.9, gt: 0, lt: 1, help: 'AdamW beta1', identity: true, scope: 'run' }),
  beta2: s<number>({ flag: '--beta2', kind: 'number', arg: '<x>', default: 0.98, gt: 0, lt: 1, help: 'AdamW beta2', identity: true, scope: 'run' }),
  eps: s<number>({ flag: '--eps', kind: 'number', arg: '<x>', default: 1e-8, gt: 0, help: 'AdamW eps', identity: true, scope: 'run' }),
  dModel: s<number>({ flag: '--d-model', kind: 'int', default: 128, min: 1, max: 4096, help: 'residual width', identity: true, scope: 'run' }),
  nHeads: s<number>({ flag: '--n-heads', kind: 'int', default: 4, min: 1, max: 32, help: 'attention heads (at most 32, as the native engine)', identity: true, scope: 'run' }),
  dHead: s<number>({ flag: '--d-head', kind: 'int', default: 32, min: 1, max: 1024, help: 'head width', identity: true, scope: 'run' }),
  dMlp: s<number>({ flag: '--d-mlp', kind: 'int', default: 512, min: 1, max: 16384, help: 'MLP neurons', identity: true, scope: 'run' }),
  act: s<'relu' | 'gelu'>({ flag: '--act', kind: 'choice', arg: '<fn>', default: 'relu', choices: ['relu'], help: 'MLP activation (relu only)', identity: true, scope: 'run' }),
  trainBiases: s<boolean>({ flag: '--train-biases', kind: 'flag', default: false, help: 'train the biases too (frozen at zero by default)', identity: true, scope: 'run' }),
  intervention: s<string | null>({ flag: '--intervention', kind: 'path', arg: '<file.json>', default: null, identity: false, scope: 'run',
    help: 'train the sub-run of this run with an intervention: {"type": "frequency_gain"|"ablate"|"blob_init", …} (src/model/interventions.ts); its run id is the parent\'s plus -iv-<hash of the JSON>' }),
  allowComposite: s<boolean>({ flag: '--allow-composite', kind: 'flag', default: false, help: 'allow a composite odd modulus', identity: false, scope: 'run' }),
};

type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;
type ValueOf<R> = R extends Setting<infer T> ? T : never;

/** A full run configuration: one field per row of SETTINGS. */
export type TrainConfig = { [K in SettingKey]: ValueOf<Settings[K]> };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** The row of a key (typed loosely, for code that walks the table). */
export function settingOf(key: SettingKey): Setting<unknown> {
  return SETTINGS[key] as Setting<unknown>;
}

export const DEFAULTS: TrainConfig = Object.fromEntries(SETTING_KEYS.map((k) => [k, SETTINGS[k].default])) as TrainConfig;

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/** The problem with one setting's value by its row (null when fine). */
export function checkSetting(row: Setting<unknown>, v: unknown): string | null {
  const name = row.flag;
  switch (row.kind) {
    case 'int': {
      if (typeof v !== 'number' || !Number.isInteger(v)) return `${name} must be an integer, got ${String(v)}`;
      if (row.min !== undefined && v < row.min) return `${name} must be at least ${row.min}, got ${v}`;
      if (row.max !== undefined && v > row.max) return `${name} must be at most ${row.max}, got ${v}`;
      return null;
    }
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${name} must be a number, got ${String(v)}`;
      const range = `${row.gt !== undefined ? `above ${row.gt}` : row.ge !== undefined ? `at least ${row.ge}` : ''}` +
        `${row.lt !== undefined ? `${row.gt !== undefined || row.ge !== undefined ? ' and ' : ''}below ${row.lt}` : ''}`;
      if ((row.gt !== undefined && !(v > row.gt)) || (row.ge !== undefined && !(v >= row.ge)) || (row.lt !== undefined && !(v < row.lt))) {
        return `${name} must be ${range}, got ${v}`;
      }
      return null;
    }
    case 'flag':
      return typeof v === 'boolean' ? null : `${name} must be true or false, got ${String(v)}`;
    case 'choice':
      return typeof v === 'string' && row.choices!.includes(v) ? null : `${name} must be ${row.choices!.join(' or ')}, got ${String(v)}`;
    case 'path':
      return v === null || (typeof v === 'string' && v !== '') ? null : `${name} must be a file path, got ${String(v)}`;
    case 'schedule':
      if (v === null) return null;
      if (typeof v !== 'string') return `${name} must be a schedule, got ${String(v)}`;
      parseCheckpointSchedule(v); // throws its own one-line badInput
      return null;
  }
}

/**
 * Validates a full config: every setting by its row, then the rules that join settings. Throws a
 * one-line badInput for the first problem found. Touches no file.
 */
export function validateConfig(c: TrainConfig): void {
  for (const k of SETTING_KEYS) {
    const problem = checkSetting(settingOf(k), c[k]);
    if (problem) throw badInput(problem);
  }
  if (c.p % 2 === 0) throw badInput(`--p must be odd (the modular Fourier basis needs odd p), got ${c.p}`);
  if (!c.allowComposite && !isPrime(c.p)) throw badInput(`--p must be prime, got ${c.p} (use --allow-composite to override)`);
  const nTrain = Math.floor(c.p * c.p * c.fracTrain);
  if (nTrain < 1 || nTrain >= c.p * c.p) throw badInput(`--frac-train ${c.fracTrain} leaves an empty train or test set for p=${c.p}`);
  if (c.checkpointSchedule !== null && c.checkpointEvery !== DEFAULTS.checkpointEvery) {
    throw badInput('give --checkpoint-every or --checkpoint-schedule, not both');
  }
}

/** The settings that define a run's identity (everything but `epochs`, which can be extended). */
export const IDENTITY_KEYS: readonly SettingKey[] = SETTING_KEYS.filter((k) => SETTINGS[k].identity && k !== 'epochs');

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
  const canon = JSON.stringify(keys.map((k) => [k, diff[k]]));
  const id = keys.length === 0 ? `p${c.p}-s${c.seed}` : `p${c.p}-s${c.seed}-${createHash('sha256').update(canon).digest('hex').slice(0, 8)}`;
  // An intervention run is a sub-run of the run without it, named by the hash of the intervention's JSON (not its path).
  return c.intervention ? interventionRunId(id, readInterventionFile(c.intervention, c.p, c.dMlp)) : id;
}

/**
 * The command-line flags that give `config` to `grokbench train`: every setting spelled out (so a
 * sweep's child resolves exactly this config whatever the defaults); null paths and schedules and
 * false flags are left out, as they are the defaults.
 */
export function configArgs(config: TrainConfig): string[] {
  const a: string[] = [];
  for (const k of SETTING_KEYS) {
    const row = settingOf(k);
    const v = config[k];
    if (v === null || v === false) continue;
    if (row.kind === 'flag') a.push(row.flag);
    else a.push(row.flag, String(v));
  }
  return a;
}
