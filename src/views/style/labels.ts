/**
 * A run's name in figures and sentences: its prime and model seed, and its data seed and rounding
 * jitter when they are known (a population varies them: without them two runs of one seed read the same).
 */
export function runLabel(r: { p: number; seed: number; dataSeed?: number | null; jitter?: number }): string {
  const data = r.dataSeed === undefined || r.dataSeed === null ? '' : `, data seed ${r.dataSeed}`;
  const jitter = r.jitter ? `, jitter ${r.jitter}` : '';
  return `p=${r.p}, seed=${r.seed}${data}${jitter}`;
}
