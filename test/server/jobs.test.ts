/** The analysis job form: run ids, unique prefixes or all, resolved as the command line resolves them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { jobArgs } from '../../src/server/jobs.js';
import { buildFixtureStore } from '../report/fixture.js';

test('an analysis job takes run ids, unique prefixes or all; an ambiguous or unknown prefix is refused in one line', async () => {
  const f = await buildFixtureStore([
    { p: 11, seed: 1, grokAt: 200, epochs: 100, checkpointEvery: 50, keys: [2] },
    { p: 13, seed: 1, grokAt: null, epochs: 100, checkpointEvery: 50, keys: [3] },
  ]);
  try {
    assert.deepEqual(jobArgs('analyze', { runs: 'p11' }, f.store).args, ['analyze', 'p11-s1-fixture']);
    assert.deepEqual(jobArgs('analyze', { runs: 'p13-s1-fixture, p11' }, f.store).runIds, ['p13-s1-fixture', 'p11-s1-fixture']);
    assert.deepEqual(jobArgs('analyze', { runs: 'all' }, f.store).runIds.sort(), ['p11-s1-fixture', 'p13-s1-fixture']);
    assert.deepEqual(jobArgs('analyze', { runs: 'p11,p11-s1-fixture' }, f.store).runIds, ['p11-s1-fixture'], 'one run named twice is one run');
    assert.throws(() => jobArgs('analyze', { runs: 'p1' }, f.store), /run p1 is ambiguous.*p11-s1-fixture, p13-s1-fixture/);
    assert.throws(() => jobArgs('analyze', { runs: 'p17' }, f.store), /no run p17/);
    assert.throws(() => jobArgs('analyze', { runs: ' ' }, f.store), /name at least one run/);
    assert.deepEqual(jobArgs('analyze', { runs: 'p11', analyzers: 'llc, attention' }, f.store).args, ['analyze', '--analyzers', 'llc,attention', 'p11-s1-fixture']);
    assert.throws(() => jobArgs('analyze', { runs: 'p11', analyzers: 'llc,nonesuch' }, f.store), /unknown analyzer nonesuch \(known: neuron_fourier, /);
  } finally {
    f.store.close();
    rmSync(f.dir, { recursive: true, force: true });
  }
});
