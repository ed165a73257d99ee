/**
 * The shapes the report is built from: per-run data gathered from the store (collect.ts), the
 * figures made from it (figures/*.ts), and the cross-run answers computed by analysis/study.ts.
 */
import type { GrokkingTimes } from '../metrics/grokking.js';
import type { RunOutcome } from '../metrics/outcome.js';
import type { MetricRow } from '../store/store.js';

/** A CSV table: the data behind one figure. */
export interface Table {
  columns: string[];
  rows: (string | number | boolean | null)[][];
  /** The CSV text itself, for tables too large to hold as rows (then `rows` is empty). */
  text?: string;
}

import type { StudyAnswers, StudySection } from '../study/study.js';

export type { StudySection };
/** What a report shows of the study (study/study.ts `StudyAnswers`, whose sections are the one `StudySection` type): its sections. */
export type ReportStudy = Pick<StudyAnswers, 'sections'>;

/** Where a figure goes in report.html. */
export type SectionId =
  | 'runs' | 'distribution' | 'mean' | 'heatmap' | 'predict' | 'count' | 'training' | 'gallery' | 'embedding' | 'answers';

export interface Figure {
  /** File stem: figures/NAME.svg, figures/NAME.png, data/NAME.csv; also the HTML anchor fig-NAME. */
  name: string;
  section: SectionId;
  title: string;
  /** What the figure shows and how to read it (plain text). */
  caption: string;
  /** Vega or Vega-Lite spec shown in report.html (interactive). */
  spec: object;
  /** Spec rendered to SVG/PNG when it differs from the interactive one (e.g. facets instead of a selector). */
  staticSpec?: object;
  /** The data behind the figure. */
  table: Table;
  /** PNG pixels per SVG unit (default 2). */
  pngScale?: number;
  /** Shown in report.html by a custom widget instead of its spec (the neuron galleries). */
  hideInHtml?: boolean;
}

/** Per-checkpoint distribution summary of one per-neuron metric (non-flat neurons only). */
export interface MetricStats {
  mean: number | null;
  std: number | null;
  median: number | null;
  p25: number | null;
  p75: number | null;
  min: number | null;
  max: number | null;
  /** 20 counts on [0, 1]. */
  histogram: number[];
  /** Strictly-above counts at 0.5, 0.6, 0.7, 0.8 (keys as written). */
  above: Record<string, number>;
  /** Flat neurons (no value). */
  flat: number;
}

/** An embedding Fourier result at one checkpoint. */
export interface EmbeddingEpoch {
  epoch: number;
  norms: ArrayLike<number>;
  cosNorms: ArrayLike<number>;
  sinNorms: ArrayLike<number>;
  keyFrequencies: number[];
  gini: number;
}

/** Everything the report needs of one run (neuron arrays as [epochs × d_mlp], row = checkpoint). */
export interface RunData {
  runId: string;
  p: number;
  seed: number;
  /** "p=113, seed=999" (plus the run id when two runs share p and seed). */
  label: string;
  /** Epochs the run was configured for (its "max epoch"). */
  maxEpoch: number;
  epochsDone: number;
  status: string;
  grok: GrokkingTimes;
  /** MIScope's outcome when known (its onset and first test loss ≤ 1e-6 mark the grokking windows). */
  outcome?: RunOutcome | null;
  metrics: MetricRow[];
  /** Analysed checkpoint epochs, ascending. */
  epochs: number[];
  /** d_mlp of the analysed checkpoints (0 while none is analysed). */
  dMlp: number;
  /** d_mlp of the run's settings (null when its settings do not say). */
  configuredDMlp: number | null;
  nFreq: number;
  /** K of coarseness (--low-freqs). */
  K: number;
  /** NaN = flat neuron. */
  coarseness: Float32Array;
  specialization: Float32Array;
  /** 1-based dominant frequency, 0 for flat neurons. */
  dominant: Int32Array;
  /** The dominant frequency's fraction. */
  dominantShare: Float32Array;
  coarseStats: MetricStats[];
  specStats: MetricStats[];
  embedding: EmbeddingEpoch[];
  /** Checkpoint files by epoch. */
  checkpoints: Map<number, string>;
}

export interface ReportOptions {
  /** K of coarseness (default 3). */
  lowFreqs?: number;
  /** Gallery epochs (default: 0, memorisation, grokking, last; nearest analysed checkpoint). */
  galleryEpochs?: number[];
  /** The cross-run answers; computed by study/study.ts when omitted and more than one run is given. */
  answers?: ReportStudy | null;
  /** Title of report.html. */
  title?: string;
}
