/**
 * The analyzer protocol (after MIScope): every analysis is an analyzer registered by name. A
 * checkpoint analyzer turns one checkpoint into a small JSON summary (stored in SQLite) and named
 * tensors (stored as one safetensors artifact per (analyzer, checkpoint):
 * `runs/<id>/analysis/<analyzer>/epoch-NNNNNN.safetensors`); a run analyzer turns a run's metrics
 * into a summary. Analyses are resumable because each (run, epoch, analyzer, params) row is written
 * only after its artifact. A new analysis is one new file in analyzers/ plus one line below.
 */
import type { Kernels } from '../engine/kernels.js';
import { badInput } from '../errors.js';
import type { LoadedCheckpoint } from '../model/checkpoint.js';
import type { SafetensorsFile, TensorInput } from '../store/safetensors.js';
import type { MetricRow, Store } from '../store/store.js';
import type { Scratch } from './scratch.js';
import { embeddingFourierAnalyzer } from './analyzers/embedding-fourier.js';
import { grokkingAnalyzer } from './analyzers/grokking.js';
import { gradientFlowAnalyzer } from './analyzers/gradient-flow.js';
import { curvatureAnalyzer } from './analyzers/curvature.js';
import { effectiveDimensionalityAnalyzer } from './analyzers/effective-dimensionality.js';
import { attentionAnalyzer } from './analyzers/attention.js';
import { inputTraceAnalyzer } from './analyzers/input-trace.js';
import { representationGeometryAnalyzer } from './analyzers/representation-geometry.js';
import { neuronFourierAnalyzer } from './analyzers/neuron-fourier.js';
import { outcomeAnalyzer } from './analyzers/outcome.js';
import { parameterTrajectoryAnalyzer } from './analyzers/parameter-trajectory.js';
import { effdimCrossoverAnalyzer } from './analyzers/effdim-crossover.js';

/** Options every analyzer may read; each declares the ones its results depend on in `params`. */
export interface AnalysisOptions {
  /** K, the number of low frequencies in coarseness (default 3). */
  lowFreqs: number;
  /** Score flat neurons 0 (MIScope) instead of leaving them out. */
  flatAsZero: boolean;
  /** The test-loss threshold of grok_epoch (default 0.01). */
  grokLoss: number;
  /** Flatness (curvature analyzer) at epoch 0 and every this many epochs; 1 = every checkpoint (default 2500). */
  curvatureEvery?: number;
}

export const DEFAULT_OPTIONS: AnalysisOptions = { lowFreqs: 3, flatAsZero: false, grokLoss: 0.01 };

export interface CheckpointContext {
  kernels: Kernels;
  /** Buffers reused across checkpoints by the same worker. */
  scratch: Scratch;
  checkpoint: LoadedCheckpoint;
  /** The checkpoint's file (analyzers that need the run's split find `split.json` beside its folder). */
  checkpointPath?: string;
  epoch: number | null;
  runId: string | null;
  options: AnalysisOptions;
  /** The activation maps [p², d_mlp] (row a·p+b), computed on first use and shared by analyzers. */
  activations(): Float32Array;
}

export interface AnalyzerOutput {
  summary: object;
  tensors: Record<string, TensorInput>;
}

export interface Analyzer {
  readonly name: string;
  /** Bumped when the artifact's meaning changes: older results then count as not analysed. */
  readonly version: number;
  /** The parameters the stored summary depends on (the version included). */
  params(opts: AnalysisOptions): Record<string, unknown>;
  analyseCheckpoint(ctx: CheckpointContext): AnalyzerOutput;
  /** Re-derive the summary for other options from an artifact already written (no recomputation). */
  summariseArtifact?(file: SafetensorsFile, opts: AnalysisOptions): object;
}

export interface RunContext {
  runId: string;
  metrics: MetricRow[];
  options: AnalysisOptions;
  /** The store, for run analyzers that summarise the run's checkpoint analyses (run after them). */
  store?: Store;
}

export interface RunAnalyzer {
  readonly name: string;
  readonly version: number;
  params(opts: AnalysisOptions): Record<string, unknown>;
  analyseRun(ctx: RunContext): object;
}

const checkpointAnalyzers = new Map<string, Analyzer>();
const runAnalyzers = new Map<string, RunAnalyzer>();

export function registerAnalyzer(a: Analyzer): void { checkpointAnalyzers.set(a.name, a); }
export function registerRunAnalyzer(a: RunAnalyzer): void { runAnalyzers.set(a.name, a); }

/** Checkpoint analyzers in registration order. */
export function listAnalyzers(): Analyzer[] { return [...checkpointAnalyzers.values()]; }
export function listRunAnalyzers(): RunAnalyzer[] { return [...runAnalyzers.values()]; }

export function getAnalyzer(name: string): Analyzer {
  const a = checkpointAnalyzers.get(name);
  if (!a) throw badInput(`unknown analyzer ${name} (known: ${[...checkpointAnalyzers.keys()].join(', ')})`);
  return a;
}

/** `epoch-000100.safetensors`. */
export function artifactFileName(epoch: number): string {
  return `epoch-${String(epoch).padStart(6, '0')}.safetensors`;
}

/** String metadata written into every artifact. */
export function artifactMetadata(a: Analyzer, ctx: CheckpointContext): Record<string, string> {
  const md: Record<string, string> = { analyzer: a.name, version: String(a.version), p: String(ctx.checkpoint.config.p) };
  if (ctx.epoch !== null) md.epoch = String(ctx.epoch);
  if (ctx.runId !== null) md.run_id = ctx.runId;
  return md;
}

registerAnalyzer(neuronFourierAnalyzer);
registerAnalyzer(embeddingFourierAnalyzer);
registerAnalyzer(gradientFlowAnalyzer);
registerAnalyzer(curvatureAnalyzer);
registerAnalyzer(effectiveDimensionalityAnalyzer);
registerAnalyzer(attentionAnalyzer);
registerAnalyzer(inputTraceAnalyzer);
registerAnalyzer(representationGeometryAnalyzer);
registerAnalyzer(parameterTrajectoryAnalyzer);
registerRunAnalyzer(grokkingAnalyzer);
registerRunAnalyzer(outcomeAnalyzer);
registerRunAnalyzer(effdimCrossoverAnalyzer);
