/**
 * Checkpoint schedules (`--checkpoint-schedule`). Epochs are grokbench's (after e optimiser
 * steps); epoch 0 and the last epoch are always checkpointed.
 *
 * - `miscope`: MIScope's schedule exactly. MIScope (training-dynamics-workbench,
 *   families/implementations/modulo_addition_1layer.py, `default_checkpoint_epochs`) saves after
 *   the optimiser step of its epoch labels range(0, 1500, 100) ∪ range(1500, 9000, 500) ∪
 *   range(9000, 13000, 100) ∪ range(13000, 25000, 500), those below num_epochs, plus the final
 *   label num_epochs − 1 (families/variant.py, `train`). Its label L holds the weights after L + 1
 *   steps, so here the schedule is the epochs L + 1 (1, 101, …, 1401, 1501, 2001, …, 24501, and
 *   the last epoch), plus epoch 0. Exported (grokbench export --miscope) these become exactly
 *   MIScope's checkpoint labels.
 * - `start:end:step,…`: Python's range(start, end, step) of each part (end excluded), in
 *   grokbench epochs; parts may overlap. Epochs beyond the run's length are ignored.
 */
import { badInput } from '../core/errors.js';

/** MIScope's checkpoint label ranges [start, end, step) (its default_checkpoint_epochs). */
export const MISCOPE_LABEL_RANGES: readonly (readonly [number, number, number])[] = [
  [0, 1500, 100], [1500, 9000, 500], [9000, 13000, 100], [13000, 25000, 500],
];

const MAX_EPOCH = 10_000_000;

/** Parses a schedule spec into its ranges (grokbench epochs); a one-line badInput for a bad spec. */
export function parseCheckpointSchedule(spec: string): (readonly [number, number, number])[] {
  const s = spec.replace(/\s+/g, '');
  if (s === 'miscope') return MISCOPE_LABEL_RANGES.map(([a, b, c]) => [a + 1, b + 1, c] as const);
  if (s === '') throw badInput("--checkpoint-schedule is empty (give 'miscope' or start:end:step,…)");
  return s.split(',').map((part) => {
    const m = /^(\d+):(\d+):(\d+)$/.exec(part);
    if (!m) throw badInput(`--checkpoint-schedule: '${part}' is not start:end:step (non-negative integers), in '${spec}'`);
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (c < 1) throw badInput(`--checkpoint-schedule: step of '${part}' must be at least 1`);
    if (b <= a) throw badInput(`--checkpoint-schedule: end of '${part}' must be above its start`);
    if (b > MAX_EPOCH + 1) throw badInput(`--checkpoint-schedule: end of '${part}' is beyond ${MAX_EPOCH + 1}`);
    return [a, b, c] as const;
  });
}

/**
 * Whether epoch e of a run of `epochs` epochs is checkpointed: epoch 0, the schedule's epochs
 * (or every `every` epochs without a schedule), and `epochs` itself.
 */
export function checkpointPredicate(epochs: number, every: number, schedule: string | null): (e: number) => boolean {
  if (schedule === null) return (e) => e === 0 || e === epochs || e % every === 0;
  const ranges = parseCheckpointSchedule(schedule);
  return (e) => e === 0 || e === epochs || ranges.some(([a, b, c]) => e >= a && e < b && (e - a) % c === 0);
}

/** The checkpoint epochs of a run of `epochs` epochs, ascending (see checkpointPredicate). */
export function checkpointEpochList(epochs: number, every: number, schedule: string | null): number[] {
  const is = checkpointPredicate(epochs, every, schedule);
  const out: number[] = [];
  for (let e = 0; e <= epochs; e++) if (is(e)) out.push(e);
  return out;
}
