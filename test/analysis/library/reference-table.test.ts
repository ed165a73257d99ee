import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceTable } from '../../../src/analysis/library/reference-table.js';

test('reference table: plain maps score 1 when k ≤ K and 0 otherwise, for every pattern', () => {
  const p = 11;
  const rows = referenceTable(p, 6);
  assert.equal(rows.length, 5 * 3 * 2);
  for (const r of rows.filter((x) => !x.relu)) {
    assert.equal(r.coarseness.length, 6);
    r.coarseness.forEach((c, i) => assert.ok(Math.abs(c - (r.k <= i + 1 ? 1 : 0)) < 1e-12, `${r.pattern} k=${r.k} K=${i + 1}: ${c}`));
  }
});

test('ReLU folds high frequencies back to low ones: relu(cos(2πk·a/p)) with k = (p−1)/2 has its harmonic 2k ≡ −1 in block 1', () => {
  const p = 11, kHigh = 5;
  const rows = referenceTable(p, 6);
  const get = (k: number, pattern: string, relu: boolean) => rows.find((r) => r.k === k && r.pattern === pattern && r.relu === relu)!;
  const plain = get(kHigh, 'cos(a)', false), rel = get(kHigh, 'cos(a)', true);
  assert.ok(Math.abs(plain.coarseness[0]) < 1e-12);
  assert.ok(rel.coarseness[0] > 0.05, `relu K=1 coarseness ${rel.coarseness[0]}`);
  // relu(cos) of k = 1 keeps most variance at k = 1 and its harmonics 2, 3, … raise coarseness as K grows.
  const low = get(1, 'cos(a)', true);
  assert.ok(low.coarseness[0] > 0.7 && low.coarseness[0] < 1);
  for (let i = 1; i < 6; i++) assert.ok(low.coarseness[i] >= low.coarseness[i - 1] - 1e-12);
  for (const r of rows) for (const c of r.coarseness) assert.ok(c >= 0 && c <= 1);
});
