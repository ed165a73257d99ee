/**
 * An intervention run (issue 15 §1): a sub-run of the parent run of the same settings, trained
 * with one intervention (src/model/interventions.ts) given as `--intervention FILE.json`.
 *
 *   run id      `<parent id>-iv-<hash>`: hash = the first 8 hex digits of sha256 of the spec's
 *               canonical JSON (defaults filled in), so the same intervention is the same run.
 *   provenance  run.json gets `parent_run_id`, `intervention` (the spec), `intervention_hash`;
 *               runs/<id>/intervention.json holds the same plus what the intervention recorded
 *               (blob_init: the chosen neurons' measured coarseness and specialization at epoch 0;
 *               frequency_gain: the directions' epoch).
 *   frequency_gain  directions from W_E after the step of epoch_start (MIScope takes them from its
 *               checkpoint labelled epoch_start, i.e. after epoch_start + 1 steps; that step is
 *               unhooked, ramp factor 0), kept in runs/<id>/intervention-directions.json for resume.
 *   ablate      from epoch_start on, in the training pass (batch mean for mode mean) and the test
 *               evaluation (with the constants of that epoch's training pass).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { activationMaps } from '../analysis/library/activations.js';
import { fourierBasis } from '../math/basis.js';
import { coarsenessFromFractions, concentrationFromFractions, neuronFourier } from '../analysis/library/coarseness.js';
import type { Kernels } from '../engine/kernels.js';
import { failure } from '../core/errors.js';
import {
  type AblationHook, type FrequencyDirections, type Hooks, type LoadedIntervention, ablationHook, blobInit, chosenNeurons,
  frequencyDirections, gainMatrix, gainVector, provenance, rampFactor,
} from '../model/interventions.js';
import type { Params } from '../model/params.js';
import { writeFileAtomic } from '../core/atomic.js';

/** The hooks of one training run, epoch by epoch. */
export class TrainingIntervention {
  private dirs: FrequencyDirections | null = null;
  private lastAblation: AblationHook | null = null;

  constructor(readonly iv: LoadedIntervention, private readonly runDir: string, private readonly parentId: string) {}

  private get directionsPath(): string { return join(this.runDir, 'intervention-directions.json'); }

  /** At a fresh start (W_0 drawn): blob_init sets its neurons and records what they measure; every type writes intervention.json. */
  atInit(k: Kernels, params: Params): void {
    const record: Record<string, unknown> = { ...provenance(this.parentId, this.iv) };
    const spec = this.iv.spec;
    if (spec.type === 'blob_init') {
      const done = blobInit(k, params, spec);
      const { p, dMlp: m } = params.config;
      const nf = neuronFourier(k, activationMaps(k, params), p, m);
      const coarse = coarsenessFromFractions(nf.frac, nf.flat, nf.nFreq, m, 3, false);
      const spec0 = concentrationFromFractions(nf.frac, nf.flat, nf.nFreq, m);
      const num = (v: number): number | null => (Number.isNaN(v) ? null : v);
      record.epoch0_neurons = done.map((x) => ({
        ...x, coarseness_k3: num(coarse[x.neuron]), specialization: num(spec0[x.neuron]),
        dominant_frequency: nf.flat[x.neuron] ? null : nf.dominantFrequency[x.neuron],
      }));
    } else if (spec.type === 'ablate') {
      record.neurons = Array.from(chosenNeurons(spec, params.config.dMlp));
    }
    writeFileAtomic(join(this.runDir, 'intervention.json'), JSON.stringify(record, null, 2) + '\n');
  }

  /** The hooks of the training pass of epoch e (params = W_e), or undefined when none is active. */
  trainHooks(e: number, params: Params, k: Kernels): Hooks | undefined {
    const spec = this.iv.spec;
    if (spec.type === 'ablate') {
      if (e < spec.epoch_start) return undefined;
      this.lastAblation = ablationHook(chosenNeurons(spec, params.config.dMlp), spec.mode);
      return { ablation: this.lastAblation };
    }
    if (spec.type !== 'frequency_gain') return undefined;
    const ramp = rampFactor(e, spec);
    if (ramp === 0) return undefined;
    const { p, dModel: d } = params.config;
    if (e === spec.epoch_start + 1) {
      this.dirs = frequencyDirections(params.t['embed.W_E'], p, d, fourierBasis(p));
      writeFileAtomic(this.directionsPath, JSON.stringify({ epoch: e, d_model: d, sin: Array.from(this.dirs.sin), cos: Array.from(this.dirs.cos) }));
    } else if (!this.dirs) {
      if (!existsSync(this.directionsPath)) throw failure(`${this.directionsPath} is missing: the frequency directions of this resumed run are lost`);
      const j = JSON.parse(readFileSync(this.directionsPath, 'utf8')) as { sin: number[]; cos: number[] };
      this.dirs = { nFreq: (p - 1) / 2, d, sin: Float64Array.from(j.sin), cos: Float64Array.from(j.cos) };
    }
    const M = gainMatrix(this.dirs, gainVector(spec, this.dirs.nFreq), ramp);
    const v = k.alloc(d * d);
    v.set(M);
    return { attnOut: v };
  }

  /** The hooks of the test evaluation at epoch e: the ablation with the constants of that epoch's training pass. */
  evalHooks(e: number): Hooks | undefined {
    const spec = this.iv.spec;
    if (spec.type !== 'ablate' || e < spec.epoch_start || !this.lastAblation) return undefined;
    return { ablation: { ...this.lastAblation, fixed: true } };
  }
}
