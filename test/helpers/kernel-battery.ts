/**
 * A fixed battery of kernel calls on pseudo-random inputs, for comparing engines, kernel paths and
 * thread counts bit for bit. `runBattery(k)` returns every output array (and the cross-entropy's
 * loss sums separately, as libm's and V8's log may differ in the last bit). Run as a script
 * (`node kernel-battery.js THREADS`) it loads the native engine (GROKBENCH_KERNELS picks the path)
 * and prints one JSON line: the path, the SHA-256 of the outputs and the loss sums.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Kernels } from '../../src/engine/kernels.js';
import { fillRandom } from './plain-model.js';

function rand(n: number, seed: number, scale = 1): Float32Array {
  const v = new Float32Array(n); fillRandom(v, seed, scale); return v;
}

export interface BatteryResult { outputs: [string, Float32Array][]; losses: number[]; correct: number[] }

export function runBattery(k: Kernels): BatteryResult {
  const outputs: [string, Float32Array][] = [];
  const losses: number[] = [], correct: number[] = [];
  let seed = 1;
  // GEMM: every transpose, alpha/beta cases, edge tiles, K across the K-blocking (512), the model's shapes.
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 5, 3], [37, 29, 53], [70, 113, 600], [200, 64, 1100], [9, 300, 31], [1, 512, 128], [64, 1, 32], [5, 3, 0]];
  for (const [M, N, K] of shapes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const [alpha, beta] of [[1, 0], [0.7, 0], [1, 1], [0.5, -0.3]]) {
        const A = rand(M * K, seed++), B = rand(K * N, seed++), C = rand(M * N, seed++);
        k.gemm(ta, tb, M, N, K, alpha, A, B, beta, C);
        outputs.push([`gemm ${M}x${N}x${K} ${ta} ${tb} ${alpha} ${beta}`, C]);
      }
    }
  }
  // Element-wise kernels at the model's widths and odd ones.
  for (const [N, H, p, width] of [[50, 3, 11, 17], [300, 4, 31, 128], [200, 4, 31, 512], [64, 2, 7, 70]]) {
    const R = 2 * p + 1;
    const a = Int32Array.from({ length: N }, (_, i) => (i * 7) % p), b = Int32Array.from({ length: N }, (_, i) => (i * 3 + 1) % p);
    const S = rand(H * R, seed++, 3), T = rand(H * R * width, seed++), base = rand(width, seed++), dOut = rand(N * width, seed++);
    const w = new Float32Array(N * H * 3);
    k.attnWeights(N, H, p, a, b, S, w);
    outputs.push([`attnWeights ${N} ${H} ${p}`, w]);
    for (const relu of [false, true]) {
      const out = new Float32Array(N * width), pre = new Float32Array(N * width);
      k.mixTokens(N, H, p, width, a, b, w, T, base, out, relu, pre);
      outputs.push([`mixTokens ${width} ${relu}`, out], [`mixTokens pre ${width} ${relu}`, pre]);
    }
    const dT = rand(H * R * width, seed++, 0.1), dS = rand(H * R, seed++, 0.1);
    k.mixTokensBackward(N, H, p, width, a, b, w, T, dOut, dT, dS);
    outputs.push([`mixTokensBackward dT ${width}`, dT], [`mixTokensBackward dS ${width}`, dS]);
    const A = rand(N * width, seed++);
    k.addRow(N, width, A, base);
    const d = rand(N * width, seed++);
    k.reluBackward(N * width, A, d);
    const cs = rand(width, seed++);
    k.colSum(N, width, A, cs, true);
    outputs.push([`addRow ${width}`, A], [`reluBackward ${width}`, d], [`colSum ${width}`, cs]);
  }
  for (const [N, V, spread] of [[100, 113, 8], [3000, 113, 30], [64, 13, 5], [50, 31, 60], [200, 113, 120], [40, 9, 150]]) {
    const logits = rand(N * V, seed++, spread), targets = Int32Array.from({ length: N }, (_, i) => (i * 5) % V);
    const dl = new Float32Array(N * V);
    const r = k.crossEntropy(N, V, logits, targets, dl, 1 / N);
    outputs.push([`crossEntropy ${N} ${V}`, dl]);
    losses.push(r.lossSum); correct.push(r.correct);
  }
  // The fused forward-to-loss kernel: row counts off the tile sizes, widths off the GEMM panels,
  // m past the K-blocking (512), with and without the training outputs.
  for (const [N, H, p, m] of [[70, 3, 11, 40], [300, 4, 31, 128], [133, 4, 31, 520], [37, 2, 7, 17], [1000, 4, 59, 512]]) {
    const R = 2 * p + 1;
    const a = Int32Array.from({ length: N }, (_, i) => (i * 7) % p), b = Int32Array.from({ length: N }, (_, i) => (i * 3 + 1) % p);
    const targets = Int32Array.from({ length: N }, (_, i) => (a[i] + b[i]) % p);
    const S = rand(H * R, seed++, 3), P = rand(H * R * m, seed++), basePre = rand(m, seed++);
    const OU = rand(H * R * p, seed++), baseU = rand(p, seed++), WoutU = rand(m * p, seed++, 0.3);
    for (const training of [true, false]) {
      const w = training ? new Float32Array(N * H * 3) : null, post = training ? new Float32Array(N * m) : null;
      const dl = training ? new Float32Array(N * p) : null;
      const r = k.mlpLoss(N, H, p, m, a, b, S, w, P, basePre, post, OU, baseU, WoutU, targets, dl, 1 / N);
      if (training) outputs.push([`mlpLoss w ${N} ${m}`, w!], [`mlpLoss post ${N} ${m}`, post!], [`mlpLoss dLogits ${N} ${m}`, dl!]);
      losses.push(r.lossSum); correct.push(r.correct);
      if (!training) continue;
      // ... and its backward, from these outputs (dpre kept and not).
      for (const keep of [true, false]) {
        const dpre = keep ? new Float32Array(N * m) : null, dP = rand(H * R * m, seed++, 0.1), dS = rand(H * R, seed++, 0.1), db = new Float32Array(m);
        k.mlpBackward(N, H, p, m, a, b, w!, P, post!, dl!, WoutU, dpre, dP, dS, db);
        outputs.push([`mlpBackward dP ${N} ${m} ${keep}`, dP], [`mlpBackward dS ${N} ${m} ${keep}`, dS], [`mlpBackward dBasePre ${N} ${m} ${keep}`, db]);
        if (dpre) outputs.push([`mlpBackward dpre ${N} ${m}`, dpre]);
      }
    }
  }
  // Sizes past the thresholds at which colSum, reluBackward and AdamW split across threads.
  {
    const M = 2500, N = 512, A = rand(M * N, seed++), cs = rand(N, seed++);
    k.colSum(M, N, A, cs, false);
    const d = rand(M * N, seed++);
    k.reluBackward(M * N, A, d);
    outputs.push(['colSum large', cs], ['reluBackward large', d]);
  }
  const n = 305000, ranges = Int32Array.from([0, 1000, 1500, 5000, 5000, 305000]);
  const P = rand(n, seed++), G = rand(n, seed++, 1e-3), M = rand(n, seed++, 1e-4), Vv = rand(n, seed++, 1e-7).map(Math.abs);
  for (let step = 1; step <= 3; step++) k.adamw(ranges, P, G, M, Vv, 1e-3, 0.9, 0.98, 1e-8, 1.0, step);
  outputs.push(['adamw P', P], ['adamw m', M], ['adamw v', Vv]);
  return { outputs, losses, correct };
}

export function digest(r: BatteryResult): string {
  const h = createHash('sha256');
  for (const [name, v] of r.outputs) { h.update(name); h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)); }
  return h.digest('hex');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { loadNative } = await import('../../src/engine/native.js');
  const { kernels, reason } = loadNative();
  if (!kernels) { process.stdout.write(JSON.stringify({ error: reason }) + '\n'); process.exit(0); }
  kernels.setThreads(Number(process.argv[2] ?? '1'));
  const r = runBattery(kernels);
  process.stdout.write(JSON.stringify({ path: kernels.kernelsInfo().path, digest: digest(r), losses: r.losses, correct: r.correct }) + '\n');
}
