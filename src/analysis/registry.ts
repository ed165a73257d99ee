/**
 * The analyzer table: every analyzer grokbench runs, in the order `analyze` runs them. This file
 * imports the analyzers; they import only the protocol (protocol/analyzer.ts), never this table.
 * A name given twice, or a requirement that is not an analyzer of an earlier tier or row, is an
 * error when the module loads (as tfjs's kernel registry refuses a name twice).
 *
 * Tiers (protocol/analyzer.ts, docs/design.md §9): checkpoint analyzers see one checkpoint (in
 * parallel); cross-epoch analyzers see the run's checkpoints in order, after the checkpoint
 * analyzers; run analyzers see the run's metrics and the stored rows of what they require, last.
 */
import { badInput } from '../core/errors.js';
import type { Analyzer, AnyAnalyzer, CrossEpochAnalyzer, RunAnalyzer } from './protocol/analyzer.js';
import { activationDmdAnalyzer } from './analyzers/activation-dmd.js';
import { attentionAnalyzer } from './analyzers/attention.js';
import { curvatureAnalyzer } from './analyzers/curvature.js';
import { effdimCrossoverAnalyzer } from './analyzers/effdim-crossover.js';
import { effectiveDimensionalityAnalyzer } from './analyzers/effective-dimensionality.js';
import { embeddingFourierAnalyzer } from './analyzers/embedding-fourier.js';
import { fourierFrequencyQualityAnalyzer } from './analyzers/fourier-frequency-quality.js';
import { fourierNucleationAnalyzer } from './analyzers/fourier-nucleation.js';
import { freqGroupWeightGeometryAnalyzer } from './analyzers/freq-group-weight-geometry.js';
import { globalCentroidPcaAnalyzer } from './analyzers/global-centroid-pca.js';
import { gradientFlowAnalyzer } from './analyzers/gradient-flow.js';
import { grokkingAnalyzer } from './analyzers/grokking.js';
import { llcAnalyzer } from './analyzers/llc.js';
import { inputTraceAnalyzer } from './analyzers/input-trace.js';
import { intragroupManifoldAnalyzer } from './analyzers/intragroup-manifold.js';
import { neuronFourierAnalyzer } from './analyzers/neuron-fourier.js';
import { neuronGroupingAnalyzer } from './analyzers/neuron-grouping.js';
import { neuronGroupPcaAnalyzer } from './analyzers/neuron-group-pca.js';
import { neuronWeightFourierAnalyzer } from './analyzers/neuron-weight-fourier.js';
import { outcomeAnalyzer } from './analyzers/outcome.js';
import { parameterDmdAnalyzer } from './analyzers/parameter-dmd.js';
import { parameterTrajectoryAnalyzer } from './analyzers/parameter-trajectory.js';
import { pizzaClockAnalyzer } from './analyzers/pizza-clock.js';
import { representationGeometryAnalyzer } from './analyzers/representation-geometry.js';
import { reprGeometryAnalyzer } from './analyzers/repr-geometry.js';
import { restrictedLossAnalyzer } from './analyzers/restricted-loss.js';
import { weightNormAnalyzer } from './analyzers/weight-norm.js';
import { variantSummaryAnalyzer } from './analyzers/variant-summary.js';

/** Checkpoint analyzers, in the order they run on each checkpoint. */
const CHECKPOINT_ANALYZERS: readonly Analyzer[] = [
  neuronFourierAnalyzer,
  embeddingFourierAnalyzer,
  gradientFlowAnalyzer,
  curvatureAnalyzer,
  llcAnalyzer,
  effectiveDimensionalityAnalyzer,
  attentionAnalyzer,
  inputTraceAnalyzer,
  representationGeometryAnalyzer,
  reprGeometryAnalyzer,
  weightNormAnalyzer,
  pizzaClockAnalyzer,
  neuronGroupingAnalyzer,
  neuronWeightFourierAnalyzer,
  fourierFrequencyQualityAnalyzer,
  fourierNucleationAnalyzer,
];

/** Cross-epoch analyzers, after the checkpoint analyzers of the run. */
const CROSS_EPOCH_ANALYZERS: readonly CrossEpochAnalyzer[] = [parameterTrajectoryAnalyzer, globalCentroidPcaAnalyzer, restrictedLossAnalyzer,
  neuronGroupPcaAnalyzer, freqGroupWeightGeometryAnalyzer, intragroupManifoldAnalyzer];

/** Run analyzers, last. */
const RUN_ANALYZERS: readonly RunAnalyzer[] = [grokkingAnalyzer, outcomeAnalyzer, effdimCrossoverAnalyzer, activationDmdAnalyzer, parameterDmdAnalyzer,
  variantSummaryAnalyzer];

/** The table checked: unique names, each requirement an analyzer that runs before its user. */
export function checkTable(table: readonly AnyAnalyzer[]): Map<string, AnyAnalyzer> {
  const byName = new Map<string, AnyAnalyzer>();
  for (const a of table) {
    if (byName.has(a.name)) throw new Error(`analyzer ${a.name} is in the table twice`);
    for (const r of a.tier === 'checkpoint' ? [] : a.requires) {
      if (!byName.has(r)) throw new Error(`analyzer ${a.name} requires ${r}, which is not an analyzer before it in the table`);
    }
    byName.set(a.name, a);
  }
  return byName;
}

const byName = checkTable([...CHECKPOINT_ANALYZERS, ...CROSS_EPOCH_ANALYZERS, ...RUN_ANALYZERS]);

/** Checkpoint analyzers in table order. */
export function listAnalyzers(): Analyzer[] { return [...CHECKPOINT_ANALYZERS]; }
export function listCrossEpochAnalyzers(): CrossEpochAnalyzer[] { return [...CROSS_EPOCH_ANALYZERS]; }
export function listRunAnalyzers(): RunAnalyzer[] { return [...RUN_ANALYZERS]; }

/** A checkpoint analyzer by name. */
export function getAnalyzer(name: string): Analyzer {
  const a = CHECKPOINT_ANALYZERS.find((x) => x.name === name);
  if (!a) throw badInput(`unknown analyzer ${name} (known: ${CHECKPOINT_ANALYZERS.map((x) => x.name).join(', ')})`);
  return a;
}

/** Any analyzer by name, with its tier. */
export function findAnalyzer(name: string): AnyAnalyzer | undefined { return byName.get(name); }

/** The analyzers every analysis computes, whatever is chosen: the coarseness, the embedding spectrum, the grokking times and the outcome (the home table and the study read them). */
export const CORE_ANALYZERS: readonly string[] = ['neuron_fourier', 'embedding_fourier', 'grokking', 'outcome'];

/**
 * The names an analysis with `--analyzers` computes: the chosen ones, the core, and every analyzer
 * they require (transitively); null when none is chosen (all). An unknown name is a one-line error.
 */
export function selectedAnalyzers(chosen: readonly string[] | undefined): ReadonlySet<string> | null {
  if (chosen === undefined) return null;
  const out = new Set<string>();
  const add = (name: string): void => {
    if (out.has(name)) return;
    const a = byName.get(name);
    if (!a) throw badInput(`unknown analyzer ${name} (known: ${[...byName.keys()].join(', ')})`);
    out.add(name);
    for (const r of a.tier === 'checkpoint' ? [] : a.requires) add(r);
  };
  for (const n of [...CORE_ANALYZERS, ...chosen]) add(n);
  return out;
}
