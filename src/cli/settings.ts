/**
 * The training settings flags (docs/design.md §1), shared by `train`, `sweep` and `demo`: made from
 * the settings table (src/config/config.ts SETTINGS), one flag per row.
 */
import { type Command, Option } from 'commander';
import { resolve } from 'node:path';
import { DEFAULTS, SETTING_KEYS, type Setting, type SettingKey, type TrainConfig, settingOf } from '../config/config.js';
import { intArg, numArg } from './common.js';

/** Parsed flags: one optional value per setting (commander's camelCase of the flag is the key). */
export type SettingsOpts = { [K in SettingKey]?: TrainConfig[K] } & { threads?: number };

function defaultText(row: Setting<unknown>): string {
  return row.default === null || row.kind === 'flag' ? '' : ` [${String(row.default)}]`;
}

/** The commander option of one setting row. */
export function settingOption(row: Setting<unknown>): Option {
  const { flag, kind } = row;
  if (kind === 'flag') return new Option(flag, row.help);
  const opt = new Option(`${flag} ${row.arg ?? '<int>'}`, row.help + defaultText(row));
  if (kind === 'int') return opt.argParser(intArg(flag, row.min));
  if (kind === 'number') return opt.argParser(numArg(flag));
  if (kind === 'choice') return opt.choices([...row.choices!]);
  if (kind === 'schedule') return opt.argParser((v: string) => v.replace(/\s+/g, ''));
  return opt;
}

/**
 * Adds every setting flag. `withModelSeed` is false for sweep: it offers the 'run' settings only
 * (its grid settings come as lists, see sweepListOptions).
 */
export function addSettings(cmd: Command, withModelSeed = true): Command {
  for (const k of SETTING_KEYS) {
    const row = settingOf(k);
    if (!withModelSeed && row.scope !== 'run') continue;
    cmd.addOption(settingOption(row));
  }
  return cmd
    .addOption(new Option('--rng <generator>', "random generator for the split and the initial weights: PyTorch's (MT19937, torch.randperm, normal_ as TransformerLens initialises); the only one").choices(['torch']).default('torch'))
    .option('--threads <int>', 'engine threads (default: all cores)', intArg('--threads', 1));
}

/** The full config from parsed flags over the defaults (validated later by validateConfig). */
export function settingsToConfig(o: SettingsOpts, base: Partial<TrainConfig> = {}): TrainConfig {
  const c: Record<string, unknown> = { ...DEFAULTS, ...base };
  for (const k of SETTING_KEYS) {
    const v = o[k];
    if (v === undefined) continue;
    c[k] = settingOf(k).kind === 'path' ? resolve(v as string) : v;
  }
  return c as TrainConfig;
}

