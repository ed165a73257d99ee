/**
 * Tests and their power, for wording results honestly: a test that could not have detected an
 * effect of a stated size says "no evidence (power …)", not "no effect". Power is computed
 * exactly where the distribution is discrete (Fisher's test, the overlap test) and by Fisher's z
 * approximation for a correlation.
 */
import { hypergeometricPmf, hypergeometricSf, logFactorial } from './stats.js';

/** Lower tail P(X ≤ k) of the hypergeometric distribution. */
function hypergeometricCdf(k: number, population: number, successes: number, draws: number): number {
  return Math.min(1, 1 - hypergeometricSf(k + 1, population, successes, draws));
}

/**
 * Fisher's exact test, two-sided by doubling the smaller tail: `k` of the `draws` members of a
 * group are marked, `successes` of `population` in all.
 */
export function fisherTwoSided(k: number, population: number, successes: number, draws: number): number {
  return Math.min(1, 2 * Math.min(hypergeometricSf(k, population, successes, draws), hypergeometricCdf(k, population, successes, draws)));
}

const logBinom = (k: number, n: number, p: number): number =>
  logFactorial(n) - logFactorial(k) - logFactorial(n - k) + (k ? k * Math.log(p) : 0) + (n - k ? (n - k) * Math.log1p(-p) : 0);

/**
 * Power of fisherTwoSided at level `alpha` for groups of sizes nA and nB whose members are marked
 * with probabilities pA and pB (exact: every (kA, kB) weighted by its binomial probability).
 */
export function fisherPower(nA: number, nB: number, pA: number, pB: number, alpha = 0.05): number {
  const clamp = (p: number) => Math.min(1 - 1e-12, Math.max(1e-12, p));
  let power = 0;
  for (let a = 0; a <= nA; a++) {
    const wa = Math.exp(logBinom(a, nA, clamp(pA)));
    for (let b = 0; b <= nB; b++) {
      if (fisherTwoSided(a, nA + nB, a + b, nA) <= alpha) power += wa * Math.exp(logBinom(b, nB, clamp(pB)));
    }
  }
  return Math.min(1, power);
}

/**
 * Power of the one-sided overlap test (hypergeometric P(X ≥ k) ≤ alpha) of two index sets of
 * sizes a and b in a population, when indices are `oddsRatio` times as likely to be shared as by
 * chance (Fisher's noncentral hypergeometric distribution).
 */
export function overlapPower(population: number, a: number, b: number, oddsRatio: number, alpha = 0.05): number {
  const lo = Math.max(0, a + b - population), hi = Math.min(a, b);
  let kStar = hi + 1;
  for (let k = lo; k <= hi; k++) if (hypergeometricSf(k, population, a, b) <= alpha) { kStar = k; break; }
  let z = 0, tail = 0;
  for (let k = lo; k <= hi; k++) {
    const w = hypergeometricPmf(k, population, a, b) * oddsRatio ** k;
    z += w;
    if (k >= kStar) tail += w;
  }
  return z > 0 ? tail / z : 0;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 through erf; |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Power of a two-sided level-0.05 correlation test with n pairs against a true correlation rho (Fisher z). */
export function correlationPower(n: number, rho: number): number {
  if (n < 4) return 0;
  const shift = Math.atanh(Math.abs(rho)) * Math.sqrt(n - 3);
  return normalCdf(shift - 1.959964) + normalCdf(-shift - 1.959964);
}
