/**
 * Neuron frequency dynamics (analysis/dynamics.ts, MIScope's definitions) per run: specialised
 * neurons (frequency specialization ≥ 0.7) per frequency over epochs with the test loss, the
 * commitment timeline (neurons committed to their final frequency by each epoch), and the
 * transient frequencies with their homeless neurons.
 */
import { neuronDynamics, type NeuronDynamics } from '../../analysis/dynamics.js';
import type { Figure, RunData } from '../types.js';
import { VL_CONFIG, VL_SCHEMA, decimateMetrics, sig } from './common.js';

function dynamicsOf(r: RunData): NeuronDynamics {
  return neuronDynamics({ epochs: r.epochs, dMlp: r.dMlp, nFreq: r.nFreq, maxFrac: r.specialization, dominant: r.dominant });
}

/** Frequencies worth a line: those that reach 5 % of d_mlp specialised neurons at some checkpoint. */
function shownFrequencies(d: NeuronDynamics): number[] {
  const out: number[] = [];
  for (let k = 1; k <= d.nFreq; k++) {
    let peak = 0;
    for (let i = 0; i < d.epochs.length; i++) peak = Math.max(peak, d.specialised_counts[i * d.nFreq + k - 1]);
    if (peak >= 0.05 * d.dMlp) out.push(k);
  }
  return out;
}

export function dynamicsFigures(runs: RunData[]): Figure[] {
  const counts: Record<string, unknown>[] = [], loss: Record<string, unknown>[] = [], commit: Record<string, unknown>[] = [];
  const countRows: Figure['table']['rows'] = [], transRows: Figure['table']['rows'] = [], trans: Record<string, unknown>[] = [];
  for (const r of runs) {
    const d = dynamicsOf(r);
    const ks = shownFrequencies(d);
    d.epochs.forEach((e, i) => {
      for (let k = 1; k <= d.nFreq; k++) {
        const c = d.specialised_counts[i * d.nFreq + k - 1];
        if (c > 0) countRows.push([r.label, r.runId, e, k, c]);
        if (ks.includes(k)) counts.push({ run: r.label, epoch: e, frequency: `k=${k}`, count: c });
      }
      // Commitment timeline: neurons committed (to their final frequency, to the end) by this epoch.
      const byK = new Map<number, number>();
      d.commitment_epochs.forEach((ce, n) => { if (ce !== null && ce <= e) byK.set(d.final_dominant[n], (byK.get(d.final_dominant[n]) ?? 0) + 1); });
      for (const [k, c] of byK) commit.push({ run: r.label, epoch: e, frequency: `k=${k}`, committed: c });
    });
    for (const m of decimateMetrics(r.metrics, 600, [])) if (m.test_loss !== null && m.test_loss > 0) loss.push({ run: r.label, epoch: m.epoch, test_loss: sig(m.test_loss) });
    if (d.transient_frequencies.length === 0) transRows.push([r.label, r.runId, 'none', null, null, null, null]);
    for (const t of d.transient_frequencies) {
      transRows.push([r.label, r.runId, t.frequency, t.peak_epoch, t.peak_count, t.final_count, t.homeless_count]);
      trans.push({ run: r.label, frequency: `k=${t.frequency}`, peak: t.peak_count, final: t.final_count, homeless: t.homeless_count, peak_epoch: t.peak_epoch });
    }
  }
  const panel = (r: RunData) => {
    const only = { filter: `datum.run == ${JSON.stringify(r.label)}` };
    const x = { field: 'epoch', type: 'quantitative', title: 'epoch' };
    return {
      title: r.label, width: 340, height: 170,
      layer: [
        { data: { name: 'counts' }, transform: [only], mark: { type: 'line', strokeWidth: 1.5 },
          encoding: { x, y: { field: 'count', type: 'quantitative', title: 'specialised neurons' }, color: { field: 'frequency', type: 'nominal', title: 'frequency' },
            tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'frequency' }, { field: 'count' }] } },
        { data: { name: 'loss' }, transform: [only], mark: { type: 'line', strokeWidth: 1, color: '#888888' },
          encoding: { x, y: { field: 'test_loss', type: 'quantitative', scale: { type: 'log' }, title: 'test loss (log)', axis: { orient: 'right', grid: false, format: '.0e' } } } },
      ],
      resolve: { scale: { y: 'independent' } },
    };
  };
  const commitPanel = (r: RunData) => ({
    title: r.label, width: 340, height: 150, data: { name: 'commit' }, transform: [{ filter: `datum.run == ${JSON.stringify(r.label)}` }],
    mark: { type: 'area', interpolate: 'step-after' },
    encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'committed', type: 'quantitative', stack: true, title: 'committed neurons' },
      color: { field: 'frequency', type: 'nominal', title: 'final frequency' }, tooltip: [{ field: 'epoch' }, { field: 'frequency' }, { field: 'committed' }] },
  });
  const cols = runs.length > 1 ? 2 : 1;
  return [
    {
      name: 'specialised-per-frequency', section: 'count', title: 'Specialised neurons per frequency over epochs, with the test loss',
      caption: 'Per run, the number of neurons whose frequency specialization (max_k frac_k, MIScope\'s max_frac) is at least 0.7, by their dominant frequency; ' +
        'frequencies that ever reach 5 % of d_mlp are drawn; grey: test loss (log, right axis). A frequency is committed while it holds ≥ 10 % of d_mlp.',
      spec: { $schema: VL_SCHEMA, config: VL_CONFIG, datasets: { counts, loss }, concat: runs.map(panel), columns: cols },
      table: { columns: ['run', 'run_id', 'epoch', 'frequency', 'specialised_neurons'], rows: countRows },
    },
    {
      name: 'commitment-timeline', section: 'count', title: 'Commitment timeline: neurons committed to their final frequency',
      caption: 'Per run and epoch, the neurons that from that checkpoint on stay specialised (≥ 0.7) on their final dominant frequency to the end, stacked by that frequency.',
      spec: { $schema: VL_SCHEMA, config: VL_CONFIG, datasets: { commit }, concat: runs.map(commitPanel), columns: cols },
      table: { columns: ['run', 'epoch', 'final_frequency', 'committed_neurons'], rows: commit.map((c) => [c.run as string, c.epoch as number, c.frequency as string, c.committed as number]) },
    },
    {
      name: 'transient-frequencies', section: 'count', title: 'Transient frequencies and their homeless neurons',
      caption: 'Frequencies that held ≥ 5 % of d_mlp specialised neurons at some checkpoint but < 10 % at the last: peak count (at the peak epoch), count at the end, and homeless neurons ' +
        '(of the peak cohort, those no longer specialised at the end). The table (data/transient-frequencies.csv) lists every one.',
      spec: {
        $schema: VL_SCHEMA, config: VL_CONFIG, data: { values: trans.length ? trans : [{ run: 'none', frequency: 'none', peak: 0, final: 0, homeless: 0 }] },
        transform: [{ fold: ['peak', 'final', 'homeless'], as: ['measure', 'neurons'] }],
        mark: 'bar', encoding: { y: { field: 'frequency', type: 'nominal' }, x: { field: 'neurons', type: 'quantitative' }, yOffset: { field: 'measure' }, color: { field: 'measure', type: 'nominal' },
          row: { field: 'run', type: 'nominal', title: null }, tooltip: [{ field: 'run' }, { field: 'frequency' }, { field: 'peak_epoch' }, { field: 'measure' }, { field: 'neurons' }] },
      },
      table: { columns: ['run', 'run_id', 'frequency', 'peak_epoch', 'peak_count', 'final_count', 'homeless_count'], rows: transRows },
    },
  ];
}
