/** `grokbench ablate` through the real command line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKernels } from '../../src/engine/index.js';
import { DEFAULTS } from '../../src/config/config.js';
import { Store } from '../../src/store/store.js';
import { train } from '../../src/train/trainer.js';
import { runCli } from '../helpers/cli.js';

const cli = (args: string[]) => runCli(args);

test('ablate --json reports the selected neurons, unablated and ablated test numbers and three curves; bad input is one line, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-ablate-'));
  try {
    const store = Store.open(dir);
    const r = train(store, loadKernels({ threads: 1 }), { ...DEFAULTS, p: 11, dModel: 16, dMlp: 24, nHeads: 2, dHead: 8, epochs: 20, checkpointEvery: 10 });
    store.close();
    const out = cli(['ablate', r.run_id, '--store', dir, '--epoch', '10', '--neurons', 'top:5', '--by', 'specialization', '--mode', 'mean', '--json']);
    assert.equal(out.status, 0, out.stderr);
    const j = JSON.parse(out.stdout);
    assert.deepEqual(Object.keys(j), ['run_id', 'epoch', 'p', 'd_mlp', 'by', 'mode', 'low_freqs', 'evaluated_on', 'selector', 'neurons',
      'unablated', 'ablated', 'chance_acc', 'curves']);
    assert.equal(j.epoch, 10); assert.equal(j.neurons.length, 5); assert.equal(j.evaluated_on, 'test');
    assert.ok(Math.abs(j.chance_acc - 1 / 11) < 1e-15);
    assert.equal(j.curves.most_first.length, j.curves.random.length);
    assert.equal(j.curves.most_first.at(-1).ablated, 24);
    assert.equal(j.curves.most_first[0].loss, j.unablated.test_loss);
    const sqlite = statSync(join(dir, 'grokbench.sqlite')).mtimeMs;
    for (const args of [['nope', '--neurons', '1'], [r.run_id, '--neurons', '30'], [r.run_id, '--neurons', '1', '--epoch', '7'],
      [r.run_id, '--neurons', 'top:x'], [r.run_id, '--neurons', '1', '--mode', 'half'], [r.run_id]]) {
      const bad = cli(['ablate', ...args, '--store', dir]);
      assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, /^grokbench: [^\n]+\n$/);
    }
    assert.equal(statSync(join(dir, 'grokbench.sqlite')).mtimeMs, sqlite, 'the store is not written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
