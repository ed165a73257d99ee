/**
 * What the frequency-group cross-epoch analyzers (neuron_group_pca, freq_group_weight_geometry,
 * intragroup_manifold) share: the reference epoch and its groups, and which epochs to (re)compute.
 *
 * MIScope fixes the groups at the final checkpoint (`sorted_epochs[-1]`): here the run's last
 * checkpoint, from that checkpoint's stored `neuron_fourier` row (its `frac` [(p−1)/2, d_mlp] is
 * MIScope's neuron_freq_norm norm_matrix: each neuron's activation variance share per frequency).
 * Every row records its `reference_epoch`; when the run gains a later checkpoint, the rows made with
 * the older reference are recomputed along with the new ones (they are emitted beyond `todo`), so
 * the stored rows always share one grouping, as MIScope's one cross-epoch artifact does.
 */
import { existsSync } from 'node:fs';
import { failure } from '../../core/errors.js';
import { readSafetensorsFile } from '../../io/safetensors.js';
import type { CrossEpochContext, EpochCheckpoint } from '../protocol/analyzer.js';
import { type FreqGroups, dominantFrequencyGroups } from '../library/neuron-group-pca.js';
import { NEURON_FOURIER, neuronFourierAnalyzer } from './neuron-fourier.js';

export interface ReferenceGroups extends FreqGroups {
  reference_epoch: number;
  d_mlp: number;
}

/** The groups of the run's last checkpoint, from its neuron_fourier artifact. */
export function referenceGroups(ctx: CrossEpochContext): ReferenceGroups {
  const ref = ctx.checkpoints[ctx.checkpoints.length - 1].epoch;
  const row = ctx.store.getAnalyses(ctx.runId, NEURON_FOURIER, neuronFourierAnalyzer.params(ctx.options)).find((r) => r.epoch === ref);
  if (!row?.path || !existsSync(row.path)) throw failure(`epoch ${ref}: no ${NEURON_FOURIER} artifact to take the frequency groups from`);
  const f = readSafetensorsFile(row.path);
  const [nFreq, m] = f.info('frac').shape;
  return { ...dominantFrequencyGroups(f.getFloat32('frac'), nFreq, m), reference_epoch: ref, d_mlp: m };
}

/** The checkpoints to compute: those in `todo` and those whose stored row has another reference epoch. */
export function epochsToCompute(ctx: CrossEpochContext, name: string, params: object, reference: (epoch: number) => number | undefined): EpochCheckpoint[] {
  const stored = new Map(ctx.store.getAnalyses<{ reference_epoch?: number }>(ctx.runId, name, params).map((r) => [r.epoch, r.summary.reference_epoch]));
  return ctx.checkpoints.filter((c) => ctx.todo.has(c.epoch) || stored.get(c.epoch) !== reference(c.epoch));
}
