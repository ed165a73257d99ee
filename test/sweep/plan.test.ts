import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addSettings, settingsToConfig } from '../../src/cli/settings.js';
import { GrokbenchError } from '../../src/errors.js';
import { DEFAULTS, type TrainConfig, runId } from '../../src/model/config.js';
import { defaultParallelism, planSweep, resolveGrid, trainArgs } from '../../src/sweep/plan.js';

function badInputMatching(re: RegExp) {
  return (err: unknown) => err instanceof GrokbenchError && err.exitCode === 2 && re.test(err.message) && !err.message.includes('\n');
}

test('the preset gives the seed experiment grid, and explicit --primes/--seeds override it', () => {
  assert.deepEqual(resolveGrid({ preset: 'seed-experiment' }), { primes: [97, 101, 109, 113], seeds: [485, 999] });
  assert.deepEqual(resolveGrid({ preset: 'seed-experiment', primes: [11] }), { primes: [11], seeds: [485, 999] });
  assert.deepEqual(resolveGrid({ primes: [13, 11, 13], seeds: [2, 2, 1] }), { primes: [13, 11], seeds: [2, 1] });
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
  };
  for (const run of planSweep([15, 101], [0, 4294967295], template)) {
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
