/**
 * `restricted_loss` (issue 26 §7), a cross-epoch analyzer: Nanda et al.'s restricted and excluded
 * loss and the shares of the logit variance at the key frequencies (library/restricted-loss.ts) at
 * every checkpoint, with one set of key frequencies for the whole run, as the paper does (its
 * notebook fixes the key frequencies of the final model and measures every checkpoint with them).
 *
 * Key frequencies: the run's own commitment at its last analysed checkpoint, i.e. the frequencies
 * on which ≥ 10 % of the d_mlp neurons are specialised (library/commitment.ts; MIScope's
 * `learned_frequencies`, the analogue of the paper's neuron clusters); when none is committed
 * (a run that has not grokked, or not yet), the embedding's key frequencies at that checkpoint
 * (embedding_fourier: the smallest set of frequencies holding half of W_E's Fourier energy), and
 * the summary says which (`key_frequency_source`). It requires neuron_fourier and
 * embedding_fourier, which run before it.
 *
 * While a run is still training its last checkpoint moves; when the key frequencies it gives
 * differ from those a stored row was computed with, that row is computed again in the same call
 * (the call comes whenever the run has a new checkpoint), so a run's rows always share one set.
 *
 * Each checkpoint's logits over all p² pairs are computed here (evalLogits, in this thread): one
 * forward pass per checkpoint, freed before the next; memory is the forward workspace of one
 * checkpoint (about 40 MB at p = 113, d_mlp = 512), nothing held across checkpoints.
 * Artifact tensors: key_frequencies I32 [n_key], excluded_loss_per_key F64 [n_key], cos_coefficients
 * and sin_coefficients F64 [(p−1)/2] (coefficients of the logits on unit cos/sin(w_k(a+b−c)), all k).
 * Summary: RestrictedLossSummary below (null train/test fields when the run's split is unknown).
 */
import { existsSync } from 'node:fs';
import { loadKernels } from '../../engine/index.js';
import { loadCheckpoint } from '../../model/checkpoint.js';
import { computeTables, evalLogits, makeBatch, Workspace, type Tables } from '../../model/model.js';
import type { Store } from '../../store/store.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import type { AnalyzerOutput, CrossEpochAnalyzer, EpochCheckpoint } from '../protocol/analyzer.js';
import { trainIndicesOfRunDir } from '../protocol/train-set.js';
import { committedFrequencies } from '../library/commitment.js';
import { concentrationFromFractions } from '../library/coarseness.js';
import { restrictedLoss } from '../library/restricted-loss.js';
import { NEURON_FOURIER, readNeuronFourierArtifact } from './neuron-fourier.js';
import { EMBEDDING_FOURIER, type EmbeddingFourierSummary } from './embedding-fourier.js';

export const RESTRICTED_LOSS = 'restricted_loss';

export const RESTRICTED_LOSS_PARAMS = {
  version: 1,
  key_frequencies: 'committed at the last checkpoint (>= 10 % of d_mlp specialised), else the embedding key frequencies there',
} as const;

export interface RunKeys { frequencies: number[]; source: 'committed' | 'embedding'; epoch: number }

export interface RestrictedLossSummary {
  key_frequencies: number[];
  key_frequency_source: RunKeys['source'];
  /** The checkpoint the key frequencies were read at. */
  key_frequency_epoch: number;
  loss: number; train_loss: number | null; test_loss: number | null;
  restricted_loss: number; restricted_loss_train: number | null; restricted_loss_test: number | null; restricted_accuracy: number;
  excluded_loss: number | null; excluded_accuracy: number | null; excluded_loss_3d: number | null;
  excluded_loss_per_key: (number | null)[];
  key_logit_fraction: number | null; trig_sum_fraction: number | null;
}

/**
 * The run's key frequencies: committed at the latest of `checkpoints` that has a neuron_fourier
 * artifact, else that checkpoint's embedding key frequencies; null when neither is stored.
 */
export function runKeysForRestrictedLoss(store: Store, runId: string, checkpoints: readonly EpochCheckpoint[]): RunKeys | null {
  const epochs = new Set(checkpoints.map((c) => c.epoch));
  const nf = store.getAnalyses(runId, NEURON_FOURIER).filter((r) => r.path !== null && epochs.has(r.epoch) && existsSync(r.path));
  const last = nf[nf.length - 1];
  if (last) {
    const a = readNeuronFourierArtifact(readSafetensorsFile(last.path!), last.path!);
    const committed = committedFrequencies(concentrationFromFractions(a.frac, a.flat, a.nFreq, a.dMlp), a.dominantFrequency, a.nFreq);
    if (committed.length > 0) return { frequencies: committed, source: 'committed', epoch: last.epoch };
  }
  const emb = store.getAnalyses<EmbeddingFourierSummary>(runId, EMBEDDING_FOURIER).filter((r) => epochs.has(r.epoch) && (!last || r.epoch === last.epoch));
  const e = emb[emb.length - 1];
  return e ? { frequencies: [...e.summary.key_frequencies], source: 'embedding', epoch: e.epoch } : null;
}

const sameKeys = (s: RestrictedLossSummary, k: RunKeys): boolean =>
  s.key_frequency_source === k.source && s.key_frequency_epoch === k.epoch && s.key_frequencies.join(',') === k.frequencies.join(',');

export const restrictedLossAnalyzer: CrossEpochAnalyzer = {
  tier: 'cross_epoch',
  name: RESTRICTED_LOSS,
  version: RESTRICTED_LOSS_PARAMS.version,
  requires: [NEURON_FOURIER, EMBEDDING_FOURIER],
  params() { return RESTRICTED_LOSS_PARAMS; },
  analyseEpochs(ctx, emit) {
    const keys = runKeysForRestrictedLoss(ctx.store, ctx.runId, ctx.checkpoints);
    if (!keys) return;
    const stale = new Set(ctx.store.getAnalyses<RestrictedLossSummary>(ctx.runId, RESTRICTED_LOSS, RESTRICTED_LOSS_PARAMS)
      .filter((r) => !sameKeys(r.summary, keys)).map((r) => r.epoch));
    const k = loadKernels();
    let ws: Workspace | null = null, tables: Tables | undefined, train: Uint8Array | null | undefined;
    for (const cp of ctx.checkpoints) {
      if (!ctx.todo.has(cp.epoch) && !stale.has(cp.epoch)) continue;
      const { params, config } = loadCheckpoint(cp.path);
      const p = config.p, N = p * p;
      if (train === undefined) {
        const t = trainIndicesOfRunDir(ctx.store.runDir(ctx.runId), p);
        train = t ? new Uint8Array(N) : null;
        if (t && train) for (const i of t.indices) train[i] = 1;
      }
      ws ??= new Workspace(k, params, N);
      tables = computeTables(k, params, tables);
      const logits = evalLogits(k, params, tables, makeBatch(p, Int32Array.from({ length: N }, (_, i) => i)), ws);
      emit(cp.epoch, restrictedLossRow(restrictedLoss(logits, p, keys.frequencies, train), keys));
    }
  },
};

/** The stored row of one checkpoint from its measures. */
export function restrictedLossRow(r: ReturnType<typeof restrictedLoss>, keys: RunKeys): AnalyzerOutput {
  const summary: RestrictedLossSummary = {
    key_frequencies: keys.frequencies, key_frequency_source: keys.source, key_frequency_epoch: keys.epoch,
    loss: r.loss, train_loss: r.train_loss, test_loss: r.test_loss,
    restricted_loss: r.restricted_loss, restricted_loss_train: r.restricted_loss_train, restricted_loss_test: r.restricted_loss_test,
    restricted_accuracy: r.restricted_accuracy,
    excluded_loss: r.excluded_loss, excluded_accuracy: r.excluded_accuracy, excluded_loss_3d: r.excluded_loss_3d, excluded_loss_per_key: r.excluded_loss_per_key,
    key_logit_fraction: r.key_logit_fraction, trig_sum_fraction: r.trig_sum_fraction,
  };
  const nK = keys.frequencies.length, nF = r.cos_coefficients.length;
  return {
    summary,
    tensors: {
      key_frequencies: { dtype: 'I32', shape: [nK], data: Int32Array.from(keys.frequencies) },
      excluded_loss_per_key: { dtype: 'F64', shape: [nK], data: Float64Array.from(r.excluded_loss_per_key, (x) => x ?? NaN) },
      cos_coefficients: { dtype: 'F64', shape: [nF], data: r.cos_coefficients },
      sin_coefficients: { dtype: 'F64', shape: [nF], data: r.sin_coefficients },
    },
  };
}
