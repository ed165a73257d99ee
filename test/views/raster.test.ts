/** allNeuronMapIndices (the dashboard's fast path) gives every neuron the bytes and range neuronMapIndices gives it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../src/math/stats.js';
import { allNeuronMapIndices, neuronMapIndices } from '../../src/views/raster.js';

test('all neurons at once equal one neuron at a time (NaN cells, constant and all-NaN neurons included)', () => {
  for (const [p, m] of [[11, 7], [13, 32], [23, 5]] as const) {
    const rand = seededRandom(p * 100 + m);
    const maps = new Float32Array(p * p * m);
    for (let i = 0; i < maps.length; i++) maps[i] = (rand() - 0.3) * 5;
    for (let i = 0; i < p * p; i++) { maps[i * m + 1] = 0.25; maps[i * m + 2] = NaN; } // constant, all-NaN
    for (let i = 0; i < p * p; i += 7) maps[i * m + 3] = NaN; // some NaN cells
    const all = allNeuronMapIndices(maps, p, m);
    for (let n = 0; n < m; n++) {
      const one = neuronMapIndices(maps, p, m, n);
      assert.deepEqual(all.indices.subarray(n * p * p, (n + 1) * p * p), one.indices, `p=${p} neuron ${n}`);
      assert.equal(all.min[n], Math.fround(one.min));
      assert.equal(all.max[n], Math.fround(one.max));
    }
  }
});
