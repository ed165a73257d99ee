import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addSettings, settingsToConfig } from '../../src/cli/settings.js';
import { GrokbenchError } from '../../src/core/errors.js';
import { DEFAULTS, type TrainConfig, runId } from '../../src/config/config.js';
import { defaultParallelism, planGrid, planSweep, resolveGrid, trainArgs } from '../../src/sweep/plan.js';

function badInputMatching(re: RegExp) {
  return (err: unknown) => err instanceof GrokbenchError && err.exitCode === 2 && re.test(err.message) && !err.message.includes('\n');
}

test('the preset gives the seed experiment grid, and explicit --primes/--seeds override it', () => {
  const grid = (primes: number[], seeds: number[]) => ({ primes, seeds, dataSeeds: null, jitters: null, settings: {}, variants: null });
  assert.deepEqual(resolveGrid({ preset: 'seed-experiment' }), grid([97, 101, 109, 113], [485, 999]));
  assert.deepEqual(resolveGrid({ preset: 'seed-experiment', primes: [11] }), grid([11], [485, 999]));
  assert.deepEqual(resolveGrid({ primes: [13, 11, 13], seeds: [2, 2, 1] }), grid([13, 11], [2, 1]));
  assert.throws(() => resolveGrid({ preset: 'nope' }), badInputMatching(/unknown preset 'nope'.*seed-experiment/));
  assert.throws(() => resolveGrid({ seeds: [1] }), badInputMatching(/--primes is required/));
  assert.throws(() => resolveGrid({ primes: [11] }), badInputMatching(/--seeds is required/));
});

test('planSweep makes one validated run per prime and seed, primes outer, with the run ids train would use', () => {
  const template: TrainConfig = { ...DEFAULTS, epochs: 300, dModel: 16 };
  const runs = planSweep([11, 13], [5, 7], template);
  assert.deepEqual(runs.map((r) => [r.p, r.seed]), [[11, 5], [11, 7], [13, 5], [13, 7]]);
  for (const r of runs) {
    assert.equal(r.config.epochs, 300);
    assert.equal(r.config.dModel, 16);
    assert.equal(r.runId, runId({ ...template, p: r.p, seed: r.seed }));
  }
  assert.equal(new Set(runs.map((r) => r.runId)).size, 4);
  const seed = planSweep([97, 101, 109, 113], [485, 999], DEFAULTS);
  assert.deepEqual(seed.map((r) => r.runId).slice(0, 2), ['p97-s485', 'p97-s999']);
  assert.throws(() => planSweep([11, 15], [1], DEFAULTS), badInputMatching(/^--primes: 15 must be prime/));
  assert.throws(() => planSweep([11], [1], { ...DEFAULTS, epochs: 0 }), badInputMatching(/--epochs/));
  assert.throws(() => planSweep([11], [1], { ...DEFAULTS, initFrom: '/x.safetensors' }), badInputMatching(/--init-from/));
});

test('default parallelism: one single-threaded run per core when runs ≥ cores, else spare cores go to the runs', () => {
  assert.deepEqual(defaultParallelism(8, 2), { jobs: 2, threadsPerJob: 1 });
  assert.deepEqual(defaultParallelism(2, 2), { jobs: 2, threadsPerJob: 1 });
  assert.deepEqual(defaultParallelism(1, 2), { jobs: 1, threadsPerJob: 2 });
  assert.deepEqual(defaultParallelism(3, 8), { jobs: 3, threadsPerJob: 2 });
  assert.deepEqual(defaultParallelism(5, 4), { jobs: 4, threadsPerJob: 1 });
  // Explicit values: --jobs shares the cores, --threads-per-job fits as many jobs as the cores allow.
  assert.deepEqual(defaultParallelism(8, 2, 1), { jobs: 1, threadsPerJob: 2 });
  assert.deepEqual(defaultParallelism(8, 4, 2), { jobs: 2, threadsPerJob: 2 });
  assert.deepEqual(defaultParallelism(8, 2, undefined, 2), { jobs: 1, threadsPerJob: 2 });
  assert.deepEqual(defaultParallelism(8, 2, undefined, 4), { jobs: 1, threadsPerJob: 4 });
  assert.deepEqual(defaultParallelism(8, 2, 3, 1), { jobs: 3, threadsPerJob: 1 });
});

test('the child command line parses back to exactly the run config, non-default settings included', () => {
  const template: TrainConfig = {
    ...DEFAULTS, epochs: 1234, checkpointEvery: 17, evalEvery: 3, lr: 3.3e-4, wd: 0.37, beta1: 0.85, beta2: 0.995,
    eps: 1.5e-9, fracTrain: 0.41, dataSeed: 7, dModel: 24, nHeads: 3, dHead: 5, dMlp: 40, trainBiases: true, allowComposite: true,
    initOrder: 'tl1',
  };
  const runs = [...planSweep([15, 101], [0, 4294967295], template, [3, 9], [0, 5]),
    ...planSweep([13], [1], { ...template, checkpointEvery: DEFAULTS.checkpointEvery, checkpointSchedule: 'miscope' })];
  for (const run of runs) {
    const args = trainArgs(run, 1, '/tmp/store', 4242);
    assert.equal(args[0], 'train');
    assert.deepEqual(args.slice(-7), ['--threads', '1', '--store', '/tmp/store', '--progress-jsonl', '--exit-with-parent', '4242']);
    // Parse the settings the way `grokbench train` does.
    const cmd = addSettings(new Command('train').exitOverride(), true)
      .option('--store <dir>').option('--progress-jsonl').option('--exit-with-parent <pid>');
    cmd.parse(args.slice(1), { from: 'user' });
    const parsed = settingsToConfig(cmd.opts());
    assert.deepEqual(parsed, run.config);
    assert.equal(runId(parsed), run.runId);
  }
});

test('a sweep runs every prime × seed × data seed × jitter, jitters innermost, each with its own run id', () => {
  const template: TrainConfig = { ...DEFAULTS, epochs: 300 };
  const runs = planSweep([11, 13], [5], template, [42, 598], [0, 1, 2]);
  assert.equal(runs.length, 2 * 1 * 2 * 3);
  assert.deepEqual(runs.slice(0, 4).map((r) => [r.p, r.seed, r.dataSeed, r.jitter]), [[11, 5, 42, 0], [11, 5, 42, 1], [11, 5, 42, 2], [11, 5, 598, 0]]);
  for (const r of runs) {
    assert.deepEqual([r.config.p, r.config.seed, r.config.dataSeed, r.config.jitter], [r.p, r.seed, r.dataSeed, r.jitter]);
    assert.equal(r.runId, runId(r.config));
  }
  assert.equal(new Set(runs.map((r) => r.runId)).size, runs.length);
  // Jitter 0 is the unjittered run: the same id as a run without --jitter.
  assert.equal(runs[3].runId, runId({ ...template, p: 11, seed: 5, dataSeed: 598 }));
  assert.throws(() => planSweep([11], [1], DEFAULTS, [2 ** 32]), badInputMatching(/^--data-seeds: 4294967296 must be at most/));
  assert.throws(() => planSweep([11], [1], DEFAULTS, null, [-1]), badInputMatching(/^--jitters: -1 must be at least 0/));
});

test("the miscope-30 preset is exactly MIScope's 30 variants (p/seed/data seed), at 25,000 epochs on MIScope's checkpoint schedule", () => {
  // The list as the researcher's notebooks load it, written out here independently of plan.ts.
  const want = [
    '59/485/42', '59/485/598', '59/485/999', '59/999/598', '59/999/999',
    '89/999/598',
    '97/485/598', '97/999/598',
    '101/485/42', '101/485/598', '101/485/999', '101/999/42', '101/999/598', '101/999/999',
    '103/485/598', '103/999/598',
    '107/485/598', '107/999/598',
    '109/485/42', '109/485/598', '109/485/999', '109/999/598',
    '113/485/42', '113/485/598', '113/485/999', '113/999/42', '113/999/598', '113/999/999',
    '127/485/598', '127/999/598',
  ];
  const g = resolveGrid({ preset: 'miscope-30' });
  const runs = planGrid(g, settingsToConfig({}, g.settings));
  assert.deepEqual(runs.map((r) => `${r.p}/${r.seed}/${r.dataSeed}`), want);
  assert.equal(new Set(runs.map((r) => r.runId)).size, 30);
  for (const r of runs) {
    assert.equal(r.config.checkpointSchedule, 'miscope');
    assert.equal(r.config.epochs, 25000);
    assert.equal(r.jitter, 0);
    assert.equal(r.runId, runId({ ...DEFAULTS, checkpointSchedule: 'miscope', p: r.p, seed: r.seed, dataSeed: r.dataSeed }));
  }
  // An explicit flag beats the preset's setting.
  assert.equal(settingsToConfig({ checkpointSchedule: '0:100:10' }, g.settings).checkpointSchedule, '0:100:10');
  // --primes, --seeds and --data-seeds pick among the listed variants; none left is an error.
  const pick = (o: Parameters<typeof resolveGrid>[0]) => planGrid(resolveGrid({ preset: 'miscope-30', ...o }), DEFAULTS).map((r) => `${r.p}/${r.seed}/${r.dataSeed}`);
  assert.deepEqual(pick({ primes: [113] }), want.filter((x) => x.startsWith('113/')));
  assert.deepEqual(pick({ primes: [59, 97], dataSeeds: [598] }), ['59/485/598', '59/999/598', '97/485/598', '97/999/598']);
  assert.deepEqual(pick({ primes: [89], seeds: [999], jitters: [0, 1] }).length, 2);
  assert.throws(() => resolveGrid({ preset: 'miscope-30', primes: [89], seeds: [485] }), badInputMatching(/no variant/));
});
