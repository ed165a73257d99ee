/**
 * The determinism contract's "subnormals" clause (src/engine/kernels.ts): no float32 subnormal
 * reaches a kernel from the engine's own arithmetic. Proved by counting, not timing, so it holds
 * (and fails when broken) on any CPU, whether or not the CPU pays for subnormals: the demo preset
 * trained past grokking, then continued on every kernel path at 1 and 2 threads and on the
 * TypeScript reference, with every float array of every kernel call counted on entry and return.
 * The late state is one where the flush matters: an independent float64 cross-entropy of its
 * logits finds thousands of wrong-class gradients between 2^-149 and 2^-126, each a float32
 * subnormal the backward GEMMs would read were the flush removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeForTests } from '../helpers/native.js';
import { ReferenceKernels } from '../../src/engine/reference.js';
import { countSubnormals, countingSubnormals } from '../../src/engine/subnormals.js';
import { DEMO_CONFIG } from '../../src/cli/demo.js';
import { Workspace, computeTables, evalLogits } from '../../src/model/model.js';
import { EpochLoop } from '../../src/train/loop.js';

const native = nativeForTests();
const WORKER = fileURLToPath(new URL('../helpers/subnormal-worker.js', import.meta.url));
const LATE_EPOCHS = 900;

test('countSubnormals counts exactly the nonzero values below 2^-126 in magnitude, in float32 and float64 arrays', () => {
  const v = new Float32Array([0, -0, 2 ** -126, -(2 ** -126), 2 ** -127, -(2 ** -149), 1e-39, 1, NaN, Infinity]);
  assert.equal(countSubnormals(v), 3);
  assert.equal(countSubnormals(Float64Array.from(v)), 3);
  assert.equal(countSubnormals(new Float64Array([1e-300, 2 ** -126, 0])), 1);
});

test('no float32 subnormal is read or written by any kernel in late epochs of the demo preset, on every kernel path at 1 and 2 threads and in the TypeScript reference',
  { skip: native.skip }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'grokbench-subnormals-'));
    try {
      const k = native.kernels!;
      k.setThreads(2);
      const loop = new EpochLoop(k, DEMO_CONFIG);
      for (let i = 0; i < LATE_EPOCHS; i++) loop.epoch();
      assert.ok(loop.lastTest.loss < 1e-3, `the demo preset has grokked by epoch ${LATE_EPOCHS} (test loss ${loop.lastTest.loss})`);
      const state = join(dir, 'late.safetensors');
      loop.save(state);

      // Independent float64 cross-entropy of the training logits: the gradients the flush removes.
      const ws = new Workspace(k, loop.params, loop.trainB.n);
      const logits = evalLogits(k, loop.params, computeTables(k, loop.params), loop.trainB, ws);
      const { p } = DEMO_CONFIG, N = loop.trainB.n;
      let candidates = 0;
      for (let n = 0; n < N; n++) {
        const row = logits.subarray(n * p, (n + 1) * p);
        const mx = Math.max(...row);
        let z = 0;
        for (const x of row) z += Math.exp(x - mx);
        for (let j = 0; j < p; j++) {
          if (j === loop.trainB.target[n]) continue;
          const d = Math.exp(row[j] - mx) / z / N;
          if (d > 2 ** -149 && d < 0.99 * 2 ** -126) candidates++;
        }
      }
      assert.ok(candidates > 1000, `the late state has logit gradients in the subnormal range (${candidates} of ${N * p})`);

      let ran = 0;
      for (const path of ['avx512', 'avx2', 'portable']) {
        for (const threads of [1, 2]) {
          const r = spawnSync(process.execPath, [WORKER, state, JSON.stringify(DEMO_CONFIG), path === 'portable' ? '2' : '10', String(threads)],
            { encoding: 'utf8', env: { ...process.env, GROKBENCH_KERNELS: path } });
          if (r.status !== 0 && /GROKBENCH_KERNELS=\w+ but this CPU/.test(r.stderr)) { t.diagnostic(`${path}: not on this CPU`); break; }
          assert.equal(r.status, 0, r.stderr);
          const got = JSON.parse(r.stdout.trim()) as { path: string; total: number; counts: Record<string, { calls: number; read: number; written: number }> };
          assert.equal(got.path, path);
          assert.ok(got.counts.mlpLoss.calls > 0 && got.counts.mlpBackward.calls > 0, 'the fused kernels ran');
          assert.equal(got.total, 0, `${path} at ${threads} thread(s): ${JSON.stringify(got.counts)}`);
          ran++;
        }
      }
      assert.ok(ran >= 2, 'at least the portable path ran');

      // The TypeScript reference (float32), one epoch from the same state.
      const ref = new ReferenceKernels('f32');
      const refLoop = new EpochLoop(ref, DEMO_CONFIG);
      refLoop.load(state);
      const counter = countingSubnormals(ref);
      refLoop.epoch(counter.kernels);
      assert.equal(counter.total(), 0, JSON.stringify(counter.counts()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
