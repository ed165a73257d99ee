/**
 * Issue 12 items 1 and 2 in the engines: the cross-entropy is right at any thread count up to the
 * cap, the cap is enforced with a clear error, and out-of-range token or target indices throw a
 * RangeError instead of reading or writing outside the buffers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeForTests } from '../helpers/native.js';
import { ReferenceKernels } from '../../src/engine/reference.js';
import { MAX_THREADS, type Kernels } from '../../src/engine/kernels.js';
import { validateThreads } from '../../src/engine/index.js';
import { GrokbenchError } from '../../src/core/errors.js';
import { fillRandom } from '../helpers/plain-model.js';

const native = nativeForTests();
const skip = native.skip;
const engines: [string, Kernels | null, string][] = [
  ['typescript', new ReferenceKernels('f32'), ''],
  ['native', native.kernels, native.reason],
];

test('native cross-entropy loss and accuracy are the same at 1, 2, 65 and 100 threads', { skip }, () => {
  const k = native.kernels!;
  const before = k.getThreads();
  const N = 3000, V = 113;
  const logits = new Float32Array(N * V);
  fillRandom(logits, 3, 6);
  const targets = Int32Array.from({ length: N }, (_, i) => (i * 31) % V);
  try {
    const results = [1, 2, 65, 100].map((t) => { k.setThreads(t); return k.crossEntropy(N, V, logits, targets, null, 0); });
    for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
  } finally {
    k.setThreads(before);
  }
});

test(`thread counts outside 1..${MAX_THREADS} are refused by both engines and by --threads validation`, () => {
  for (const [name, k, reason] of engines) {
    if (!k) { console.log(`# native engine part skipped: ${reason}`); continue; }
    const before = k.getThreads();
    for (const bad of [0, MAX_THREADS + 1, 100000]) assert.throws(() => k.setThreads(bad), RangeError, `${name} setThreads(${bad})`);
    k.setThreads(MAX_THREADS);
    k.setThreads(before);
  }
  assert.throws(() => validateThreads(MAX_THREADS + 1), (e: unknown) => e instanceof GrokbenchError && e.exitCode === 2 &&
    e.message === `--threads must be between 1 and ${MAX_THREADS}, got ${MAX_THREADS + 1}`);
  validateThreads(MAX_THREADS);
  validateThreads(undefined);
});

for (const [name, k, reason] of engines) {
  test(`${name} kernels throw a RangeError on token or target indices outside [0, p) and write nothing`, { skip: k ? false : `native engine not loaded: ${reason}` }, () => {
    const N = 4, H = 2, p = 7, width = 16, R = 2 * p + 1;
    const S = new Float32Array(H * R), T = new Float32Array(H * R * width), base = new Float32Array(width);
    fillRandom(S, 1, 1); fillRandom(T, 2, 1);
    const w = new Float32Array(N * H * 3).fill(1 / 3), dOut = new Float32Array(N * width).fill(1);
    for (const bad of [-1, p, 1 << 30]) {
      for (const which of ['a', 'b']) {
        const a = Int32Array.from([0, 1, 2, 3]), b = Int32Array.from([3, 2, 1, 0]);
        (which === 'a' ? a : b)[2] = bad;
        const wOut = new Float32Array(N * H * 3);
        assert.throws(() => k!.attnWeights(N, H, p, a, b, S, wOut), RangeError);
        assert.ok(wOut.every((x) => x === 0), 'attnWeights wrote nothing');
        const out = new Float32Array(N * width);
        assert.throws(() => k!.mixTokens(N, H, p, width, a, b, w, T, base, out, true, null), RangeError);
        assert.ok(out.every((x) => x === 0), 'mixTokens wrote nothing');
        const dT = new Float32Array(H * R * width), dS = new Float32Array(H * R);
        assert.throws(() => k!.mixTokensBackward(N, H, p, width, a, b, w, T, dOut, dT, dS), RangeError);
        assert.ok(dT.every((x) => x === 0) && dS.every((x) => x === 0), 'mixTokensBackward wrote nothing');
        const mw = new Float32Array(N * H * 3), post = new Float32Array(N * width), dl = new Float32Array(N * p);
        const OU = new Float32Array(H * R * p), WoutU = new Float32Array(width * p), tg = new Int32Array(N);
        assert.throws(() => k!.mlpLoss(N, H, p, width, a, b, S, mw, T, base, post, OU, new Float32Array(p), WoutU, tg, dl, 1), RangeError);
        assert.ok(mw.every((x) => x === 0) && post.every((x) => x === 0) && dl.every((x) => x === 0), 'mlpLoss wrote nothing');
        const dpre = new Float32Array(N * width), dP = new Float32Array(H * R * width), dS2 = new Float32Array(H * R), db = new Float32Array(width);
        assert.throws(() => k!.mlpBackward(N, H, p, width, a, b, w, T, post, dl, WoutU, dpre, dP, dS2, db), RangeError);
        assert.ok([dpre, dP, dS2, db].every((v) => v.every((x) => x === 0)), 'mlpBackward wrote nothing');
      }
      const logits = new Float32Array(N * p), d = new Float32Array(N * p);
      const targets = Int32Array.from([0, 1, bad, 3]);
      assert.throws(() => k!.crossEntropy(N, p, logits, targets, d, 1), RangeError);
      assert.ok(d.every((x) => x === 0), 'crossEntropy wrote nothing');
      const a = Int32Array.from([0, 1, 2, 3]), b = Int32Array.from([3, 2, 1, 0]);
      const post = new Float32Array(N * width);
      assert.throws(() => k!.mlpLoss(N, H, p, width, a, b, S, null, T, base, post, new Float32Array(H * R * p), new Float32Array(p),
        new Float32Array(width * p), targets, d, 1), RangeError);
      assert.ok(d.every((x) => x === 0) && post.every((x) => x === 0), 'mlpLoss wrote nothing');
    }
  });
}
