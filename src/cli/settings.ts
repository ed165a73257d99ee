/** The training settings flags (DESIGN.md §1), shared by `train`, `sweep` and `demo`. */
import { type Command, Option } from 'commander';
import { resolve } from 'node:path';
import { DEFAULTS, type TrainConfig } from '../model/config.js';
import { intArg, numArg } from './common.js';

export interface SettingsOpts {
  p?: number; seed?: number; dataSeed?: number; fracTrain?: number; epochs?: number; checkpointEvery?: number;
  evalEvery?: number; lr?: number; wd?: number; beta1?: number; beta2?: number; eps?: number; dModel?: number;
  nHeads?: number; dHead?: number; dMlp?: number; act?: 'relu' | 'gelu'; trainBiases?: boolean;
  allowComposite?: boolean; initOrder?: 'tl2' | 'tl1'; initFrom?: string; splitFile?: string; threads?: number;
}

/** Adds every setting flag; `withModelSeed` is false for sweep (which takes --primes/--seeds). */
export function addSettings(cmd: Command, withModelSeed = true): Command {
  if (withModelSeed) {
    cmd.option('--p <int>', `modulus p (prime ≥ 3) [${DEFAULTS.p}]`, intArg('--p'))
      .option('--seed <int>', `model seed (initialisation) [${DEFAULTS.seed}]`, intArg('--seed', 0))
      .addOption(new Option('--init-order <order>', "TransformerLens draw order of the initial weights: tl2 (TransformerLens ≥ 2, the researcher's; W_Q, W_O, W_K, W_V) or tl1 (1.x; W_Q, W_K, W_V, W_O)").choices(['tl2', 'tl1']))
      .option('--init-from <file>', 'initial weights from a safetensors checkpoint (TransformerLens names)')
      .option('--split-file <file>', 'train indices: JSON array, {"train_indices": [...]}, or a MIScope metadata.json');
  }
  return cmd
    .option('--data-seed <int>', `data seed (train/test split) [${DEFAULTS.dataSeed}]`, intArg('--data-seed', 0))
    .option('--frac-train <x>', `train fraction of all p² pairs [${DEFAULTS.fracTrain}]`, numArg('--frac-train'))
    .option('--epochs <int>', `full-batch epochs [${DEFAULTS.epochs}]`, intArg('--epochs'))
    .option('--checkpoint-every <int>', `checkpoint every N epochs [${DEFAULTS.checkpointEvery}]`, intArg('--checkpoint-every'))
    .option('--eval-every <int>', `test evaluation every N epochs [${DEFAULTS.evalEvery}]`, intArg('--eval-every'))
    .option('--lr <x>', `AdamW learning rate [${DEFAULTS.lr}]`, numArg('--lr'))
    .option('--wd <x>', `AdamW weight decay [${DEFAULTS.wd}]`, numArg('--wd'))
    .option('--beta1 <x>', `AdamW beta1 [${DEFAULTS.beta1}]`, numArg('--beta1'))
    .option('--beta2 <x>', `AdamW beta2 [${DEFAULTS.beta2}]`, numArg('--beta2'))
    .option('--eps <x>', `AdamW eps [${DEFAULTS.eps}]`, numArg('--eps'))
    .option('--d-model <int>', `residual width [${DEFAULTS.dModel}]`, intArg('--d-model'))
    .option('--n-heads <int>', `attention heads [${DEFAULTS.nHeads}]`, intArg('--n-heads'))
    .option('--d-head <int>', `head width [${DEFAULTS.dHead}]`, intArg('--d-head'))
    .option('--d-mlp <int>', `MLP neurons [${DEFAULTS.dMlp}]`, intArg('--d-mlp'))
    .addOption(new Option('--act <fn>', 'MLP activation').choices(['relu']))
    .addOption(new Option('--rng <generator>', "random generator for the split and the initial weights: PyTorch's (MT19937, torch.randperm, normal_ as TransformerLens initialises); the only one").choices(['torch']).default('torch'))
    .option('--train-biases', 'train the biases too (frozen at zero by default)')
    .option('--allow-composite', 'allow a composite odd modulus')
    .option('--threads <int>', 'engine threads (default: all cores)', intArg('--threads', 1));
}

/** The full config from parsed flags over the defaults (validated later by validateConfig). */
export function settingsToConfig(o: SettingsOpts, base: Partial<TrainConfig> = {}): TrainConfig {
  const c: TrainConfig = { ...DEFAULTS, ...base };
  const set = <K extends keyof TrainConfig>(key: K, v: TrainConfig[K] | undefined) => { if (v !== undefined) c[key] = v; };
  set('p', o.p); set('seed', o.seed); set('initOrder', o.initOrder); set('dataSeed', o.dataSeed); set('fracTrain', o.fracTrain); set('epochs', o.epochs);
  set('checkpointEvery', o.checkpointEvery); set('evalEvery', o.evalEvery); set('lr', o.lr); set('wd', o.wd);
  set('beta1', o.beta1); set('beta2', o.beta2); set('eps', o.eps); set('dModel', o.dModel); set('nHeads', o.nHeads);
  set('dHead', o.dHead); set('dMlp', o.dMlp); set('act', o.act);
  if (o.trainBiases) c.trainBiases = true;
  if (o.allowComposite) c.allowComposite = true;
  if (o.initFrom) c.initFrom = resolve(o.initFrom);
  if (o.splitFile) c.splitFile = resolve(o.splitFile);
  return c;
}

