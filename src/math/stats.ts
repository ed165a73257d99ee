/**
 * General statistics over plain number arrays: means, correlations, an exact permutation test,
 * least-squares regression, Gini, Jaccard and the hypergeometric distribution. Pure functions;
 * NaN where a statistic is undefined (empty input, zero variance), never a throw for data.
 */

/** Arithmetic mean; NaN for an empty array. */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Population standard deviation (divides by n, like numpy's default); NaN for empty input. */
export function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  if (Number.isNaN(m)) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / xs.length);
}

/** Median (linear interpolation between the middle pair); NaN for empty input. */
export function median(xs: ArrayLike<number>): number {
  return quantile(xs, 0.5);
}

/** The q-quantile with linear interpolation (numpy's default); NaN for empty input. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** The values that are finite numbers (drops NaN and ±Infinity). */
export function finite(xs: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i])) out.push(xs[i]);
  return out;
}

/**
 * Whether a sum of squared deviations is only rounding noise: values that are all equal can leave a
 * tiny non-zero spread after the mean is subtracted, which would give a meaningless correlation.
 */
function negligibleSpread(ss: number, xs: ArrayLike<number>): boolean {
  let scale = 0;
  for (let i = 0; i < xs.length; i++) scale = Math.max(scale, Math.abs(xs[i]));
  return ss <= xs.length * (1e-12 * scale) ** 2;
}

function checkPaired(x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) throw new RangeError(`paired arrays differ in length: ${x.length} vs ${y.length}`);
}

/** Means and centred sums of products of paired samples: Σ(x−x̄)(y−ȳ), Σ(x−x̄)², Σ(y−ȳ)². */
function centredMoments(x: ArrayLike<number>, y: ArrayLike<number>): { mx: number; my: number; sxy: number; sxx: number; syy: number } {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return { mx, my, sxy, sxx, syy };
}

/** Pearson's correlation coefficient; NaN if n < 2 or either side has zero variance (up to rounding). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y);
  const n = x.length;
  if (n < 2) return NaN;
  const { sxy, sxx, syy } = centredMoments(x, y);
  if (negligibleSpread(sxx, x) || negligibleSpread(syy, y)) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** 1-based ranks; tied values share the average of the ranks they span. */
export function ranks(xs: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && xs[order[j + 1]] === xs[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation: Pearson's r of the (average-tied) ranks. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y);
  return pearson(ranks(x), ranks(y));
}

/** Index of the epoch nearest to `target` in a list of epochs (the earlier one on ties). */
export function nearestIndex(epochs: readonly number[], target: number): number {
  let best = 0;
  for (let i = 1; i < epochs.length; i++) {
    if (Math.abs(epochs[i] - target) < Math.abs(epochs[best] - target)) best = i;
  }
  return best;
}

/** A small seeded generator (mulberry32): uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PermutationTestResult {
  /** The observed statistic (Pearson r or Spearman rho). */
  statistic: number;
  /** Two-sided p-value: the share of permutations whose |statistic| ≥ the observed |statistic|. */
  pValue: number;
  /** 'exact': every one of n! orderings of y; 'monte-carlo': random orderings from a seeded generator. */
  method: 'exact' | 'monte-carlo';
  /** How many permutations were evaluated (n! when exact). */
  permutations: number;
  /** Seed of the generator (Monte Carlo only). */
  seed?: number;
  /** The smallest |statistic| that would have reached p ≤ 0.05 on these data (NaN if none could). */
  critical05: number;
  n: number;
}

export interface PermutationOptions {
  /** Enumerate all n! permutations up to this n (default 9); above it, Monte Carlo. */
  exactMaxN?: number;
  /** Monte Carlo permutations (default 100000). */
  samples?: number;
  /** Monte Carlo seed (default 12345). */
  seed?: number;
}

/**
 * Permutation test of association between x and y, two-sided on |r|: Pearson's r
 * (`'pearson'`) or Spearman's rho (`'spearman'`, ranks computed once, then permuted). Exact
 * (all n! orderings of y) for n ≤ `exactMaxN`, so for n = 4 perfectly monotone data p = 2/24.
 * Monte Carlo p-values are (count + 1) / (samples + 1), counting the observed ordering.
 * A statistic that is undefined (n < 3 or zero variance) gives NaN p-value.
 */
export function permutationTest(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  kind: 'pearson' | 'spearman',
  opts: PermutationOptions = {},
): PermutationTestResult {
  checkPaired(x, y);
  const n = x.length;
  const exactMaxN = opts.exactMaxN ?? 9;
  const xs = kind === 'spearman' ? ranks(x) : Float64Array.from(x);
  const ys = kind === 'spearman' ? ranks(y) : Float64Array.from(y);
  const observed = pearson(xs, ys);
  const method: 'exact' | 'monte-carlo' = n <= exactMaxN ? 'exact' : 'monte-carlo';
  const base = { statistic: observed, method, n };
  if (n < 3 || Number.isNaN(observed)) {
    return { ...base, pValue: NaN, permutations: 0, critical05: NaN };
  }
  // Only Σ x·y changes under permutation: r = (Σ dx·y_π) / sqrt(sxx·syy) with dx centred.
  const mx = mean(xs);
  const my = mean(ys);
  const dx = xs.map((v) => v - mx);
  const dy = ys.map((v) => v - my);
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += dx[i] * dx[i];
    syy += dy[i] * dy[i];
  }
  const denom = Math.sqrt(sxx * syy);
  const absObs = Math.abs(observed);
  const tol = 1e-12 * Math.max(1, absObs);
  const values: number[] = [];
  let count = 0;
  let total = 0;
  const record = (perm: ArrayLike<number>): void => {
    let s = 0;
    for (let i = 0; i < n; i++) s += dx[i] * dy[perm[i]];
    const r = Math.abs(s / denom);
    values.push(r);
    if (r >= absObs - tol) count++;
    total++;
  };
  if (method === 'exact') {
    // Heap's algorithm, iterative: visits all n! orderings once.
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    const c = new Int32Array(n);
    record(perm);
    let i = 1;
    while (i < n) {
      if (c[i] < i) {
        const j = i % 2 === 0 ? 0 : c[i];
        const t = perm[j];
        perm[j] = perm[i];
        perm[i] = t;
        record(perm);
        c[i]++;
        i = 1;
      } else {
        c[i] = 0;
        i++;
      }
    }
  } else {
    const samples = opts.samples ?? 100000;
    const rand = seededRandom(opts.seed ?? 12345);
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let s = 0; s < samples; s++) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = perm[j];
        perm[j] = perm[i];
        perm[i] = t;
      }
      record(perm);
    }
  }
  const pValue = method === 'exact' ? count / total : (count + 1) / (total + 1);
  // Smallest |r| with tail share ≤ 0.05: walk the sorted values from the top.
  values.sort((a, b) => b - a);
  let critical05 = NaN;
  const denomP = method === 'exact' ? total : total + 1;
  let k = 0;
  while (k < values.length) {
    let j = k;
    while (j + 1 < values.length && values[j + 1] >= values[k] - 1e-12) j++;
    const tail = method === 'exact' ? j + 1 : j + 2;
    if (tail / denomP > 0.05) break;
    critical05 = values[j];
    k = j + 1;
  }
  return {
    ...base,
    pValue,
    permutations: total,
    ...(method === 'monte-carlo' ? { seed: opts.seed ?? 12345 } : {}),
    critical05,
  };
}

export interface Regression {
  slope: number;
  intercept: number;
  /** Coefficient of determination (= Pearson r² for simple regression). */
  r2: number;
  n: number;
}

/** Ordinary least squares y = slope·x + intercept; NaN fields if n < 2 or x is constant. */
export function linearRegression(x: ArrayLike<number>, y: ArrayLike<number>): Regression {
  checkPaired(x, y);
  const n = x.length;
  const { mx, my, sxy, sxx, syy } = centredMoments(x, y);
  if (n < 2 || negligibleSpread(sxx, x)) return { slope: NaN, intercept: NaN, r2: NaN, n };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i] - (slope * x[i] + intercept)) ** 2;
  const r2 = negligibleSpread(syy, y) ? NaN : 1 - sse / syy;
  return { slope, intercept, r2, n };
}

/**
 * Gini coefficient of non-negative values: Σ_i Σ_j |x_i − x_j| / (2 n² mean). 0 when all are
 * equal, (n − 1)/n when one value holds everything; NaN for empty input or an all-zero array.
 */
export function gini(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    if (s[i] < 0) throw new RangeError('gini: values must be non-negative');
    total += s[i];
    weighted += (2 * (i + 1) - n - 1) * s[i];
  }
  if (total === 0) return NaN;
  return weighted / (n * total);
}

/** Jaccard index |A ∩ B| / |A ∪ B|; 1 for two empty sets. */
export function jaccard(a: Iterable<number>, b: Iterable<number>): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let inter = 0;
  for (const v of sa) if (sb.has(v)) inter++;
  const union = sa.size + sb.size - inter;
  return union === 0 ? 1 : inter / union;
}

const logFactCache: number[] = [0];

/** ln(n!) for integers n ≥ 0 (exact sums of logarithms, cached). */
export function logFactorial(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`logFactorial: ${n} is not a non-negative integer`);
  for (let k = logFactCache.length; k <= n; k++) logFactCache.push(logFactCache[k - 1] + Math.log(k));
  return logFactCache[n];
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/**
 * Hypergeometric probability P(X = k): drawing `draws` items without replacement from a
 * population of `population` items of which `successes` are marked, exactly k are marked.
 */
export function hypergeometricPmf(k: number, population: number, successes: number, draws: number): number {
  if (k < Math.max(0, draws + successes - population) || k > Math.min(successes, draws)) return 0;
  return Math.exp(
    logChoose(successes, k) + logChoose(population - successes, draws - k) - logChoose(population, draws),
  );
}

/** Upper tail P(X ≥ k) of the hypergeometric distribution. */
export function hypergeometricSf(k: number, population: number, successes: number, draws: number): number {
  let s = 0;
  for (let j = Math.max(0, Math.ceil(k)); j <= Math.min(successes, draws); j++) {
    s += hypergeometricPmf(j, population, successes, draws);
  }
  return Math.min(1, s);
}

/**
 * Expected overlap and Jaccard index of two random subsets of sizes a and b of a population of
 * N (each subset uniform among those of its size, independently).
 */
export function randomOverlap(population: number, a: number, b: number): { overlap: number; jaccard: number } {
  let ej = 0;
  for (let k = Math.max(0, a + b - population); k <= Math.min(a, b); k++) {
    const union = a + b - k;
    ej += hypergeometricPmf(k, population, a, b) * (union === 0 ? 1 : k / union);
  }
  return { overlap: population === 0 ? 0 : (a * b) / population, jaccard: ej };
}

/**
 * Two-sided exact sign test: with `a` outcomes one way and `b` the other (ties dropped), the
 * probability under a fair coin of a split at least as uneven. 1 when a + b = 0.
 */
export function signTest(a: number, b: number): number {
  const n = a + b;
  if (n === 0) return 1;
  const k = Math.min(a, b);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

/** Upper binomial tail P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialSf(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let s = 0;
  for (let j = Math.ceil(k); j <= n; j++) s += Math.exp(logChoose(n, j) + j * Math.log(p) + (n - j) * Math.log1p(-p));
  return Math.min(1, s);
}
