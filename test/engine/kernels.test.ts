/**
 * Every kernel of the native engine against the TypeScript reference on the same inputs
 * ("arrays close"), and a full lossAndGrad through both engines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeForTests } from '../helpers/native.js';
import { ReferenceKernels } from '../../src/engine/reference.js';
import type { Kernels } from '../../src/engine/kernels.js';
import { GradWorkspace, Workspace, computeTables, lossAndGrad, makeBatch } from '../../src/model/model.js';
import { Params } from '../../src/model/params.js';
import { fillRandom } from '../helpers/plain-model.js';

const nt = nativeForTests();
const native = nt.kernels;
const ref = new ReferenceKernels('f32');
const skip = nt.skip;

function rand(n: number, seed: number, scale = 1): Float32Array {
  const v = new Float32Array(n); fillRandom(v, seed, scale); return v;
}
function close(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  assert.ok(worst <= tol, `${what}: worst relative difference ${worst}`);
}
function both(f: (k: Kernels) => Float32Array[]): [Float32Array[], Float32Array[]] {
  return [f(native!), f(ref)];
}

test('native gemm agrees with the reference for all transpose combinations', { skip }, () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const M = 37, N = 29, K = 53;
    const A = rand(M * K, 1), B = rand(K * N, 2), C0 = rand(M * N, 3);
    const [[x], [y]] = both((k) => { const C = C0.slice(); k.gemm(ta, tb, M, N, K, 0.7, A, B, 0.3, C); return [C]; });
    close(x, y, 1e-5, `gemm ${ta} ${tb}`);
  }
});

test('native element-wise kernels agree with the reference', { skip }, () => {
  const N = 50, H = 3, p = 11, width = 17, R = 2 * p + 1;
  const a = Int32Array.from({ length: N }, (_, i) => (i * 7) % p), b = Int32Array.from({ length: N }, (_, i) => (i * 3 + 1) % p);
  const S = rand(H * R, 4), T = rand(H * R * width, 5), base = rand(width, 6), dOut = rand(N * width, 7);
  const [w1, w2] = both((k) => { const w = new Float32Array(N * H * 3); k.attnWeights(N, H, p, a, b, S, w); return [w]; });
  close(w1[0], w2[0], 1e-6, 'attnWeights');
  const w = w2[0];
  for (const relu of [false, true]) {
    const [x, y] = both((k) => { const out = new Float32Array(N * width), pre = new Float32Array(N * width); k.mixTokens(N, H, p, width, a, b, w, T, base, out, relu, pre); return [out, pre]; });
    close(x[0], y[0], 1e-5, `mixTokens relu=${relu}`); close(x[1], y[1], 1e-5, 'mixTokens pre');
  }
  const [x, y] = both((k) => { const dT = rand(H * R * width, 8), dS = rand(H * R, 9); k.mixTokensBackward(N, H, p, width, a, b, w, T, dOut, dT, dS); return [dT, dS]; });
  close(x[0], y[0], 1e-5, 'mixTokensBackward dT'); close(x[1], y[1], 1e-5, 'mixTokensBackward dS');
  const [r1, r2] = both((k) => { const A = rand(N * width, 10); k.addRow(N, width, A, base); const pre = rand(N * width, 11); const d = rand(N * width, 12); k.reluBackward(N * width, pre, d); const cs = rand(width, 13); k.colSum(N, width, A, cs, true); return [A, d, cs]; });
  r1.forEach((v, i) => close(v, r2[i], 1e-6, `addRow/reluBackward/colSum ${i}`));
  const V = 13, logits = rand(N * V, 14, 5), targets = Int32Array.from({ length: N }, (_, i) => (i * 5) % V);
  const dl1 = new Float32Array(N * V), dl2 = new Float32Array(N * V);
  const c1 = native!.crossEntropy(N, V, logits, targets, dl1, 1 / N), c2 = ref.crossEntropy(N, V, logits, targets, dl2, 1 / N);
  assert.ok(Math.abs(c1.lossSum - c2.lossSum) < 1e-9 * N * 10, `loss ${c1.lossSum} vs ${c2.lossSum}`);
  assert.equal(c1.correct, c2.correct);
  close(dl1, dl2, 1e-7, 'crossEntropy gradient');
});

test('native AdamW step agrees with the reference', { skip }, () => {
  const n = 1000, ranges = Int32Array.from([0, 400, 600, 1000]);
  const [x, y] = both((k) => {
    const P = rand(n, 20), G = rand(n, 21), M = rand(n, 22, 0.1), Vv = rand(n, 23, 0.01).map(Math.abs);
    for (let step = 1; step <= 3; step++) k.adamw(ranges, P, G, M, Vv, 1e-3, 0.9, 0.98, 1e-8, 1.0, step);
    return [P, M, Vv];
  });
  x.forEach((v, i) => close(v, y[i], 1e-6, `adamw ${i}`));
});

test('a full loss and gradient agree between the engines', { skip }, () => {
  const config = { p: 13, dModel: 16, nHeads: 4, dHead: 4, dMlp: 32, act: 'relu' as const };
  const run = (k: Kernels) => {
    const params = Params.zeros(config, (n) => k.alloc(n)); fillRandom(params.flat, 99, 0.3);
    const grad = Params.zeros(config, (n) => k.alloc(n));
    const batch = makeBatch(config.p, Array.from({ length: 100 }, (_, i) => (i * 37) % 169));
    const r = lossAndGrad(k, params, computeTables(k, params), batch, new Workspace(k, params, batch.n), new GradWorkspace(k, params, batch.n), grad);
    return { loss: r.loss, grad: grad.flat as Float32Array };
  };
  const a = run(native!), b = run(ref);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `${a.loss} vs ${b.loss}`);
  close(a.grad, b.grad, 1e-5, 'gradient');
});

test('the fused mlpLoss and mlpBackward give, bit for bit, the separate kernels\' weights, activations, loss, accuracy and gradients', { skip }, () => {
  const k = native!;
  for (const [N, H, p, m] of [[3830, 4, 113, 512], [77, 3, 13, 40], [9, 1, 5, 600]]) {
    const R = 2 * p + 1;
    const a = Int32Array.from({ length: N }, (_, i) => (i * 11) % p), b = Int32Array.from({ length: N }, (_, i) => (i * 5 + 2) % p);
    const tg = Int32Array.from({ length: N }, (_, i) => (a[i] + b[i]) % p);
    const S = rand(H * R, 1, 2), P = rand(H * R * m, 2), basePre = rand(m, 3), OU = rand(H * R * p, 4), baseU = rand(p, 5), WoutU = rand(m * p, 6, 0.2);
    // The separate kernels.
    const w0 = new Float32Array(N * H * 3), post0 = new Float32Array(N * m), logits = new Float32Array(N * p), dl0 = new Float32Array(N * p);
    k.attnWeights(N, H, p, a, b, S, w0);
    k.mixTokens(N, H, p, m, a, b, w0, P, basePre, post0, true, null);
    k.mixTokens(N, H, p, p, a, b, w0, OU, baseU, logits, false, null);
    k.gemm(false, false, N, p, m, 1, post0, WoutU, 1, logits);
    const r0 = k.crossEntropy(N, p, logits, tg, dl0, 1 / N);
    // Fused, with the training outputs and without.
    const w1 = new Float32Array(N * H * 3), post1 = new Float32Array(N * m), dl1 = new Float32Array(N * p);
    const r1 = k.mlpLoss(N, H, p, m, a, b, S, w1, P, basePre, post1, OU, baseU, WoutU, tg, dl1, 1 / N);
    const r2 = k.mlpLoss(N, H, p, m, a, b, S, null, P, basePre, null, OU, baseU, WoutU, tg, null, 0);
    assert.deepEqual(w1, w0, `w ${N}`);
    assert.deepEqual(post1, post0, `post ${N}`);
    assert.deepEqual(dl1, dl0, `dLogits ${N}`);
    assert.equal(r1.lossSum, r0.lossSum); assert.equal(r1.correct, r0.correct);
    assert.equal(r2.lossSum, r0.lossSum); assert.equal(r2.correct, r0.correct);
    // The backward: the separate kernels, then mlpBackward with dpre kept and without.
    const dpre0 = new Float32Array(N * m), dP0 = new Float32Array(H * R * m), dS0 = rand(H * R, 7, 0.1), db0 = new Float32Array(m);
    k.gemm(false, true, N, m, p, 1, dl0, WoutU, 0, dpre0);
    k.reluBackward(N * m, post0, dpre0);
    k.mixTokensBackward(N, H, p, m, a, b, w0, P, dpre0, dP0, dS0);
    k.colSum(N, m, dpre0, db0, false);
    for (const keep of [true, false]) {
      const dpre1 = keep ? new Float32Array(N * m) : null, dP1 = new Float32Array(H * R * m), dS1 = rand(H * R, 7, 0.1), db1 = new Float32Array(m);
      k.mlpBackward(N, H, p, m, a, b, w1, P, post1, dl1, WoutU, dpre1, dP1, dS1, db1);
      if (dpre1) assert.deepEqual(dpre1, dpre0, `dpre ${N}`);
      assert.deepEqual(dP1, dP0, `dP ${N} ${keep}`);
      assert.deepEqual(dS1, dS0, `dS ${N} ${keep}`);
      assert.deepEqual(db1, db0, `dBasePre ${N} ${keep}`);
    }
  }
});
