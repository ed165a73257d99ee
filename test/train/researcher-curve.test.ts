/**
 * grokbench starts where the researcher's run started (issue 9).
 *
 * The researcher's published MIScope run (TransformerLens 2.17 on a GPU; p=113, seed 999, data
 * seed 598, frac_train 0.3, the DESIGN defaults) recorded these train losses; MIScope's
 * `train_losses[e]` is the loss of the weights after e optimiser steps, i.e. grokbench's metrics
 * row e. Epoch 0 depends only on the initial weights and the split, so agreement there proves the
 * start (TransformerLens 2.x's draw order); epochs 1–3 prove the first steps. Later, float32
 * rounding differences between machines grow (PyTorch on a CPU stays within 2e-9 of the GPU run at
 * epochs 4–9); the drift is reported as a diagnostic and bounded loosely. Beyond epoch 9 only
 * PyTorch's CPU run from the same start stands in for the researcher's curve
 * (test/fixtures/torch-parity/p113-s999-d598.json, scripts/torch-p113-curve.py; it follows the
 * researcher to 1.7e-9 at epochs 0–9).
 *
 * Why grokbench drifts faster than another machine's PyTorch (measured, issue 9): grokbench in
 * float64 follows PyTorch in float64 to 3e-15 over 12 steps (the table algebra and AdamW are the
 * same arithmetic), and PyTorch f32 (CPU and the researcher's GPU) stays within 2e-9 of that
 * float64 trajectory to epoch 9. Float64 training fed grokbench's float32 gradient reproduces
 * grokbench's drift exactly; rounding the float64 gradient, weights or AdamW state to float32
 * does not (≤ 4e-11). grokbench's float32 gradient is as accurate as PyTorch's at the same weights
 * (per-element median relative error 4e-7…2e-6 against 2e-7…1e-6), and so are its MLP
 * pre-activations (rms error 1.9e-8 in both); but at epoch 3, two train pre-activations lie within
 * 8e-9 of zero and grokbench's rounding puts them on the other side of the ReLU. Each such flip
 * changes one sample's gradient discretely (~1/N of it), Adam normalises it into a full step, and
 * the curves part: 3e-9 at epoch 4, 4e-8 at 5, 2e-7 at 9. The same happens to any float32 run whose
 * rounding differs from the reference's (PyTorch CPU against GPU parts by 1 % by epoch 200).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative, packageRoot } from '../../src/engine/native.js';
import { ReferenceKernels } from '../../src/engine/reference.js';
import type { Kernels } from '../../src/engine/kernels.js';
import { DEFAULTS } from '../../src/config/config.js';
import { Store } from '../../src/store/store.js';
import { train } from '../../src/train/trainer.js';

export const RESEARCHER_TRAIN_LOSSES = [
  4.7358857559237375, 4.727470716141975, 4.722508433882445, 4.719201611061681, 4.716634863558542,
  4.714304240226724, 4.711974806521892, 4.709612348028034, 4.707234987958979, 4.704799734121863,
];
const START_REL = 1e-8;   // epochs 0–3
const LATER_REL = 1e-6;   // epochs 4–9
/** Epochs 10–200 against PyTorch's CPU run (rounding differences grow to ~1 % by 200). */
const TORCH_REL = 5e-2;
const torchCurve = JSON.parse(readFileSync(join(packageRoot(), 'test', 'fixtures', 'torch-parity', 'p113-s999-d598.json'), 'utf8')) as
  { train_loss: number[]; test_loss: number[] };

function researcherCurve(k: Kernels, epochs: number, diag: (s: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-researcher-'));
  const store = Store.open(dir);
  try {
    const r = train(store, k, { ...DEFAULTS, epochs, evalEvery: 1, checkpointEvery: epochs });
    const m = store.getMetrics(r.run_id);
    const d = m.slice(0, 10).map((row, e) => Math.abs(row.train_loss - RESEARCHER_TRAIN_LOSSES[e]) / RESEARCHER_TRAIN_LOSSES[e]);
    diag(`relative difference from the researcher's train losses, epochs 0-9: ${d.map((x) => x.toExponential(1)).join(' ')}`);
    for (let e = 0; e <= 3; e++) assert.ok(d[e] <= START_REL, `epoch ${e}: ${m[e].train_loss} vs ${RESEARCHER_TRAIN_LOSSES[e]} (rel ${d[e]})`);
    for (let e = 4; e <= 9; e++) assert.ok(d[e] <= LATER_REL, `epoch ${e}: ${m[e].train_loss} vs ${RESEARCHER_TRAIN_LOSSES[e]} (rel ${d[e]})`);
    if (epochs > 9) {
      const marks: string[] = [];
      let worst = 0;
      for (let e = 10; e <= epochs; e++) {
        const dt = Math.max(Math.abs(m[e].train_loss - torchCurve.train_loss[e]) / torchCurve.train_loss[e],
          Math.abs(m[e].test_loss! - torchCurve.test_loss[e]) / torchCurve.test_loss[e]);
        worst = Math.max(worst, dt);
        if ([10, 25, 50, 100, 150, 200].includes(e)) marks.push(`${e}: ${dt.toExponential(1)}`);
      }
      diag(`relative difference from PyTorch's CPU run (train or test loss, the larger): ${marks.join(', ')}; max over 10-${epochs} ${worst.toExponential(2)}`);
      assert.ok(worst <= TORCH_REL, `epochs 10-${epochs}: ${worst} from PyTorch's CPU run (bound ${TORCH_REL})`);
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const native = loadNative().kernels;
test('native engine: p=113 seed 999 data seed 598 starts from the researcher\'s weights and follows their first steps (and PyTorch\'s CPU run to epoch 200)',
  { skip: native ? false : 'native addon not built' }, (t) => {
    native!.setThreads(2);
    researcherCurve(native!, 200, (s) => t.diagnostic(s));
  });
test('typescript f32 engine: p=113 seed 999 data seed 598 starts from the researcher\'s weights and follows their first steps', (t) => {
  researcherCurve(new ReferenceKernels('f32'), 9, (s) => t.diagnostic(s));
});
