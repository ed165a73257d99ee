import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseRuns } from '../../src/analysis/pipeline.js';
import { coarsenessValues, concentrationValues, readNeuronFourier } from '../../src/analysis/results.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { Store } from '../../src/store/store.js';
import { randomParams, smallConfig } from '../analysis/helpers.js';
import {
  analyseStudy,
  loadStudyRun,
  blobOverlap,
  lossHalfDropEpoch,
  metricTiming,
  separate,
  type StudyCheckpoint,
  type StudyRunData,
  type StudySection,
} from '../../src/study/study.js';
import { computeStudy, computeStudyFromData } from '../../src/study/sections.js';

const D = 20; // neurons
const NF = 8; // frequencies (p would be 17; the study only uses (p-1)/2 via nFreq and p for labels)
const MAXK = 6;
const BLOBS = 8; // neurons 0..7 become blobs
const FLAT = 19; // neuron 19 is flat throughout

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} is not within ${tol} of ${b}`);

/** A checkpoint from per-neuron frequency fractions frac[n][k-1] (the study's inputs derived as DESIGN §3 says). */
function checkpoint(epoch: number, frac: number[][]): StudyCheckpoint {
  const coarseness = Array.from({ length: MAXK }, () => new Float64Array(D));
  const concentration = new Float64Array(D);
  const dominantFrequency = new Int32Array(D);
  for (let n = 0; n < D; n++) {
    if (n === FLAT) {
      for (let K = 0; K < MAXK; K++) coarseness[K][n] = NaN;
      concentration[n] = NaN;
      continue;
    }
    let s = 0;
    for (let K = 0; K < MAXK; K++) {
      s += frac[n][K];
      coarseness[K][n] = s;
    }
    let best = 0;
    for (let k = 1; k < NF; k++) if (frac[n][k] > frac[n][best]) best = k;
    concentration[n] = frac[n][best];
    dominantFrequency[n] = best + 1;
  }
  return { epoch, coarseness, concentration, dominantFrequency };
}

/** Linear ramp from `lo` to `hi` over epochs [start, start + len]. */
function ramp(e: number, start: number, len: number, lo: number, hi: number): number {
  if (e <= start) return lo;
  if (e >= start + len) return hi;
  return lo + ((hi - lo) * (e - start)) / len;
}

interface RunSpec {
  p: number;
  seed: number;
  grok: number | null;
  /** Epoch where the blob neurons start to rise (null: never). Rise lasts 500 epochs, 0.1 -> 0.9. */
  rampStart: number | null;
  /** 1-based frequency the blob neurons rise in. */
  k?: number;
  /** From epoch 500 on, every neuron's frequency-2 fraction is this (default 0.01). */
  early?: number;
  last?: number;
}

function makeRun(s: RunSpec): StudyRunData {
  const last = s.last ?? 6000;
  const k = s.k ?? 1;
  const checkpoints: StudyCheckpoint[] = [];
  for (let e = 0; e <= last; e += 100) {
    const frac = Array.from({ length: D }, (_, n) => {
      const row = new Array<number>(NF).fill(0.01);
      row[0] = 0.1;
      if (e >= 500 && s.early !== undefined) row[1] = s.early;
      if (n < BLOBS && s.rampStart !== null) row[k - 1] = ramp(e, s.rampStart, 500, k === 1 ? 0.1 : 0.01, 0.9);
      return row;
    });
    checkpoints.push(checkpoint(e, frac));
  }
  const testLoss: { epoch: number; loss: number }[] = [];
  for (let e = 0; e <= last; e += 10) testLoss.push({ epoch: e, loss: s.grok !== null && e >= s.grok ? 0.001 : 3 });
  return {
    runId: `p${s.p}-s${s.seed}`,
    p: s.p,
    seed: s.seed,
    dMlp: D,
    nFreq: NF,
    epochs: last,
    grokEpoch: s.grok,
    grokEpochAcc: s.grok,
    memoriseEpoch: 300,
    checkpoints,
    testLoss,
    embedding: [],
  };
}

/** Three grokking runs whose blob neurons rise 1000..500 epochs before grokking, one non-grokking run. */
function scenarioA(): StudyRunData[] {
  return [
    makeRun({ p: 97, seed: 485, grok: 2000, rampStart: 1000 }),
    makeRun({ p: 101, seed: 999, grok: null, rampStart: null }),
    makeRun({ p: 109, seed: 485, grok: 3000, rampStart: 2000 }),
    makeRun({ p: 113, seed: 999, grok: 4000, rampStart: 3000 }),
  ];
}

const section = (s: { sections: StudySection[] }, id: string): StudySection => {
  const x = s.sections.find((y) => y.id === id);
  assert.ok(x, `section ${id} missing`);
  return x;
};

test('separate finds the gap between the classes in the better direction, or the overlap', () => {
  const up = separate([5, 6, 7], [1, 2]);
  assert.ok(up);
  assert.equal(up.direction, 'higher');
  assert.equal(up.margin, 3);
  assert.equal(up.cut, 3.5);
  close(up.normMargin, 3 / 6);
  const down = separate([1, 2], [5]);
  assert.equal(down?.direction, 'lower');
  assert.equal(down?.margin, 3);
  assert.equal(separate([1, 5], [3])?.margin, -2);
  assert.equal(separate([2, 2], [2]), null, 'equal values carry no information');
  assert.equal(separate([1], []), null);
});

test('threshold: a perfect separation first appears when the last grokking run starts to rise, with the margin built in', () => {
  const d = analyseStudy(scenarioA());
  const t = d.threshold;
  assert.deepEqual(t.nonGrokking, ['p101-s999']);
  assert.equal(t.commonEpochs.length, 61);
  // Until epoch 3000 the p=113 run is identical to the non-grokking run, so nothing separates;
  // at 3100 its blob neurons have risen a fifth of the way (0.1 -> 0.26 in frequency 1).
  assert.equal(t.first.coarseness?.epoch, 3100);
  assert.equal(t.first.concentration?.epoch, 3100);
  assert.equal(t.first.meanCoarsenessK?.epoch, 3100);
  assert.equal(t.first.coarseness?.persists, true);
  assert.equal(t.first.coarseness?.stableFrom, 3100);
  assert.equal(t.first.coarseness?.separation.direction, 'higher');
  const at3100 = t.perEpoch.find((r) => r.epoch === 3100);
  // Mean over the 19 non-flat neurons: 8 neurons gain 0.16 over the non-grokking run.
  close(at3100?.meanCoarsenessK?.margin ?? NaN, (8 * 0.16) / 19, 1e-12);
  // The range is set by the p=97 run, whose 8 blob neurons gained the full 0.8.
  close(at3100?.meanCoarsenessK?.normMargin ?? NaN, 0.16 / 0.8, 1e-12);
  // Before 3100 no feature separates (the classes touch).
  for (const r of t.perEpoch.filter((x) => x.epoch < 3100)) assert.ok((r.coarseness?.margin ?? -1) <= 0);
  assert.equal(t.chanceOne, 2 / 4);
  const s = section(computeStudyFromData(scenarioA()), 'threshold');
  assert.match(s.answer, /first perfect separation by a coarseness feature is at epoch 3100/);
  assert.match(s.answer, /probability 0\.500/);
  assert.ok(s.table && s.table.rows.some((r) => r[0] === 3100));
});

test('threshold: when every run groks there is nothing to separate', () => {
  const runs = scenarioA().filter((r) => r.grokEpoch !== null);
  const d = analyseStudy(runs);
  assert.equal(d.threshold.perEpoch.length, 0);
  assert.equal(d.threshold.first.coarseness, null);
  const s = computeStudyFromData(runs);
  assert.match(section(s, 'threshold').answer, /All 3 runs are grokked \(no MIScope outcome class given: grokked = a test loss below 0.01\).*nothing to separate/);
  assert.match(section(s, 'metric').answer, /neither metric can be tested for separating/);
});

test('timing: a rise built to end 500 epochs before grokking is found to precede it', () => {
  const d = analyseStudy(scenarioA());
  for (const r of d.runs.filter((x) => x.grokked)) {
    const g = r.grokEpoch as number;
    // The blob neurons pass half their rise at G - 750; the first checkpoint after is G - 700.
    assert.equal(r.coarseness.timing.halfRiseEpoch, g - 700);
    assert.equal(r.coarseness.timing.leadHalfRise, 700);
    assert.equal(r.coarseness.timing.classHalfRise, 'precede');
    const st = r.coarseness.timing.steepestRiseEpoch as number;
    assert.ok(st >= g - 900 && st <= g - 500, `steepest rise at ${st} lies in the ramp`);
    assert.equal(r.coarseness.timing.classSteepest, 'precede');
    assert.equal(r.concentration.timing.classHalfRise, 'precede');
    // The synthetic loss steps from 3 to 0.001 at G: its log half-drop is G.
    assert.equal(r.lossHalfDropEpoch, g);
  }
  const non = d.runs.find((x) => !x.grokked);
  assert.equal(non?.coarseness.timing.halfRiseEpoch, null, 'a flat series never rises');
  const s = section(computeStudyFromData(scenarioA()), 'timing');
  assert.match(s.answer, /before the grok epoch in 3, within tolerance in 0 and after it in 0/);
  assert.match(s.answer, /mostly precedes it/);
});

test('metricTiming classifies precede, coincide and follow with the stated tolerance', () => {
  const epochs = Array.from({ length: 61 }, (_, i) => i * 100);
  const series = (start: number): number[] => epochs.map((e) => ramp(e, start, 500, 0, 1));
  const opts = { interval: 100, toleranceShare: 0.05 };
  // Grok at 3000: tolerance max(100, 150) = 150.
  const pre = metricTiming(epochs, series(2000), 3000, opts); // half at 2300 -> lead 700
  const co = metricTiming(epochs, series(2800), 3000, opts); // half at 3050 -> first checkpoint 3100 -> lead -100
  const fol = metricTiming(epochs, series(3500), 3000, opts); // half at 3800 -> lead -800
  assert.equal(pre.halfRiseEpoch, 2300);
  assert.equal(pre.classHalfRise, 'precede');
  assert.equal(co.halfRiseEpoch, 3100);
  assert.equal(co.classHalfRise, 'coincide');
  assert.equal(fol.leadHalfRise, -800);
  assert.equal(fol.classHalfRise, 'follow');
  const none = metricTiming(epochs, epochs.map(() => 0.2), 3000, opts);
  assert.equal(none.halfRiseEpoch, null);
  assert.equal(none.steepestRiseEpoch, null);
});

test('lossHalfDropEpoch finds the half-way point of the log-loss drop after its peak', () => {
  // log10: 0 -> 1 (peak at 20) -> -3 at 50; half-way level is -1, first reached at 40.
  const pts = [0, 1, 0.5, -0.5, -1, -3].map((l, i) => ({ epoch: i * 10, loss: 10 ** l }));
  assert.equal(lossHalfDropEpoch(pts.map((x, i) => (i === 1 ? { ...x, loss: 10 } : x))), 40);
  assert.equal(lossHalfDropEpoch([{ epoch: 0, loss: 1 }, { epoch: 1, loss: 1 }]), null);
});

test('critical neurons: the built-in blob neurons, their first epoch, persistence and shared frequency', () => {
  const d = analyseStudy(scenarioA());
  for (const r of d.runs.filter((x) => x.grokked)) {
    const g = r.grokEpoch as number;
    const b = r.coarseness.blobs;
    assert.equal(b.everBlob, BLOBS);
    assert.deepEqual(b.finalBlobs, [0, 1, 2, 3, 4, 5, 6, 7]);
    // K=3 coarseness = f1 + 0.02 reaches 0.7 when f1 = 0.68, i.e. 362.5 epochs into the ramp -> checkpoint G - 600.
    assert.equal(b.firstBlobEpoch, g - 600);
    assert.equal(b.meanStay, 1);
    assert.equal(b.transient, 0);
    assert.equal(b.blobBeforeGrok, BLOBS);
    assert.deepEqual(b.topFrequencies, [{ k: 1, count: BLOBS, share: 1 }]);
  }
  assert.equal(d.runs.find((x) => !x.grokked)?.coarseness.blobs.everBlob, 0);
  // Same indices in every grokking run: overlap 8 against 8·8/20 = 3.2 expected.
  const pairs = d.overlap.coarseness.filter((p) => p.sizeA > 0 && p.sizeB > 0);
  assert.equal(pairs.length, 3);
  for (const p of pairs) {
    assert.equal(p.observed, 8);
    close(p.expected, 3.2);
    assert.ok(p.pValue < 1e-4);
  }
  const s = section(computeStudyFromData(scenarioA()), 'critical-neurons');
  assert.match(s.answer, /overlap more than chance/);
});

test('blobOverlap: disjoint blob sets give overlap 0 against the hypergeometric expectation', () => {
  const pairs = blobOverlap([
    { runId: 'a', seed: 1, dMlp: 10, blobs: [0, 1, 2, 3, 4] },
    { runId: 'b', seed: 2, dMlp: 10, blobs: [5, 6, 7, 8, 9] },
    { runId: 'c', seed: 1, dMlp: 12, blobs: [0] },
  ]);
  assert.equal(pairs.length, 1, 'runs of a different d_mlp are not paired');
  assert.equal(pairs[0].observed, 0);
  close(pairs[0].expected, 2.5);
  close(pairs[0].pValue, 1, 1e-12);
  assert.equal(pairs[0].sameSeed, false);
});

test('predict: perfectly monotone early coarseness over 4 grokking runs gives exact p = 2/24', () => {
  // From epoch 500 every neuron's frequency-2 share is a per-run constant that falls as grokking comes later.
  const runs = [
    makeRun({ p: 97, seed: 485, grok: 2000, rampStart: 1000, early: 0.3 }),
    makeRun({ p: 109, seed: 485, grok: 3000, rampStart: 2000, early: 0.25 }),
    makeRun({ p: 113, seed: 485, grok: 4000, rampStart: 3000, early: 0.2 }),
    makeRun({ p: 97, seed: 999, grok: 5000, rampStart: 4000, early: 0.15 }),
    makeRun({ p: 101, seed: 999, grok: null, rampStart: null, early: 0.05 }),
  ];
  const d = analyseStudy(runs);
  for (const metric of ['coarseness', 'concentration'] as const) {
    const row = d.predict.find((r) => r.metric === metric && r.target === 1000);
    assert.ok(row);
    assert.equal(row.n, 4);
    close(row.spearman.statistic, -1);
    close(row.pearson.statistic, -1);
    assert.equal(row.spearman.method, 'exact');
    close(row.spearman.pValue, 2 / 24);
    close(row.pearson.pValue, 2 / 24);
    // Grok epoch falls 1000 per 0.05 of early value: slope -20000.
    close(row.slope, -20000, 1e-6);
    assert.deepEqual(row.nonGrokking.map((x) => x.belowAll), [true]);
  }
  // The early shares appear at epoch 500, so that is where the classes first separate.
  assert.equal(d.threshold.first.meanCoarsenessK?.epoch, 500);
  const s = section(computeStudyFromData(runs), 'predict');
  assert.match(s.answer, /exact \(all 4! = 24 orderings\)/);
  assert.match(s.answer, /Spearman ρ = -1\.00 \(p = 0\.083\)/);
  assert.match(s.answer, /below every grokking run/);
  assert.match(s.answer, /How little this can show: with n = 4/);
});

test('metric: when the blobs form at frequency 5, specialization separates and tracks the loss while K=3 coarseness cannot', () => {
  const runs = [
    makeRun({ p: 97, seed: 485, grok: 2000, rampStart: 1000, k: 5 }),
    makeRun({ p: 101, seed: 999, grok: null, rampStart: null, k: 5 }),
    makeRun({ p: 109, seed: 485, grok: 3000, rampStart: 2000, k: 5 }),
    makeRun({ p: 113, seed: 999, grok: 4000, rampStart: 3000, k: 5 }),
  ];
  const d = analyseStudy(runs);
  assert.equal(d.threshold.first.coarsenessK, null, 'K=3 coarseness never changes');
  assert.equal(d.threshold.first.concentration?.epoch, 3100);
  // Coarseness with K >= 5 sees frequency 5, so the all-K search still finds it.
  assert.ok((d.threshold.first.coarseness?.feature?.K ?? 0) >= 5);
  for (const r of d.runs.filter((x) => x.grokked)) {
    assert.ok(Number.isNaN(r.coarseness.lossCorrelation), 'a constant mean has no correlation');
    assert.ok(r.concentration.lossCorrelation < -0.5);
    assert.equal(r.coarseness.blobs.everBlob, 0);
    assert.equal(r.concentration.blobs.topFrequencies[0].k, 5);
  }
  const s = section(computeStudyFromData(runs), 'metric');
  assert.match(s.answer, /specialization separates at more epochs/);
  assert.match(s.answer, /specialization separates more widely at the end/);
  assert.match(s.answer, /In 3 of 4 runs the most common dominant frequency .* is above K=3/);
});

test('p101: the non-grokking prime is ranked slowest and the per-seed comparison is counted', () => {
  const s = section(computeStudyFromData(scenarioA()), 'p101');
  assert.match(s.answer, /p=101 is the slowest of 4 primes/);
  // Seeds: 485 (p=97, 109) vs 999 (p=101, 113): no prime has both seeds.
  assert.match(s.answer, /no prime has runs with both seeds 485 and 999/);
  assert.equal(s.table?.rows.length, 4);
});

test('embedding0: the non-grokking run with a concentrated initial spectrum is flagged as an outlier; stable keys are reported', () => {
  const runs = scenarioA();
  runs.forEach((r, i) => {
    const flatNorms = Array.from({ length: NF }, (_, k) => 1 + 0.01 * ((k + i) % 3));
    const spiky = Array.from({ length: NF }, (_, k) => (k === 2 ? 10 : 1));
    const n0 = r.grokEpoch === null ? spiky : flatNorms;
    r.embedding = [
      { epoch: 0, norms: n0, keyFrequencies: [1, 2, 3, 4], gini: r.grokEpoch === null ? 0.5 : 0.01 + 0.001 * i },
      { epoch: 1000, norms: n0, keyFrequencies: [3, 4], gini: 0.3 },
      { epoch: 6000, norms: n0, keyFrequencies: [3, 4], gini: 0.6 },
    ];
  });
  const out = computeStudyFromData(runs);
  const facts = out.runs.find((r) => r.grokEpoch === null)?.embedding;
  assert.ok(facts);
  close(facts.maxMeanRatio0, 10 / (17 / 8));
  close(facts.jaccard0Final, 0.5);
  close(facts.jaccardEarlyFinal, 1);
  const s = section(out, 'embedding0');
  assert.match(s.answer, /p101-s999 has epoch-0 Gini 0\.500/);
  assert.match(s.answer, /unusual on this measure/);
  assert.match(s.answer, /already largely in place by epoch 1000/);
});

test('every section is present with a question, an answer and consistent tables', () => {
  const out = computeStudyFromData(scenarioA());
  assert.deepEqual(
    out.sections.map((s) => s.id),
    ['threshold', 'timing', 'critical-neurons', 'p101', 'predict', 'embedding0', 'metric'],
  );
  for (const s of out.sections) {
    assert.ok(s.question.length > 10 && s.answer.length > 10, s.id);
    assert.ok(!/NaN|undefined/.test(s.answer), `${s.id} answer has NaN/undefined: ${s.answer}`);
    if (s.table) for (const r of s.table.rows) assert.equal(r.length, s.table.columns.length, `${s.id} row width`);
  }
  assert.equal(out.runs.length, 4);
  // JSON-serialisable for the report.
  assert.doesNotThrow(() => JSON.stringify(out));
});

test('bad input: no runs, a duplicate run id, or unordered checkpoints', () => {
  assert.throws(() => analyseStudy([]), /at least one run/);
  const r = makeRun({ p: 97, seed: 1, grok: null, rampStart: null });
  assert.throws(() => analyseStudy([r, r]), /given twice/);
  const bad = { ...r, checkpoints: [...r.checkpoints].reverse() };
  assert.throws(() => analyseStudy([bad]), /ascending/);
});

test('computeStudy loads real analysed runs from a store: fractions, grok epochs, losses and embeddings reach the study', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-study-'));
  const store = Store.open(dir);
  try {
    const c = smallConfig(11, 16, 24);
    const epochs = [0, 100, 200, 300];
    // Run r groks at epoch 100·(r+1); run 2 never does.
    const groks = [100, 200, null];
    groks.forEach((g, r) => {
      const runId = `r${r}`;
      store.createRun({ run_id: runId, p: c.p, seed: 10 + r, data_seed: 598, epochs: 300, config_json: JSON.stringify(c), engine: 'test', source: 'test' });
      mkdirSync(store.checkpointDir(runId), { recursive: true });
      // Checkpoints indexed out of order on purpose: the loader must sort them.
      for (const [i, epoch] of [...epochs.entries()].reverse()) {
        const path = store.checkpointPath(runId, epoch);
        saveCheckpoint(path, randomParams(c, 100 * r + i), { epoch: String(epoch) });
        store.addCheckpoint(runId, { epoch, step: epoch, path });
      }
      const rows = [];
      for (let e = 0; e <= 300; e += 50) {
        const done = g !== null && e >= g;
        rows.push({ epoch: e, train_loss: 0.1, train_acc: e >= 50 ? 1 : 0.2, test_loss: done ? 1e-6 : 2, test_acc: done ? 1 : 0.1 });
      }
      store.appendMetrics(runId, rows);
      store.updateRun(runId, { status: 'done', epochs_done: 300 });
    });
    await analyseRuns(store, ['r0', 'r1', 'r2'], { jobs: 1 });

    const run = loadStudyRun(store, 'r1');
    assert.equal(run.seed, 11);
    assert.equal(run.grokEpoch, 200);
    assert.equal(run.memoriseEpoch, 50);
    // MIScope's outcome from the stored metrics: healthy (onset 200, final 1e-6 ≤ 1e-5); r2 never descends.
    assert.equal(run.outcome, 'healthy');
    assert.equal(run.onset, 200);
    assert.equal(run.dataSeed, 598);
    assert.equal(run.jitter, 0);
    assert.equal(loadStudyRun(store, 'r2').outcome, 'no_second_descent');
    assert.deepEqual(run.checkpoints.map((x) => x.epoch), epochs);
    assert.deepEqual(run.testLoss.map((x) => x.epoch), [0, 50, 100, 150, 200, 250, 300]);
    assert.equal(run.embedding.length, 4);
    assert.equal(run.nFreq, 5);
    assert.equal(run.dMlp, 24);
    const nf = readNeuronFourier(store, 'r1');
    const e2 = nf.epochs.find((x) => x.epoch === 200);
    assert.ok(e2);
    const ck = run.checkpoints[2];
    for (let K = 1; K <= 6; K++) assert.deepEqual(Array.from(ck.coarseness[K - 1]), Array.from(coarsenessValues(e2, 5, 24, K)));
    assert.deepEqual(Array.from(ck.concentration), Array.from(concentrationValues(e2, 5, 24)));
    // K=1 coarseness is frac_1 itself (index n of the first frequency block).
    for (let n = 0; n < 24; n++) {
      if (!e2.flat[n]) close(ck.coarseness[0][n], e2.frac[n], 1e-6);
    }

    const out = computeStudy(store, ['r0', 'r1', 'r2']);
    assert.equal(out.sections.length, 8, "7 sections + the per-prime population of classes");
    assert.deepEqual(out.runs.map((r) => r.grokEpoch), [100, 200, null]);
    assert.match(out.sections[0].answer, /2 runs grokked and 1 run failed \(r2; by MIScope's outcome classes/);
    assert.throws(() => computeStudy(store, ['nope']), /no run nope/);
    assert.throws(() => computeStudy(store, []), /at least one run/);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('population and rounding sections: per-prime classes and onsets, the p=101 tests, spread across jitters vs seeds', () => {
  const runs: StudyRunData[] = [];
  // p=97 and p=113: healthy, onsets spread by seed (1000 apart) and barely by jitter (10 apart).
  for (const p of [97, 113]) for (const seed of [1, 2]) for (const jitter of [0, 1, 2]) {
    const r = makeRun({ p, seed, grok: 2000, rampStart: 1000, last: 3000 });
    runs.push({ ...r, runId: `p${p}-s${seed}-j${jitter}`, outcome: 'healthy', onset: 1000 * seed + 10 * jitter, dataSeed: 598, jitter });
  }
  // p=101: every run fails (no onset).
  for (const seed of [1, 2]) for (const jitter of [0, 1, 2]) {
    const r = makeRun({ p: 101, seed, grok: null, rampStart: null, last: 3000 });
    runs.push({ ...r, runId: `p101-s${seed}-j${jitter}`, outcome: 'no_second_descent', onset: null, dataSeed: 598, jitter });
  }
  const s = computeStudyFromData(runs, { permutation: { samples: 2000 } });
  const pop = section(s, 'p101-population');
  assert.deepEqual(pop.table?.rows.find((r) => r[0] === 101), [101, 6, 2, 1, 3, 0, 0, 0, 0, 0, 6, 0, null, null, null]);
  assert.deepEqual(pop.table?.rows.find((r) => r[0] === 97)?.slice(0, 7), [97, 6, 2, 1, 3, 6, 6]);
  // 6 of 6 failures against 0 of 12: Fisher's two-sided p = 2 / C(18, 6).
  assert.match(pop.answer, /failures 6 of 6 against 0 of 12, Fisher's exact p = 1\.1e-4/);
  assert.match(pop.answer, /So p=101 differs here in onset \(later\) in its failure rate/);
  const rnd = section(s, 'seed-vs-rounding');
  // Jitter SD of (0, 10, 20) is 10; across seeds (1000 vs 2000) SD 707.1; p=101 ensembles have no onset.
  assert.match(rnd.answer, /6 rounding ensembles .* median 10 epochs; the jitters agree on the MIScope class in 6 of 6/);
  assert.match(rnd.answer, /median 707 epochs over 2 groups, 70\.7 times the rounding spread\. So the seed matters beyond rounding noise here/);
});

test('unfinished runs are left out of every count and named in a leading section; a study of only unfinished runs is refused', () => {
  const all = scenarioA();
  const full = computeStudyFromData(all);
  // The p=97 run marked interrupted: the study equals the study of the other three, plus the 'left-out' section.
  const marked = all.map((r, i) => (i === 0 ? { ...r, unfinished: { state: 'interrupted', epoch: 1800 } } : r));
  const s = computeStudyFromData(marked);
  assert.equal(s.sections[0].id, 'left-out');
  assert.match(s.sections[0].answer, /1 run\(s\) are not finished.*\(interrupted at epoch 1800 of/);
  const rest = computeStudyFromData(all.slice(1));
  assert.deepEqual(JSON.parse(JSON.stringify(s.sections.slice(1))), JSON.parse(JSON.stringify(rest.sections)));
  assert.notDeepEqual(JSON.parse(JSON.stringify(s.sections.slice(1))), JSON.parse(JSON.stringify(full.sections)));
  assert.throws(() => computeStudyFromData(all.map((r) => ({ ...r, unfinished: { state: 'training', epoch: 10 } }))), /at least one finished run \(4 left out/);
});
