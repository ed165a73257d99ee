/**
 * Figures of the progress measures and the algorithm of issue 26, read from stored summaries:
 *   further-restricted-loss         train, test, restricted and excluded loss over epochs (log scale), per run
 *                                   (Nanda et al. 2023, Fig. 7), with the run's key frequencies
 *   further-restricted-loss-shares  the key-frequency and trig-sum shares of the logit variance and
 *                                   the test / restricted loss ratio
 *   further-pizza-clock             gradient symmetricity and distance irrelevance over epochs with
 *                                   the classification's cuts, points shaped by the algorithm named
 */
import { PIZZA_CLOCK, type PizzaClockSummary } from '../../analysis/analyzers/pizza-clock.js';
import { RESTRICTED_LOSS, RESTRICTED_LOSS_PARAMS, type RestrictedLossSummary } from '../../analysis/analyzers/restricted-loss.js';
import { PIZZA_CLOCK_RULES } from '../../analysis/library/pizza-clock.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { runColour, sig, trainingFigure, type Cell, ROW_HEADER } from './common.js';



const LOSS_SERIES = ['train loss', 'test loss', 'restricted loss', 'excluded loss'] as const;

/** Restricted and excluded loss (restricted_loss). */
export function restrictedLossFigures(store: Store, runs: RunData[]): Figure[] {
  const losses: Cell[][] = [], shares: Cell[][] = [], keysOf: string[] = [];
  for (const r of runs) {
    const rows = store.getAnalyses<RestrictedLossSummary>(r.runId, RESTRICTED_LOSS, RESTRICTED_LOSS_PARAMS);
    if (rows.length === 0) continue;
    const k = rows[rows.length - 1].summary;
    keysOf.push(`${r.label}: ${k.key_frequencies.join(', ') || 'none'} (${k.key_frequency_source === 'committed' ? 'committed' : 'embedding key frequencies: none committed'} at epoch ${k.key_frequency_epoch})`);
    for (const a of rows) {
      const s = a.summary;
      const vals: Record<(typeof LOSS_SERIES)[number], number | null> = {
        'train loss': s.train_loss, 'test loss': s.test_loss, 'restricted loss': s.restricted_loss, 'excluded loss': s.excluded_loss,
      };
      for (const series of LOSS_SERIES) losses.push([r.label, a.epoch, series, sig(vals[series])]);
      shares.push([r.label, a.epoch, 'key-frequency share of the logit variance', sig(s.key_logit_fraction)]);
      shares.push([r.label, a.epoch, 'trig-sum share cos/sin(w(a+b−c))', sig(s.trig_sum_fraction)]);
      shares.push([r.label, a.epoch, 'test loss / restricted loss', s.test_loss !== null && s.restricted_loss > 0 ? sig(s.test_loss / s.restricted_loss) : null]);
    }
  }
  if (losses.length === 0) return [];
  const keyText = `Key frequencies — ${keysOf.join('; ')}.`;
  const lossSpec = {
    data: { values: losses.map(([run, epoch, series, value]) => ({ run, epoch, series, value })).filter((v) => typeof v.value === 'number' && v.value > 0) },
    facet: { row: { field: 'run', type: 'nominal', title: null, header: ROW_HEADER } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520, height: 160, mark: { type: 'line', point: losses.length < 1600 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'value', type: 'quantitative', title: 'loss', scale: { type: 'log' } },
        color: { field: 'series', type: 'nominal', title: null, sort: [...LOSS_SERIES], scale: { domain: [...LOSS_SERIES], range: ['#4e79a7', '#e15759', '#59a14f', '#b07aa1'] } },
        tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'series' }, { field: 'value' }],
      },
    },
  };
  const out = [trainingFigure('further-restricted-loss', 'Restricted and excluded loss over training (Nanda et al. 2023)',
    'Restricted loss: the cross-entropy on all p² pairs of the logits kept only on the key frequencies\' cos(w(a+b)) and sin(w(a+b)) directions of each output (plus the mean logit per class); ' +
    'excluded loss: the training cross-entropy with those directions removed. As in the paper, the restricted loss falls before the test loss (circuit formation) and the excluded loss rises while train loss stays low. ' +
    `One set of key frequencies per run: the run's committed frequencies at its last checkpoint (≥ 10 % of the neurons specialised), else its embedding key frequencies. ${keyText}`,
    lossSpec, ['run', 'epoch', 'series', 'value'], losses)];
  const shareSpec = {
    data: { values: shares.map(([run, epoch, series, value]) => ({ run, epoch, series, value })) },
    facet: { row: { field: 'series', type: 'nominal', title: null, header: ROW_HEADER } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520, height: 120, mark: { type: 'line', point: shares.length < 1200 },
      encoding: { x: { field: 'epoch', type: 'quantitative', title: 'epoch' }, y: { field: 'value', type: 'quantitative', title: null }, color: runColour(runs) },
    },
  };
  out.push(trainingFigure('further-restricted-loss-shares', 'Key frequencies in the logits over training',
    'Key-frequency share: the part of the doubly centred logits (per-input and per-class means removed) on the key frequencies\' cos/sin(w(a+b)) directions, the part the restricted loss keeps; ' +
    'trig-sum share: the part on cos(w(a+b−c)) and sin(w(a+b−c)) at the key frequencies, the algorithm\'s ideal form; and the ratio of test loss to restricted loss (the paper\'s Fig. 7c). ' + keyText,
    shareSpec, ['run', 'epoch', 'series', 'value'], shares));
  return out;
}

/** Gradient symmetricity, distance irrelevance and the algorithm (pizza_clock). */
export function pizzaClockFigures(store: Store, runs: RunData[]): Figure[] {
  const rows: Cell[][] = [], last: string[] = [];
  const cut = { 'gradient symmetricity': PIZZA_CLOCK_RULES.symmetricity, 'distance irrelevance': PIZZA_CLOCK_RULES.irrelevance };
  for (const r of runs) {
    const rs = store.getAnalyses<PizzaClockSummary>(r.runId, PIZZA_CLOCK);
    if (rs.length === 0) continue;
    for (const a of rs) {
      const s = a.summary, alg = s.algorithm ?? 'none';
      rows.push([r.label, a.epoch, 'gradient symmetricity', sig(s.gradient_symmetricity), alg, cut['gradient symmetricity']]);
      rows.push([r.label, a.epoch, 'distance irrelevance', sig(s.distance_irrelevance), alg, cut['distance irrelevance']]);
    }
    const e = rs[rs.length - 1];
    last.push(`${r.label}: ${e.summary.algorithm ?? 'none (not yet 99 % accurate)'} at epoch ${e.epoch}`);
  }
  if (rows.length === 0) return [];
  const spec = {
    data: { values: rows.map(([run, epoch, series, value, algorithm, threshold]) => ({ run, epoch, series, value, algorithm, threshold })) },
    facet: { row: { field: 'series', type: 'nominal', title: null, sort: ['gradient symmetricity', 'distance irrelevance'], header: ROW_HEADER } },
    spec: {
      width: 520, height: 140,
      layer: [
        { mark: { type: 'line' }, encoding: { x: { field: 'epoch', type: 'quantitative', title: 'epoch' }, y: { field: 'value', type: 'quantitative', title: null, scale: { domain: [0, 1] } }, color: runColour(runs) } },
        {
          mark: { type: 'point', filled: true, size: 30 },
          encoding: {
            x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' }, color: runColour(runs),
            shape: { field: 'algorithm', type: 'nominal', title: 'algorithm', scale: { domain: ['pizza', 'clock', 'mixed', 'none'], range: ['circle', 'square', 'triangle-up', 'cross'] } },
            tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'series' }, { field: 'value' }, { field: 'algorithm' }],
          },
        },
        { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { aggregate: 'max', field: 'threshold', type: 'quantitative' } } },
      ],
    },
  };
  return [trainingFigure('further-pizza-clock', 'Pizza or clock: gradient symmetricity and distance irrelevance (Zhong et al. 2023)',
    'Gradient symmetricity: the mean cosine between the gradients of the output logit Q_abc with respect to the inputs of a and b (every pair once, c drawn uniformly, seeded); 1 when attention is uniform (pizza), lower when attention multiplies (clock). ' +
    'Distance irrelevance: how little the correct logit depends on a − b (mean over a − b of its standard deviation over a + b, over its overall standard deviation); small for a pizza, near 1 for a clock. ' +
    `Dashed: the cuts (symmetricity ${PIZZA_CLOCK_RULES.symmetricity}, irrelevance ${PIZZA_CLOCK_RULES.irrelevance}); pizza above the first and below the second, clock the reverse, mixed otherwise, none below ${PIZZA_CLOCK_RULES.accuracy * 100} % accuracy on all pairs. ` +
    `Last checkpoint — ${last.join('; ')}.`,
    spec, ['run', 'epoch', 'series', 'value', 'algorithm', 'threshold'], rows)];
}

/** The progress-measure and algorithm figures for the runs that have their results (none when no run has). */
export function progressFigures(store: Store, runs: RunData[]): Figure[] {
  return [...restrictedLossFigures(store, runs), ...pizzaClockFigures(store, runs)];
}
