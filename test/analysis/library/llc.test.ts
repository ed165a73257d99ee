/**
 * The SGLD estimator of the local learning coefficient (library/llc.ts) against losses whose
 * learning coefficient is known in closed form, its determinism, and the `llc` analyzer through
 * the real pipeline on a small trained store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estimateLlc, DEFAULT_LLC_SAMPLER, type LlcOptions, type LlcResult, type LossAndGrad } from '../../../src/analysis/library/llc.js';
import { LLC, type LlcSummary } from '../../../src/analysis/analyzers/llc.js';
import { analyseRuns } from '../../../src/analysis/pipeline.js';
import { readStoredArtifact } from '../../../src/analysis/artifact.js';
import { Store } from '../../../src/store/store.js';

/**
 * L(w) = ½ Σ_{i<k} h_i w_i² + Σ_{k≤j<k+q} w_j⁴ over d coordinates, the others absent (flat):
 * λ = k/2 + q/4 (a regular quadratic in k directions and q quartic ones; flat directions add 0).
 */
function testLoss(h: number[], q: number): LossAndGrad {
  const k = h.length;
  return (w, g) => {
    g.fill(0);
    let L = 0;
    for (let i = 0; i < k; i++) { L += 0.5 * h[i] * w[i] * w[i]; g[i] = h[i] * w[i]; }
    for (let j = k; j < k + q; j++) { L += w[j] ** 4; g[j] = 4 * w[j] ** 3; }
    return L;
  };
}

const H = [1, 2, 0.5, 3, 1.5, 6];
const D = 20, Q = 2;
const BASE: LlcOptions = { ...DEFAULT_LLC_SAMPLER, chains: 4, burnin: 2000, draws: 20000, epsilon: 2e-5, localization: 1, nbeta: 1000 };

/** The standard error of λ̂ from the chains themselves: batch means of nβ·L over 40 batches a chain. */
function batchSE(r: LlcResult, o: LlcOptions): number {
  const B = 40, len = o.draws / B, means: number[] = [];
  for (const ch of r.chains) {
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let t = 0; t < len; t++) s += ch.trace[o.burnin + b * len + t];
      means.push(o.nbeta * s / len);
    }
  }
  const m = means.reduce((a, b) => a + b, 0) / means.length;
  const v = means.reduce((a, b) => a + (b - m) ** 2, 0) / (means.length - 1);
  return Math.sqrt(v / means.length);
}

/**
 * The quadratic part's exact expectation under the sampler: each quadratic coordinate is an AR(1)
 * w ← ρw + √ε ξ with ρ = 1 − ε(nβh + γ)/2, stationary variance ε/(1 − ρ²), so E[nβ·½h w²] is known
 * (it tends to ½ as ε → 0 and γ/(nβh) → 0). The quartic part's is ¼ exactly for exp(−nβ w⁴).
 */
function expected(o: LlcOptions, noise = 1): number {
  let e = 0;
  for (const h of H) { const rho = 1 - o.epsilon * (o.nbeta * h + o.localization) / 2; e += o.nbeta * 0.5 * h * noise * noise * o.epsilon / (1 - rho * rho); }
  return e + Q / 4;
}

test('SGLD λ̂ of ½Σh_i w_i² (k = 6 of d = 20 directions) plus 2 quartic directions is k/2 + q/4 = 3.5 within the chains\' own standard error', () => {
  const wStar = new Float64Array(D);
  const r = estimateLlc(testLoss(H, Q), wStar, BASE);
  const se = batchSE(r, BASE);
  const closedForm = H.length / 2 + Q / 4;
  assert.equal(r.divergedChains, 0);
  assert.ok(se > 0 && se < 0.1, `standard error ${se}`);
  // The sampler's own biases (γ > 0, ε > 0) are small next to λ's closed form …
  assert.ok(Math.abs(expected(BASE) - closedForm) < 0.05, `bias ${expected(BASE) - closedForm}`);
  // … and the estimate agrees with the closed form within 5 standard errors plus that bias.
  const tol = 5 * se + Math.abs(expected(BASE) - closedForm);
  assert.ok(Math.abs(r.mean - closedForm) < tol, `λ̂ = ${r.mean}, λ = ${closedForm}, tol ${tol}`);
  // Every chain on its own is an estimate of the same λ.
  for (const ch of r.chains) assert.ok(Math.abs(ch.llc - closedForm) < 0.3, `chain λ̂ ${ch.llc}`);
  assert.equal(r.chains[0].trace.length, BASE.burnin + BASE.draws);
  assert.ok(r.std > 0 && r.std < 0.3);
  // w* is left where it was.
  assert.ok(wStar.every((x) => x === 0));
});

test('SGLD λ̂ counts only the directions the loss depends on: a loss of k of d coordinates gives k/2 whatever d is', () => {
  const o = { ...BASE, chains: 2, draws: 10000 };
  for (const d of [6, 200]) {
    const r = estimateLlc(testLoss(H, 0), new Float64Array(d), o);
    const tol = 5 * batchSE(r, o) + 0.03;
    assert.ok(Math.abs(r.mean - H.length / 2) < tol, `d = ${d}: λ̂ = ${r.mean}`);
  }
});

test('the λ̂ of the quadratic test loss misses its closed form when the localization or the temperature is wrong', () => {
  const closedForm = H.length / 2 + Q / 4;
  // γ comparable to nβh: the localization, not the loss, confines the chain, and λ̂ falls well below λ.
  const strong = { ...BASE, chains: 2, draws: 10000, localization: 2000 };
  const rs = estimateLlc(testLoss(H, Q), new Float64Array(D), strong);
  assert.ok(closedForm - rs.mean > 10 * batchSE(rs, strong) + 0.5, `γ = 2000: λ̂ = ${rs.mean}`);
  // Noise √2 too large (sampling at twice the temperature nβ assumes): λ̂ about doubles.
  const hot = { ...BASE, chains: 2, draws: 10000, noiseLevel: Math.SQRT2 };
  const rh = estimateLlc(testLoss(H, Q), new Float64Array(D), hot);
  assert.ok(rh.mean - closedForm > 10 * batchSE(rh, hot) + 1, `T × 2: λ̂ = ${rh.mean}`);
  // The quadratic part of the hot chain still follows the AR(1) closed form (variance × 2).
  assert.ok(Math.abs(rh.mean - (expected(hot, Math.SQRT2) - Q / 4 + 2 * Q / 4)) < 10 * batchSE(rh, hot) + 0.05);
});

test('SGLD λ̂ is deterministic: the same seed gives identical bits, another seed other values', () => {
  const o = { ...BASE, chains: 2, burnin: 100, draws: 500 };
  const a = estimateLlc(testLoss(H, Q), new Float64Array(D), o);
  const b = estimateLlc(testLoss(H, Q), new Float64Array(D), o);
  const c = estimateLlc(testLoss(H, Q), new Float64Array(D), { ...o, seed: 7 });
  assert.ok(Object.is(a.mean, b.mean) && Object.is(a.std, b.std));
  a.chains.forEach((ch, i) => assert.deepEqual(Buffer.from(ch.trace.buffer), Buffer.from(b.chains[i].trace.buffer)));
  assert.notEqual(a.mean, c.mean);
  assert.notDeepEqual(Array.from(a.chains[0].trace), Array.from(c.chains[0].trace));
  // The chains of one call differ from each other (seed + chain index).
  assert.notDeepEqual(Array.from(a.chains[0].trace), Array.from(a.chains[1].trace));
});

test('a chain whose loss blows up is marked diverged, stops, and is left out of the mean', () => {
  // ε far beyond 2/(nβh): the quadratic directions oscillate with growing amplitude.
  const o = { ...BASE, chains: 2, burnin: 10, draws: 100, epsilon: 1e-2 };
  const r = estimateLlc(testLoss(H, 0), new Float64Array(D), o);
  assert.equal(r.divergedChains, 2);
  for (const ch of r.chains) {
    assert.ok(ch.diverged && Number.isNaN(ch.llc) && ch.steps < o.burnin + o.draws);
    assert.ok(Number.isNaN(ch.trace[ch.trace.length - 1]));
  }
  assert.ok(Number.isNaN(r.mean));
});

test('llc through the pipeline on a small trained store: λ̂ at the chosen epochs from the model\'s own gradients, reproducible bit for bit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-llc-'));
  try {
    const bin = join(process.cwd(), 'bin', 'grokbench');
    const tr = spawnSync(process.execPath, [bin, 'train', '--store', dir, '--p', '11', '--d-model', '16', '--d-mlp', '32', '--n-heads', '2', '--d-head', '8',
      '--epochs', '200', '--checkpoint-every', '100', '--frac-train', '0.5', '--lr', '0.01'], { encoding: 'utf8' });
    assert.equal(tr.status, 0, tr.stderr);
    const store = Store.open(dir);
    try {
      const runId = store.listRuns()[0].run_id;
      await analyseRuns(store, [runId], { jobs: 1, llcEvery: 200 });
      const rows = store.getAnalyses<LlcSummary>(runId, LLC).sort((a, b) => a.epoch - b.epoch);
      assert.deepEqual(rows.map((a) => [a.epoch, a.summary.computed]), [[0, true], [100, false], [200, true]]);
      for (const a of rows.filter((x) => x.summary.computed)) {
        const s = a.summary;
        assert.equal(s.train_set, 'split.json');
        assert.equal(s.n, 60);
        assert.ok(Math.abs(s.nbeta! - 60 / Math.log(60)) < 1e-12);
        assert.equal(s.chain_llc!.length, 2);
        assert.equal(s.diverged_chains, 0);
        assert.ok(Number.isFinite(s.llc_mean!) && Number.isFinite(s.llc_std!));
        const art = readStoredArtifact(store, runId, LLC, a.epoch);
        assert.deepEqual(art.tensors!.traces.shape, [2, 150]);
        assert.ok(art.tensors!.traces.data.every((x) => Number.isFinite(x)));
        assert.deepEqual(art.tensors!.chain_llc.data, s.chain_llc);
      }
      // The trained weights sit in a narrower basin than the initial ones: more loss per nβ around them.
      assert.notEqual(rows[0].summary.llc_mean, rows[2].summary.llc_mean);
      // Analysed again from scratch (another store handle, the same checkpoints): the same bits.
      const again = await import('../../../src/analysis/analyzers/llc.js');
      const { loadKernels } = await import('../../../src/engine/index.js');
      const { loadCheckpoint } = await import('../../../src/model/checkpoint.js');
      const { Scratch } = await import('../../../src/analysis/library/scratch.js');
      const ck = store.listCheckpoints(runId).find((c) => c.epoch === 200)!;
      const k = await loadKernels();
      const out = again.llcAnalyzer.analyseCheckpoint({ kernels: k, scratch: new Scratch(), checkpoint: loadCheckpoint(ck.path), checkpointPath: ck.path, epoch: 200, runId, options: { lowFreqs: 3, flatAsZero: false, grokLoss: 0.01, llcEvery: 200 } } as never);
      assert.deepEqual(out.summary, rows[2].summary);
    } finally { store.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
