/**
 * The local learning coefficient (Lau et al. 2023, "The Local Learning Coefficient: A
 * Singularity-Aware Complexity Measure"), estimated by SGLD as devinterp does it
 * (devinterp.optim.sgld.SGLD, devinterp.slt.llc / estimate_learning_coeff_with_summary):
 *
 *   λ̂(w*) = nβ · (E_w[L_n(w)] − L_n(w*)),
 *
 * the expectation over the localised tempered posterior p(w) ∝ exp(−nβ·L_n(w) − γ/2·‖w − w*‖²),
 * sampled by SGLD without a step schedule:
 *
 *   w ← w − (ε/2)·(nβ·∇L_n(w) + γ·(w − w*)) + √ε·σ·ξ,   ξ ~ N(0, I),
 *
 * with nβ the inverse temperature times n (devinterp's `nbeta`; Lau et al.'s β* = 1/log n gives
 * nβ = n / log n, which is devinterp's `default_nbeta` for a batch of n), γ the localization, ε the
 * step size and σ the noise level (1). Each chain starts at w*, takes `burnin` steps that are not
 * counted, then `draws` steps whose losses are averaged (devinterp: the loss of each draw, the chain's
 * λ̂ = nβ·(mean − L(w*))). Here L_n is the full training loss and its gradient (grokbench trains full
 * batch, so the sampler has no minibatch noise; devinterp's example samples minibatches of 128).
 *
 * The noise is drawn from MT19937 (core/rng.ts) seeded with seed + chain index, as float64
 * Box–Muller pairs, so the same inputs give the same bits. A chain whose loss turns non-finite, or
 * exceeds `divergeFactor` × (L(w*) + 1), is marked diverged and stops; its λ̂ is NaN and it is left
 * out of the mean and std.
 */
import { MT19937 } from '../../core/rng.js';

/** L(w) with ∇L(w) written into grad (both over the same flat coordinates). */
export type LossAndGrad = (w: Float64Array, grad: Float64Array) => number;

export interface LlcOptions {
  /** Independent chains. */
  chains: number;
  /** Counted steps per chain. */
  draws: number;
  /** Uncounted steps at the start of each chain. */
  burnin: number;
  /** ε, the SGLD step size. */
  epsilon: number;
  /** γ, the pull towards w*. */
  localization: number;
  /** nβ, the inverse temperature times n. */
  nbeta: number;
  /** σ, the noise scale (devinterp's noise_level, 1). */
  noiseLevel: number;
  /** Chain c uses MT19937(seed + c). */
  seed: number;
  /** A loss above divergeFactor·(L(w*) + 1) is a blow-up. */
  divergeFactor: number;
}

export const DEFAULT_LLC_SAMPLER = { burnin: 0, noiseLevel: 1, seed: 0, divergeFactor: 100 } as const;

export interface LlcChain {
  /** The loss after every step, burn-in included ([burnin + draws], NaN after a divergence). */
  trace: Float64Array;
  /** nβ·(mean draw loss − L(w*)), NaN when diverged. */
  llc: number;
  diverged: boolean;
  /** Steps taken before it diverged (burnin + draws when it did not). */
  steps: number;
}

export interface LlcResult {
  initLoss: number;
  chains: LlcChain[];
  /** Mean and population std of the finite chains' λ̂ (NaN when none is finite). */
  mean: number;
  std: number;
  divergedChains: number;
}

/** Uniform in (0, 1) from two 32-bit outputs (53 bits, zero excluded). */
function uniformOpen(g: MT19937): number {
  const hi = g.random() >>> 5, lo = g.random() >>> 6;
  return (hi * 67108864 + lo + 0.5) / 9007199254740992;
}

/** Fill out with N(0, 1) draws (float64 Box–Muller, both values of each pair used). */
export function gaussianFill(out: Float64Array, g: MT19937): void {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniformOpen(g))), t = 2 * Math.PI * uniformOpen(g);
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
}

export function checkLlcOptions(o: LlcOptions): void {
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  if (!posInt(o.chains) || !posInt(o.draws) || !(Number.isInteger(o.burnin) && o.burnin >= 0)) throw new RangeError('llc: chains and draws must be integers ≥ 1 and burnin ≥ 0');
  if (!(o.epsilon > 0) || !(o.nbeta > 0) || !(o.localization >= 0) || !(o.noiseLevel >= 0)) throw new RangeError('llc: epsilon and nbeta must be > 0, localization and noiseLevel ≥ 0');
}

/**
 * SGLD estimate of the local learning coefficient at w* (left unchanged) from a loss-and-gradient
 * callback (which must not change w).
 */
export function estimateLlc(lossAndGrad: LossAndGrad, wStar: Float64Array, opts: LlcOptions): LlcResult {
  checkLlcOptions(opts);
  const d = wStar.length, steps = opts.burnin + opts.draws;
  const w = new Float64Array(d), grad = new Float64Array(d), noise = new Float64Array(d);
  const initLoss = lossAndGrad(Float64Array.from(wStar), grad);
  const limit = opts.divergeFactor * (Math.abs(initLoss) + 1);
  const half = opts.epsilon / 2, sq = Math.sqrt(opts.epsilon) * opts.noiseLevel;
  const chains: LlcChain[] = [];
  for (let c = 0; c < opts.chains; c++) {
    const g = new MT19937(opts.seed + c);
    w.set(wStar);
    const trace = new Float64Array(steps).fill(NaN);
    let diverged = false, taken = 0, sum = 0;
    // The gradient at the chain's current point; the first step starts from w*.
    let loss = lossAndGrad(w, grad);
    for (let t = 0; t < steps; t++) {
      gaussianFill(noise, g);
      for (let i = 0; i < d; i++) w[i] += -half * (opts.nbeta * grad[i] + opts.localization * (w[i] - wStar[i])) + sq * noise[i];
      loss = lossAndGrad(w, grad);
      taken = t + 1;
      if (!Number.isFinite(loss) || loss > limit) { diverged = true; trace[t] = Number.isFinite(loss) ? loss : NaN; break; }
      trace[t] = loss;
      if (t >= opts.burnin) sum += loss;
    }
    const llc = diverged ? NaN : opts.nbeta * (sum / opts.draws - initLoss);
    chains.push({ trace, llc, diverged, steps: taken });
  }
  const ok = chains.filter((ch) => Number.isFinite(ch.llc)).map((ch) => ch.llc);
  const mean = ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
  const std = ok.length ? Math.sqrt(ok.reduce((a, b) => a + (b - mean) ** 2, 0) / ok.length) : NaN;
  return { initLoss, chains, mean, std, divergedChains: chains.filter((ch) => ch.diverged).length };
}
