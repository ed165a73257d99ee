/** --jitter: each value moves to a float32 neighbour or stays, deterministically per J. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MT19937, torchNormal_, ulpJitter } from '../../src/core/rng.js';

function weights(n: number, seed: number): Float32Array {
  return torchNormal_(new Float32Array(n), 0, 0.0707, new MT19937(seed));
}

/** Independent: y is x, or a float32 adjacent to x (no float32 strictly between them), by bits. */
function ulpSteps(x: number, y: number): number {
  const bits = (v: number) => { const dv = new DataView(new ArrayBuffer(4)); dv.setFloat32(0, v); return dv.getInt32(0); };
  // Map float32 bit patterns to a monotonic integer line (negative floats reversed).
  const ord = (v: number) => { const b = bits(v); return b < 0 ? -(b & 0x7fffffff) : b; };
  return ord(y) - ord(x);
}

test('jitter moves each value by -1, 0 or +1 ulp, about a third each, and J=0 changes nothing', () => {
  const x = weights(30000, 7);
  x[5] = 0; x[6] = 1; x[7] = -1; x[8] = 2 ** -126; x[9] = -3.4e38;
  const y = Float32Array.from(x);
  ulpJitter([y], 3);
  const counts = new Map<number, number>();
  for (let i = 0; i < x.length; i++) {
    const d = ulpSteps(x[i], y[i]);
    assert.ok(d >= -1 && d <= 1, `value ${i}: ${x[i]} → ${y[i]} (${d} ulps)`);
    if (d !== 0) assert.ok(Math.abs(y[i] - x[i]) <= Math.abs(x[i]) * 2 ** -23, `value ${i}: within one ulp of its size`);
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  assert.equal(y[5], 0, 'a zero stays zero');
  for (const d of [-1, 0, 1]) {
    const share = (counts.get(d) ?? 0) / x.length;
    assert.ok(Math.abs(share - 1 / 3) < 0.02, `share of ${d}: ${share}`);
  }
  const z = Float32Array.from(x);
  ulpJitter([z], 0);
  assert.deepEqual(z, x);
});

test('jitter is deterministic per J, differs between J values, and runs one pattern across tensors', () => {
  const x = weights(5000, 11);
  const run = (j: number): Float32Array => { const y = Float32Array.from(x); ulpJitter([y], j); return y; };
  assert.deepEqual(run(1), run(1));
  const a = run(1), b = run(2);
  let differ = 0;
  for (let i = 0; i < x.length; i++) if (a[i] !== b[i]) differ++;
  assert.ok(differ > x.length / 2, `J=1 and J=2 differ at ${differ} of ${x.length} values`);
  // Split into two tensors: the same values move as in one tensor.
  const p1 = x.slice(0, 1234), p2 = x.slice(1234);
  ulpJitter([p1, p2], 1);
  assert.deepEqual(Float32Array.from([...p1, ...p2]), a);
});
