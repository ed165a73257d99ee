/**
 * The settings table drives the config, defaults, validation, identity, flags and child
 * arguments: every row checked through each of them, and the engine limits in validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addSettings, settingsToConfig } from '../../src/cli/settings.js';
import { GrokbenchError } from '../../src/core/errors.js';
import {
  DEFAULTS, IDENTITY_KEYS, SETTINGS, SETTING_KEYS, type SettingKey, type TrainConfig, configArgs, runId, settingOf, validateConfig,
} from '../../src/config/config.js';

const badInput = (re: RegExp) => (err: unknown) =>
  err instanceof GrokbenchError && err.exitCode === 2 && re.test(err.message) && !err.message.includes('\n');

/** A valid value of each setting that is not its default (chosen by kind, so a new row is covered too). */
function otherValue(k: SettingKey): unknown {
  const row = settingOf(k);
  switch (row.kind) {
    case 'int': return k === 'p' ? 101 : (row.default as number) + 1;
    case 'number': return k === 'fracTrain' ? 0.41 : k === 'wd' ? 0.37 : (row.default as number) * 0.5;
    case 'flag': return true;
    case 'choice': return row.choices!.find((c) => c !== row.default) ?? null;
    case 'path': return '/tmp/some-file.json';
    case 'schedule': return '0:100:7,100:300:50';
  }
}

function parseTrain(args: string[]): TrainConfig {
  const cmd = addSettings(new Command('train').exitOverride().configureOutput({ writeErr: () => {} }), true);
  cmd.parse(args, { from: 'user' });
  return settingsToConfig(cmd.opts());
}

test('the defaults, the config keys and the train flags all come from the one table', () => {
  assert.deepEqual(Object.keys(DEFAULTS).sort(), SETTING_KEYS.slice().sort());
  const cmd = addSettings(new Command('train'), true);
  const longs = new Set(cmd.options.map((o) => o.long));
  for (const k of SETTING_KEYS) {
    assert.equal(DEFAULTS[k], SETTINGS[k].default, k);
    assert.ok(longs.has(settingOf(k).flag), `train offers ${settingOf(k).flag}`);
  }
  assert.deepEqual(parseTrain([]), DEFAULTS, 'no flags: the defaults');
  validateConfig(DEFAULTS);
  assert.equal(runId(DEFAULTS), 'p113-s999', 'the defaults keep the plain run id');
});

test('every setting set to a non-default value parses from its flag and survives configArgs → flags → config', () => {
  for (const k of SETTING_KEYS) {
    const v = otherValue(k);
    if (v === null) continue; // a choice with one value (act: relu only)
    const config = { ...DEFAULTS, [k]: v } as TrainConfig;
    if (k === 'checkpointSchedule') config.checkpointEvery = DEFAULTS.checkpointEvery;
    const args = configArgs(config);
    assert.deepEqual(parseTrain(args), config, `${k}: ${args.join(' ')}`);
  }
});

test('each identity setting changes the run id; allow-composite does not', () => {
  const ids = new Set<string>([runId(DEFAULTS)]);
  for (const k of [...IDENTITY_KEYS, 'epochs' as const]) {
    const v = otherValue(k);
    if (v === null) continue;
    const id = runId({ ...DEFAULTS, [k]: v } as TrainConfig);
    assert.ok(!ids.has(id), `${k} gives a new run id`);
    ids.add(id);
  }
  assert.equal(runId({ ...DEFAULTS, allowComposite: true }), runId(DEFAULTS));
  for (const k of ['jitter', 'checkpointSchedule', 'initOrder', 'dataSeed'] as const) assert.ok(IDENTITY_KEYS.includes(k), k);
});

test('validation has the native engine limits: at most 32 heads, p within the cross-entropy classes', () => {
  validateConfig({ ...DEFAULTS, nHeads: 32 });
  assert.throws(() => validateConfig({ ...DEFAULTS, nHeads: 33 }), badInput(/^--n-heads must be at most 32, got 33$/));
  assert.throws(() => validateConfig({ ...DEFAULTS, nHeads: 64 }), badInput(/--n-heads must be at most 32/));
  assert.ok((SETTINGS.p.max ?? Infinity) <= 4096, 'native crossEntropy takes at most 4096 classes');
  assert.throws(() => validateConfig({ ...DEFAULTS, p: 2003 }), badInput(/--p must be at most 2000/));
});

test('validation rejects each bad value with a one-line message naming its flag', () => {
  const bad: [Partial<TrainConfig>, RegExp][] = [
    [{ p: 21 }, /--p must be prime/], [{ p: 2 }, /--p must be at least 3/], [{ p: 9, allowComposite: true, fracTrain: 0.3 }, /^$/],
    [{ p: 10, allowComposite: true }, /--p must be odd/], [{ seed: -1 }, /--seed must be at least 0/], [{ seed: 2 ** 32 }, /--seed must be at most/],
    [{ fracTrain: 1 }, /--frac-train must be above 0 and below 1/], [{ fracTrain: 0.001, p: 3 }, /leaves an empty train/],
    [{ lr: 0 }, /--lr must be above 0/], [{ wd: -0.1 }, /--wd must be at least 0/], [{ beta2: 1 }, /--beta2 must be above 0 and below 1/],
    [{ eps: Number.NaN }, /--eps must be a number/], [{ act: 'gelu' }, /--act must be relu, got gelu/],
    [{ initOrder: 'tl3' as never }, /--init-order must be tl2 or tl1/], [{ jitter: -1 }, /--jitter must be at least 0/],
    [{ jitter: 1.5 }, /--jitter must be an integer/], [{ checkpointSchedule: '0:10' }, /--checkpoint-schedule: '0:10' is not start:end:step/],
    [{ checkpointSchedule: 'miscope', checkpointEvery: 50 }, /not both/], [{ epochs: 0 }, /--epochs must be at least 1/],
  ];
  for (const [patch, re] of bad) {
    const c = { ...DEFAULTS, ...patch } as TrainConfig;
    if (re.source === '^$') { validateConfig(c); continue; }
    assert.throws(() => validateConfig(c), badInput(re), JSON.stringify(patch));
  }
});
