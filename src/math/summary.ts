/**
 * Summary statistics of per-neuron values (docs/design.md §4), matching numpy: population std,
 * percentiles with linear interpolation (numpy's default, including its lerp), np.median,
 * np.histogram on a fixed range (uniform bins, last bin closed, values outside ignored), strict `>`
 * counts. NaN marks a flat neuron: it is left out of everything and counted in num_flat_neurons.
 * Statistics of an empty set are null.
 */

/** The keys of the seed's compute_summary_stats, plus num_flat_neurons and MIScope's blob_count. */
export interface SummaryStats {
  mean_coarseness: number | null;
  std_coarseness: number | null;
  median_coarseness: number | null;
  min_coarseness: number | null;
  max_coarseness: number | null;
  p25_coarseness: number | null;
  p75_coarseness: number | null;
  'num_blob_neurons_0.5': number;
  'num_blob_neurons_0.6': number;
  'num_blob_neurons_0.7': number;
  'num_blob_neurons_0.8': number;
  /** 20 counts on [0, 1]. */
  coarseness_histogram: number[];
  /** The 21 bin edges, numpy.linspace(0, 1, 21). */
  coarseness_bins: number[];
  /** Shares of non-flat neurons with coarseness < 0.5, in [0.5, 0.7), ≥ 0.7. */
  frac_low_coarseness: number | null;
  frac_mid_coarseness: number | null;
  frac_high_coarseness: number | null;
  num_flat_neurons: number;
  /** Neurons with coarseness ≥ 0.7. */
  blob_count: number;
}

/** A generic distribution summary (used for coarseness and for frequency concentration). */
export interface DistributionStats {
  count: number;
  num_nan: number;
  mean: number | null;
  std: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  p25: number | null;
  p75: number | null;
  histogram: number[];
  bins: number[];
  /** Count of values strictly above each threshold, keyed by the threshold as written. */
  above: Record<string, number>;
  /** Count of values at or above each threshold. */
  at_least: Record<string, number>;
}

/** numpy.linspace(lo, hi, n + 1) for n bins: lo + i·step, the last edge exactly hi. */
export function binEdges(bins: number, lo = 0, hi = 1): number[] {
  const step = (hi - lo) / bins;
  const e: number[] = [];
  for (let i = 0; i <= bins; i++) e.push(i * step + lo);
  e[bins] = hi;
  return e;
}

/** numpy.histogram(values, bins, range=(lo, hi)) with uniform bins; NaN and out-of-range values ignored. */
export function histogram(values: ArrayLike<number>, bins = 20, lo = 0, hi = 1): { counts: number[]; edges: number[] } {
  const edges = binEdges(bins, lo, hi);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= lo && v <= hi)) continue;
    let j = Math.trunc(((v - lo) / (hi - lo)) * bins);
    if (j === bins) j--;
    if (v < edges[j]) j--;
    else if (j !== bins - 1 && v >= edges[j + 1]) j++;
    counts[j]++;
  }
  return { counts, edges };
}

/** numpy.percentile(sorted, q) with method 'linear' on an ascending array (non-empty). */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const virt = (q / 100) * (n - 1);
  const lo = Math.floor(virt), hiI = Math.min(lo + 1, n - 1);
  const t = virt - lo;
  const a = sorted[lo], b = sorted[hiI];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** numpy.median of an ascending array (non-empty). */
export function medianSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** Summary of the non-NaN values, with a histogram on [lo, hi] and threshold counts. */
export function distributionStats(values: ArrayLike<number>, opts: { bins?: number; range?: [number, number]; thresholds?: number[] } = {}): DistributionStats {
  const bins = opts.bins ?? 20;
  const [lo, hi] = opts.range ?? [0, 1];
  const thresholds = opts.thresholds ?? [0.5, 0.6, 0.7, 0.8];
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) xs.push(values[i]);
  const sorted = Float64Array.from(xs).sort();
  const n = sorted.length;
  const above: Record<string, number> = {}, atLeast: Record<string, number> = {};
  for (const th of thresholds) {
    above[String(th)] = xs.reduce((c, v) => c + (v > th ? 1 : 0), 0);
    atLeast[String(th)] = xs.reduce((c, v) => c + (v >= th ? 1 : 0), 0);
  }
  const { counts, edges } = histogram(sorted, bins, lo, hi);
  if (n === 0) {
    return { count: 0, num_nan: values.length, mean: null, std: null, median: null, min: null, max: null, p25: null, p75: null,
             histogram: counts, bins: edges, above, at_least: atLeast };
  }
  let s = 0;
  for (const v of xs) s += v;
  const mean = s / n;
  let ss = 0;
  for (const v of xs) ss += (v - mean) ** 2;
  return {
    count: n, num_nan: values.length - n, mean, std: Math.sqrt(ss / n), median: medianSorted(sorted),
    min: sorted[0], max: sorted[n - 1], p25: percentileSorted(sorted, 25), p75: percentileSorted(sorted, 75),
    histogram: counts, bins: edges, above, at_least: atLeast,
  };
}

/** docs/design.md §4 summary of per-neuron coarseness values (NaN = flat neuron). */
export function summaryStats(values: ArrayLike<number>): SummaryStats {
  const d = distributionStats(values, { bins: 20, range: [0, 1], thresholds: [0.5, 0.6, 0.7, 0.8] });
  let low = 0, mid = 0, high = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (v < 0.5) low++; else if (v < 0.7) mid++; else high++;
  }
  const share = (c: number): number | null => (d.count === 0 ? null : c / d.count);
  return {
    mean_coarseness: d.mean, std_coarseness: d.std, median_coarseness: d.median, min_coarseness: d.min, max_coarseness: d.max,
    p25_coarseness: d.p25, p75_coarseness: d.p75,
    'num_blob_neurons_0.5': d.above['0.5'], 'num_blob_neurons_0.6': d.above['0.6'],
    'num_blob_neurons_0.7': d.above['0.7'], 'num_blob_neurons_0.8': d.above['0.8'],
    coarseness_histogram: d.histogram, coarseness_bins: d.bins,
    frac_low_coarseness: share(low), frac_mid_coarseness: share(mid), frac_high_coarseness: share(high),
    num_flat_neurons: d.num_nan, blob_count: d.at_least['0.7'],
  };
}
