import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { symmetricEigenJacobi as symmetricEigen } from '../../../src/math/linalg.js';
import { aliasRegime, frequencyCompatibility, minCentroidDistance, sumCounts, viability } from '../../../src/analysis/library/viability.js';
import { makeSplit } from '../../../src/data/dataset.js';
import { packageRoot } from '../../../src/engine/native.js';
import { grokbenchError } from '../../helpers/errors.js';
import { relClose } from '../further-helpers.js';

test('aliasing risk is k/((p−1)/2) with MIScope\'s regimes: > 0.80 failure, > 0.72 warning', () => {
  const v = viability(113, [14, 41, 52], null);
  assert.deepEqual(v.per_frequency.map((f) => f.aliasing_risk), [14 / 56, 41 / 56, 52 / 56]);
  relClose(v.max_alias, 52 / 56, 1e-15, 'max');
  relClose(v.mean_alias, 107 / 168, 1e-15, 'mean');
  assert.equal(v.regime, 'aliasing_failure');
  assert.equal(aliasRegime(0.8), 'aliasing_warning');
  assert.equal(aliasRegime(0.72), 'ok');
  assert.equal(aliasRegime(0.7201), 'aliasing_warning');
  assert.equal(v.per_frequency[0].condition_number, null, 'no training set given');
});

test('the ideal centroids\' minimum distance is 2·min_d √(Σ_k sin²(πkd/p)) (closed form), 2 sin(π/p) for one frequency', () => {
  relClose(minCentroidDistance(113, [14]), 2 * Math.sin(Math.PI / 113), 1e-12, 'one frequency');
  for (const [p, F] of [[7, [1, 2]], [31, [3, 7, 11]], [13, [2, 5]]] as [number, number[]][]) {
    let best = Infinity;
    for (let d = 1; d < p; d++) best = Math.min(best, 2 * Math.sqrt(F.reduce((s, k) => s + Math.sin((Math.PI * k * d) / p) ** 2, 0)));
    relClose(minCentroidDistance(p, F), best, 1e-12, `p=${p} {${F}}`);
  }
});

test('data compatibility: the Gram condition number equals the dense eigen-solver\'s on a pair-by-pair Gram; all p² pairs give 1 and an even phase histogram', () => {
  const p = 31;
  const train = makeSplit(p, 0.3, 598).train;
  const counts = sumCounts(p, train);
  for (const k of [1, 5, 15]) {
    const G = [0, 0, 0, 0];
    for (const i of train) {
      const s = (Math.floor(i / p) + (i % p)) % p, th = (2 * Math.PI * k * s) / p;
      const c = Math.cos(th), sn = Math.sin(th);
      G[0] += c * c; G[1] += c * sn; G[2] += c * sn; G[3] += sn * sn;
    }
    const ev = Array.from(symmetricEigen(G, 2).values).sort((a, b) => a - b);
    const got = frequencyCompatibility(p, k, counts);
    relClose(got.condition_number!, ev[1] / ev[0], 1e-10, `cond k=${k}`);
    relClose(got.condition_score!, 1 / (1 + Math.log10(ev[1] / ev[0])), 1e-10, `score k=${k}`);
    assert.ok(got.condition_number! > 1);
  }
  const all = Int32Array.from({ length: p * p }, (_, i) => i);
  const full = frequencyCompatibility(p, 4, sumCounts(p, all));
  relClose(full.condition_number!, 1, 1e-12, 'all pairs: Gram = (p²/2)·I');
  // 31 equally frequent phases 2π·4s/31 fall in 20 bins: 11 bins hold 2 residues, 9 hold 1.
  const q2 = 2 / 31, q1 = 1 / 31;
  relClose(full.phase_uniformity!, -(11 * q2 * Math.log(q2) + 9 * q1 * Math.log(q1)) / Math.log(20), 1e-9, 'phase entropy');
  // A training set of one residue has rank 1: the condition number is clipped at λ_max/1e-10.
  const one = frequencyCompatibility(p, 3, sumCounts(p, [0, 1 * p + 30, 2 * p + 29]));
  relClose(one.condition_number!, 3 / 1e-10, 1e-9, 'one residue');
  assert.equal(one.phase_uniformity, 0 + -(1 * Math.log(1 + 1e-12)) / Math.log(20));
});

test('bad frequency sets are one-line bad-input errors', () => {
  assert.throws(() => viability(13, [0], null), grokbenchError(2, /frequency 0 is not in 1\.\.6/));
  assert.throws(() => viability(13, [7], null), grokbenchError(2, /frequency 7/));
  assert.throws(() => viability(13, [2, 2], null), grokbenchError(2, /repeated/));
});

test('grokbench viability: JSON with the split\'s compatibility; bad input exits 2 with one line', () => {
  const bin = join(packageRoot(), 'bin', 'grokbench');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, 'viability', ...args], { encoding: 'utf8' });
  const r = run(['--p', '31', '--freqs', '5,12', '--data-seed', '598', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assert.equal(v.n_train_pairs, Math.floor(31 * 31 * 0.3));
  relClose(v.per_frequency[1].condition_number, frequencyCompatibility(31, 12, sumCounts(31, makeSplit(31, 0.3, 598).train)).condition_number!, 1e-12, 'cli cond');
  assert.equal(v.regime, 'aliasing_warning'); // 12/15 = 0.8: above 0.72, not above 0.80
  for (const bad of [['--p', '30', '--freqs', '2'], ['--p', '31', '--freqs', '16'], ['--p', '31', '--freqs', 'x'], ['--p', '31']]) {
    const e = run(bad);
    assert.equal(e.status, 2, bad.join(' '));
    assert.match(e.stderr, /^grokbench: [^\n]*\n$/);
    assert.equal(e.stdout, '');
  }
});
