/**
 * A store shaped like the seed experiment (8 runs × 251 checkpoints × 512 neurons, p ≈ 113) for
 * timing the report without hours of training and minutes of analysis: the analysis artifacts and
 * their SQLite rows are written in the analyzers' own format (neuron_fourier, embedding_fourier) from
 * synthetic fractions (spread at initialisation, concentrating on a few key frequencies around the
 * run's grokking epoch); checkpoints are real parameter files every 2500 epochs (each index row
 * points to the latest file at or before it). Only for benchmarks: the numbers mean nothing.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_OPTIONS } from '../../src/analysis/protocol/analyzer.js';
import { embeddingFourierAnalyzer } from '../../src/analysis/analyzers/embedding-fourier.js';
import { neuronFourierAnalyzer, summariseNeuronFourier } from '../../src/analysis/analyzers/neuron-fourier.js';
import { gini, keyFrequencies } from '../../src/analysis/library/embedding.js';
import { artifactPath } from '../../src/analysis/pipeline.js';
import { seededRandom } from '../../src/math/stats.js';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { DEFAULTS, type TrainConfig } from '../../src/config/config.js';
import { initParams } from '../../src/model/init.js';
import { writeSafetensorsFile } from '../../src/io/safetensors.js';
import { Store } from '../../src/store/store.js';
import { fixtureMetrics } from './fixture.js';

export const SEED_RUNS: { p: number; seed: number; grokAt: number | null }[] = [
  { p: 97, seed: 485, grokAt: 9000 }, { p: 97, seed: 999, grokAt: 14000 },
  { p: 101, seed: 485, grokAt: 16000 }, { p: 101, seed: 999, grokAt: null },
  { p: 109, seed: 485, grokAt: 7000 }, { p: 109, seed: 999, grokAt: 12000 },
  { p: 113, seed: 485, grokAt: 8000 }, { p: 113, seed: 999, grokAt: 14000 },
];

export function buildBenchStore(dir: string, opts: { epochs?: number; every?: number; dMlp?: number; runs?: typeof SEED_RUNS } = {}): string[] {
  const epochs = opts.epochs ?? 25000, every = opts.every ?? 100, m = opts.dMlp ?? 512;
  const store = Store.open(dir);
  const ids: string[] = [];
  try {
    for (const r of opts.runs ?? SEED_RUNS) {
      const config: TrainConfig = { ...DEFAULTS, p: r.p, seed: r.seed, dMlp: m, epochs };
      const runId = `p${r.p}-s${r.seed}-bench`;
      ids.push(runId);
      store.createRun({ run_id: runId, p: r.p, seed: r.seed, data_seed: config.dataSeed, epochs, config_json: JSON.stringify(config), engine: 'bench', source: 'grokbench' });
      const rand = seededRandom(r.p * 1000 + r.seed);
      const nF = (r.p - 1) / 2;
      const keys = [1 + Math.floor(rand() * nF), 1 + Math.floor(rand() * nF), 1 + Math.floor(rand() * nF)];
      // Checkpoint files every 2500 epochs; the W_E drifts towards the key frequencies.
      mkdirSync(store.checkpointDir(runId), { recursive: true });
      const init = initParams(config, r.seed);
      const WE0 = Float32Array.from(init.t['embed.W_E']);
      const d = config.dModel;
      let lastFile = '';
      const neuronKey = Int32Array.from({ length: m }, () => keys[Math.floor(rand() * keys.length)]);
      const base = Float32Array.from({ length: nF * m }, () => -Math.log(1 - rand()));
      const flatAt0 = Uint8Array.from({ length: m }, () => (rand() < 0.2 ? 1 : 0));
      for (let e = 0; e <= epochs; e += every) {
        const t = e / epochs;
        if (e % 2500 === 0 || e === epochs) {
          const WE = init.t['embed.W_E'];
          for (let a = 0; a < r.p; a++) for (let j = 0; j < d; j++) {
            const target = 0.6 * Math.cos((2 * Math.PI * keys[j % keys.length] * a) / r.p + (2 * Math.PI * j) / d);
            WE[a * d + j] = (1 - t) * WE0[a * d + j] + t * target;
          }
          lastFile = store.checkpointPath(runId, e);
          saveCheckpoint(lastFile, init, { config: JSON.stringify(config) });
        }
        store.addCheckpoint(runId, { epoch: e, step: e, path: lastFile });
        // Fractions: spread (exponential weights) → concentrated on the neuron's key frequency.
        const s = r.grokAt === null ? 0.05 * t : 1 / (1 + Math.exp(-(e - r.grokAt) / 800));
        const frac = new Float32Array(nF * m), flat = new Uint8Array(m), dom = new Int32Array(m), domF = new Float32Array(m);
        const variance = new Float32Array(m), aOnly = new Float32Array(m), bOnly = new Float32Array(m), joint = new Float32Array(m);
        for (let n = 0; n < m; n++) {
          if (flatAt0[n] && rand() > t) { flat[n] = 1; continue; }
          let tot = 0;
          for (let k = 0; k < nF; k++) tot += base[k * m + n] * (0.7 + 0.6 * rand());
          let best = -1;
          for (let k = 0; k < nF; k++) {
            const spread = (0.9 * base[k * m + n]) / tot;
            const v = (1 - s) * spread + s * (k + 1 === neuronKey[n] ? 0.97 : 0.03 / nF);
            frac[k * m + n] = v;
            if (v > best) { best = v; dom[n] = k + 1; domF[n] = v; }
          }
          variance[n] = 0.1 + rand();
          aOnly[n] = 0.3 * rand(); bOnly[n] = 0.3 * rand(); joint[n] = 1 - aOnly[n] - bOnly[n];
        }
        const nfPath = artifactPath(store, runId, neuronFourierAnalyzer.name, e);
        mkdirSync(dirname(nfPath), { recursive: true });
        const v = (data: Float32Array) => ({ dtype: 'F32' as const, shape: [m], data });
        writeSafetensorsFile(nfPath, {
          frac: { dtype: 'F32', shape: [nF, m], data: frac }, variance: v(variance), flat: { dtype: 'U8', shape: [m], data: flat },
          a_only: v(aOnly), b_only: v(bOnly), joint: v(joint), dominant_frequency: { dtype: 'I32', shape: [m], data: dom }, dominant_fraction: v(domF),
        });
        const summary = summariseNeuronFourier({ nFreq: nF, dMlp: m, frac, variance, flat, aOnly, bOnly, joint, dominantFrequency: dom, dominantFraction: domF }, DEFAULT_OPTIONS);
        store.putAnalysis(runId, e, neuronFourierAnalyzer.name, neuronFourierAnalyzer.params(DEFAULT_OPTIONS), summary, nfPath);
        // Embedding norms: noise plus the key frequencies growing.
        const norms = new Float32Array(nF), cos = new Float32Array(nF), sin = new Float32Array(nF);
        for (let k = 0; k < nF; k++) {
          const g = keys.includes(k + 1) ? 1 + 8 * t : 1;
          cos[k] = g * (0.5 + 0.5 * rand()); sin[k] = g * (0.5 + 0.5 * rand()); norms[k] = Math.hypot(cos[k], sin[k]);
        }
        const kf = keyFrequencies(norms);
        const efPath = artifactPath(store, runId, embeddingFourierAnalyzer.name, e);
        mkdirSync(dirname(efPath), { recursive: true });
        writeSafetensorsFile(efPath, {
          norms: { dtype: 'F32', shape: [nF], data: norms }, cos_norms: { dtype: 'F32', shape: [nF], data: cos },
          sin_norms: { dtype: 'F32', shape: [nF], data: sin }, key_frequencies: { dtype: 'I32', shape: [kf.length], data: Int32Array.from(kf) },
        });
        store.putAnalysis(runId, e, embeddingFourierAnalyzer.name, embeddingFourierAnalyzer.params(DEFAULT_OPTIONS),
          { key_frequencies: kf, gini: gini(norms), key_share: 0.5, norms: Array.from(norms) }, efPath);
      }
      const metrics = fixtureMetrics({ p: r.p, seed: r.seed, grokAt: r.grokAt, epochs, checkpointEvery: every, keys });
      store.appendMetrics(runId, metrics);
      store.updateRun(runId, { epochs_done: epochs, status: 'done' });
    }
  } finally {
    store.close();
  }
  return ids;
}
