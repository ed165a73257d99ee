/**
 * The cross-entropy as the reference computes it (issue 9 §2): in both engines every element of
 * dLogits is the float32 rounding of its float64 value, and the loss keeps its relative precision
 * at per-sample losses of 1e-6…1e-10. The oracle here is independent of the engines' code: libm's
 * Math.exp, a plain left-to-right sum, and the gradient formed as scale·e_j/z in float64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeForTests } from '../helpers/native.js';
import { ReferenceKernels, exp64 } from '../../src/engine/reference.js';
import type { Kernels } from '../../src/engine/kernels.js';
import { fillRandom } from '../helpers/plain-model.js';

const native = nativeForTests();
const ref = new ReferenceKernels('f32');
const engines: [string, Kernels | null, string][] = [
  ['typescript', ref, ''],
  ['native', native.kernels, native.reason],
];

/** Distance in float32 units in the last place between two float32 values of the same sign. */
function ulps(a: number, b: number): number {
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  if (Math.sign(a) !== Math.sign(b) && a !== 0 && b !== 0) return Infinity;
  return Math.abs(i[0] - i[1]);
}

/** The float64 oracle for one row: loss and the float32 rounding of each gradient element. */
function oracle(row: Float32Array, t: number, scale: number): { loss: number; d: Float32Array } {
  const V = row.length;
  let m = -Infinity;
  for (const x of row) m = Math.max(m, x);
  const e = Array.from(row, (x) => Math.exp(x - m));
  let rest = 0;
  for (let j = 0; j < V; j++) if (j !== t) rest += e[j];
  const z = rest + e[t];
  // −log(e_t / z): log1p(rest) when e_t = 1, else log z − (l_t − m); both exact identities.
  const loss = e[t] === 1 ? Math.log1p(rest) : Math.log(z) - (row[t] - m);
  const d = Float32Array.from(e, (ej, j) => (j === t ? -scale * rest / z : scale * ej / z));
  // The contract's flush: float32 values below 2^-126 in magnitude are +0.
  for (let j = 0; j < V; j++) if (Math.abs(d[j]) < 2 ** -126) d[j] = 0;
  return { loss, d };
}

/**
 * Rows of p=113 logits whose per-sample loss is about `loss` (target at the maximum, the others
 * log(loss/(V−1)) below it with a jitter), plus ordinary rows (random logits, target anywhere).
 */
function rows(V: number): { logits: Float32Array; targets: Int32Array; kind: string[] } {
  const kinds: string[] = [];
  const out: number[] = [];
  const tg: number[] = [];
  const jitter = new Float32Array(V * 50);
  fillRandom(jitter, 7, 1);
  let r = 0;
  for (const loss of [1e-6, 3e-7, 1e-7, 3e-8, 1e-8, 1e-9, 1e-10]) {
    for (let k = 0; k < 4; k++, r++) {
      const t = (r * 37) % V;
      const base = Math.log(loss / (V - 1));
      for (let j = 0; j < V; j++) out.push(j === t ? 2.5 : 2.5 + base + 0.5 * jitter[r * V + j]);
      tg.push(t); kinds.push(`loss≈${loss}`);
    }
  }
  // Margins of 76–90: the wrong classes' gradients straddle 2^-126 (flushed below it).
  for (const margin of [76, 79, 82, 85, 88, 90]) {
    const t = (r * 37) % V;
    for (let j = 0; j < V; j++) out.push(j === t ? 2.5 : 2.5 - margin + 3 * jitter[r * V + j]);
    tg.push(t); kinds.push(`margin≈${margin}`); r++;
  }
  for (let k = 0; k < 8; k++, r++) {
    for (let j = 0; j < V; j++) out.push(4 * jitter[r * V + j]);
    tg.push((r * 11) % V); kinds.push('ordinary');
  }
  return { logits: Float32Array.from(out), targets: Int32Array.from(tg), kind: kinds };
}

for (const [name, k, reason] of engines) {
  test(`${name} cross-entropy: dLogits within 1 float32 ulp of the float64 value (+0 below 2^-126) and the loss within 1e-12 relative, at per-sample losses 1e-6…1e-10 and margins to 90`,
    { skip: k ? false : `native engine not loaded: ${reason}` }, () => {
      const V = 113, scale = 1 / 3830;
      const { logits, targets, kind } = rows(V);
      const N = targets.length;
      let tiny = 0, flushed = 0, kept = 0;
      for (let n = 0; n < N; n++) {
        const row = logits.subarray(n * V, (n + 1) * V);
        const want = oracle(row, targets[n], scale);
        const d = new Float32Array(V);
        const { lossSum, correct } = k!.crossEntropy(1, V, row, targets.subarray(n, n + 1), d, scale);
        if (kind[n] !== 'ordinary') { assert.equal(correct, 1); if (want.loss < 1e-8) tiny++; }
        assert.ok(Math.abs(lossSum - want.loss) <= 1e-12 * want.loss, `${kind[n]} row ${n}: loss ${lossSum} vs ${want.loss}`);
        for (let j = 0; j < V; j++) {
          if (kind[n].startsWith('margin') && j !== targets[n]) {
            const exact = scale * Math.exp(row[j] - row[targets[n]]);
            if (exact < 0.99 * 2 ** -126) { flushed++; assert.ok(Object.is(d[j], 0), `${kind[n]} row ${n} j=${j}: ${d[j]} (exact ${exact}) is not flushed to +0`); }
            else if (exact > 1.01 * 2 ** -126) kept++;
          }
          assert.ok(ulps(d[j], want.d[j]) <= 1, `${kind[n]} row ${n} j=${j}${j === targets[n] ? ' (target)' : ''}: ${d[j]} vs ${want.d[j]}`);
        }
      }
      assert.ok(tiny >= 8, 'the rows reach per-sample losses below 1e-8');
      assert.ok(flushed > 50 && kept > 50, `the margin rows straddle 2^-126 (${flushed} flushed, ${kept} kept)`);
    });
}

test('the old float32 correct-class gradient (scale/z − scale) is off by far more than 1 ulp at small losses', () => {
  const V = 113, scale = 1 / 3830;
  const { logits, targets, kind } = rows(V);
  let failing = 0, small = 0;
  for (let n = 0; n < targets.length; n++) {
    if (!kind[n].startsWith('loss')) continue;
    small++;
    const row = logits.subarray(n * V, (n + 1) * V), t = targets[n];
    const want = oracle(row, t, scale);
    let m = -Infinity;
    for (const x of row) m = Math.max(m, x);
    let z = 0;
    for (const x of row) z += Math.fround(Math.exp(x - m));
    const s = Math.fround(scale / z);
    const old = Math.fround(Math.fround(Math.fround(Math.exp(row[t] - m)) * s) - Math.fround(scale));
    if (ulps(old, want.d[t]) > 1) failing++;
  }
  // Every row with loss ≤ 1e-6 fails the 1-ulp bound with the old formula (quantised or zero).
  assert.equal(failing, small, `${failing} of ${small} small-loss rows fail with the old formula`);
});

test('exp64 is within 2.5e-16 relative of libm exp on [-708, 0] and 0 below', () => {
  let worst = 0;
  for (let i = 0; i <= 200000; i++) {
    const x = -708 * (i / 200000) ** 1.5;
    const want = Math.exp(x);
    worst = Math.max(worst, Math.abs(exp64(x) - want) / want);
  }
  assert.ok(worst <= 2.5e-16, `worst relative error ${worst}`);
  assert.equal(exp64(0), 1);
  assert.equal(exp64(-709), 0);
});

test('native cross-entropy gives the TypeScript reference\'s bits: dLogits equal (vector body and scalar tail alike), loss to 1e-15',
  { skip: native.skip }, () => {
    for (const V of [1, 2, 7, 8, 9, 15, 16, 17, 31, 113, 127]) {
      const N = 64, logits = new Float32Array(N * V);
      fillRandom(logits, V, 12);
      const targets = Int32Array.from({ length: N }, (_, i) => (i * 5) % V);
      const d1 = new Float32Array(N * V), d2 = new Float32Array(N * V);
      const a = native.kernels!.crossEntropy(N, V, logits, targets, d1, 1 / N);
      const b = ref.crossEntropy(N, V, logits, targets, d2, 1 / N);
      assert.deepEqual(d1, d2, `V=${V}`);
      assert.equal(a.correct, b.correct);
      assert.ok(Math.abs(a.lossSum - b.lossSum) <= 1e-15 * Math.abs(b.lossSum) + 1e-300, `V=${V}: ${a.lossSum} vs ${b.lossSum}`);
    }
  });
