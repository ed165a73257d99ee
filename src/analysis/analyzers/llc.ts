/**
 * `llc` (issue 26 §9): the local learning coefficient λ̂ of the checkpoint's weights on the run's
 * training loss, by SGLD (library/llc.ts, devinterp's estimator; docs/llc.md). Full batch: every
 * step is one forward and backward of the model (model.ts lossAndGrad, the worker's kernels) over
 * the training set, on the trainable parameters (the weights, and the biases when the checkpoint's
 * config says `trainBiases`).
 *  - At epoch 0 and every `llc_every` epochs (default 2500, `grokbench analyze --llc-every N`;
 *    1 for every checkpoint): each checkpoint costs chains·(burnin + draws) + 1 + chains gradients
 *    (default 2·(50 + 100) + 3 = 303, ≈ 6–7 s per p=113 d_mlp 512 checkpoint on one core), so it
 *    runs at curvature's stride.
 *  - nβ = n / ln n with n the training set's size (Lau et al.'s β* = 1/log n; devinterp's
 *    default_nbeta for a batch of n), γ = 1e4, ε = 3e-5, 2 chains seeded 0 and 1, 50 burn-in
 *    steps and 100 draws (docs/llc.md: why not devinterp's example's nβ = 2, γ = 5, ε = 3e-3).
 * Other epochs store `computed` U8 [1] = 0 and a summary with `computed: false`.
 * Artifact tensors: traces F32 [chains, burnin + draws] (the loss after each step, NaN after a
 * divergence), chain_llc F64 [chains].
 * Summary: { train_set, computed, llc_mean, llc_std, chain_llc, diverged_chains, init_loss,
 * final_loss (per chain), n, nbeta, epsilon, localization, chains, draws, burnin, seed }.
 */
import type { Analyzer, AnalyzerOutput, AnalysisOptions } from '../protocol/analyzer.js';
import { estimateLlc, type LlcOptions, DEFAULT_LLC_SAMPLER } from '../library/llc.js';
import { LossOracle } from '../library/curvature.js';
import { trainSetOf } from '../protocol/train-set.js';

export const LLC = 'llc';
export const LLC_EVERY = 2500;

/** The sampler's settings apart from nβ (which follows from n). */
export const LLC_DEFAULTS = { chains: 2, burnin: 50, draws: 100, epsilon: 3e-5, localization: 1e4, seed: 0 } as const;

export interface LlcSummary {
  train_set: string | null;
  computed: boolean;
  llc_mean?: number | null;
  llc_std?: number | null;
  chain_llc?: (number | null)[];
  diverged_chains?: number;
  init_loss?: number;
  final_loss?: (number | null)[];
  n?: number;
  nbeta?: number;
  epsilon?: number;
  localization?: number;
  chains?: number;
  draws?: number;
  burnin?: number;
  seed?: number;
}

const llcEvery = (opts: AnalysisOptions): number => opts.llcEvery ?? LLC_EVERY;

/** nβ = n / ln n (devinterp's default_nbeta for a batch of n; 1 for n ≤ 1). */
export function defaultNbeta(n: number): number { return n > 1 ? n / Math.log(n) : 1; }

export function llcDue(epoch: number | null, every: number): boolean {
  return epoch === null || epoch % every === 0;
}

function trainsBiases(md: Record<string, string>): boolean {
  try { return (JSON.parse(md.config ?? '{}') as { trainBiases?: unknown }).trainBiases === true; } catch { return false; }
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export const llcAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: LLC,
  version: 1,
  params(opts) {
    return { version: this.version, ...LLC_DEFAULTS, ...DEFAULT_LLC_SAMPLER, nbeta: 'n/ln n', llc_every: llcEvery(opts), batch: 'full' };
  },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const params = ctx.checkpoint.params;
    const ts = trainSetOf(ctx.checkpointPath, params.config.p);
    if (!ts || !llcDue(ctx.epoch, llcEvery(ctx.options))) {
      const summary: LlcSummary = { train_set: ts ? ts.source : null, computed: false };
      return { summary, tensors: { computed: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } } };
    }
    const ranges = params.trainedRanges(trainsBiases(ctx.checkpoint.metadata));
    const oracle = new LossOracle(ctx.kernels, params, ts.batch, ranges);
    const d = oracle.size;
    const wStar = new Float64Array(d);
    let o = 0;
    for (let r = 0; r < ranges.length; r += 2) for (let i = ranges[r]; i < ranges[r + 1]; i++) wStar[o++] = params.flat[i];
    const delta = new Float64Array(d);
    const lossAndGrad = (w: Float64Array, grad: Float64Array): number => {
      for (let i = 0; i < d; i++) delta[i] = w[i] - wStar[i];
      return oracle.gradient(delta, 1, grad);
    };
    const n = ts.batch.n, nbeta = defaultNbeta(n);
    const opts: LlcOptions = { ...DEFAULT_LLC_SAMPLER, ...LLC_DEFAULTS, nbeta };
    const res = estimateLlc(lossAndGrad, wStar, opts);
    const steps = opts.burnin + opts.draws;
    const traces = new Float32Array(opts.chains * steps);
    res.chains.forEach((ch, c) => traces.set(ch.trace, c * steps));
    const summary: LlcSummary = {
      train_set: ts.source, computed: true, llc_mean: finite(res.mean), llc_std: finite(res.std),
      chain_llc: res.chains.map((ch) => finite(ch.llc)), diverged_chains: res.divergedChains, init_loss: res.initLoss,
      final_loss: res.chains.map((ch) => finite(ch.trace[steps - 1])),
      n, nbeta, epsilon: opts.epsilon, localization: opts.localization, chains: opts.chains, draws: opts.draws, burnin: opts.burnin, seed: opts.seed,
    };
    return {
      summary,
      tensors: {
        computed: { dtype: 'U8', shape: [1], data: Uint8Array.of(1) },
        traces: { dtype: 'F32', shape: [opts.chains, steps], data: traces },
        chain_llc: { dtype: 'F64', shape: [opts.chains], data: Float64Array.from(res.chains, (ch) => ch.llc) },
      },
    };
  },
};
