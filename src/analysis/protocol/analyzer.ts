/**
 * The analyzer protocol (after MIScope): every analysis is an analyzer registered by name, in one
 * of three declared tiers (docs/design.md §9):
 * - `checkpoint`: one checkpoint in, a small JSON summary (stored in SQLite) and named tensors
 *   out (one safetensors artifact per (analyzer, checkpoint):
 *   `runs/<id>/analysis/<analyzer>/epoch-NNNNNN.safetensors`). Checkpoints run in parallel.
 * - `cross_epoch`: the run's checkpoints in epoch order in, the same per-checkpoint summary and
 *   artifact out for each checkpoint not yet analysed; whatever it holds across checkpoints lives
 *   in that call (no module state). It `requires` the analyzers whose rows it reads.
 * - `run`: the run's metrics (and the stored rows of the analyzers it `requires`) in, one summary
 *   out, stored at the run's last metrics epoch.
 * Analyses are resumable because each row is written only after its artifact; a checkpoint holds
 * one row per analyzer (a changed option replaces it). A new analysis is one new file in
 * analyzers/ plus one row of the table in ../registry.ts, which imports the analyzers (they import
 * only this protocol, never the table) and checks that every requirement runs before its user.
 */
import type { Kernels } from '../../engine/kernels.js';
import type { LoadedCheckpoint } from '../../model/checkpoint.js';
import type { SafetensorsFile, TensorInput } from '../../io/safetensors.js';
import type { MetricRow, Store } from '../../store/store.js';
import type { Scratch } from '../library/scratch.js';

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
  /** neuron_grouping's path: 'fourier' (the modular-addition family override, default) or 'kmeans' (MIScope's universal path). */
  neuronGrouping?: 'fourier' | 'kmeans';
  /** parameter_dmd's pinned reference epoch (the neuron_grouping row nearest to it); default the last. */
  parameterDmdReferenceEpoch?: number;
  /** The local learning coefficient (llc analyzer) at epoch 0 and every this many epochs; 1 = every checkpoint (default 2500). */
  llcEvery?: number;
  /**
   * Only these analyzers (and what they require, and the core: neuron_fourier, embedding_fourier,
   * grokking, outcome); all when absent. Choosing changes no result, only which are computed.
   */
  analyzers?: readonly string[];
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
  readonly tier: 'checkpoint';
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
  /** The store: run analyzers summarise the run's checkpoint analyses (they run after them). */
  store: Store;
}

export interface RunAnalyzer {
  readonly tier: 'run';
  readonly name: string;
  readonly version: number;
  /** The analyzers whose stored rows `analyseRun` reads (they run before it). */
  readonly requires: readonly string[];
  params(opts: AnalysisOptions): Record<string, unknown>;
  analyseRun(ctx: RunContext): object;
}

/** One of the run's checkpoints, as a cross-epoch analyzer sees it. */
export interface EpochCheckpoint { epoch: number; path: string }

export interface CrossEpochContext {
  runId: string;
  /** Every checkpoint of the run, ascending by epoch. */
  checkpoints: readonly EpochCheckpoint[];
  /** The epochs to produce an output for (the others are analysed already). */
  todo: ReadonlySet<number>;
  options: AnalysisOptions;
  store: Store;
}

export interface CrossEpochAnalyzer {
  readonly tier: 'cross_epoch';
  readonly name: string;
  readonly version: number;
  readonly requires: readonly string[];
  params(opts: AnalysisOptions): Record<string, unknown>;
  /**
   * An output for each epoch of `ctx.todo`, handed to `emit` in epoch order as soon as it is
   * known (the pipeline writes its artifact and row at once, so a killed analysis keeps them).
   */
  analyseEpochs(ctx: CrossEpochContext, emit: (epoch: number, out: AnalyzerOutput) => void): void;
}

/** Any registered analyzer. */
export type AnyAnalyzer = Analyzer | CrossEpochAnalyzer | RunAnalyzer;

/** `epoch-000100.safetensors`. */
export function artifactFileName(epoch: number): string {
  return `epoch-${String(epoch).padStart(6, '0')}.safetensors`;
}

/** String metadata written into every artifact. */
export function artifactMetadata(a: { name: string; version: number }, at: { p: number; epoch: number | null; runId: string | null }): Record<string, string> {
  const md: Record<string, string> = { analyzer: a.name, version: String(a.version), p: String(at.p) };
  if (at.epoch !== null) md.epoch = String(at.epoch);
  if (at.runId !== null) md.run_id = at.runId;
  return md;
}
