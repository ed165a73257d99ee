/**
 * Figures of the local learning coefficient (issue 26 §9), read from the `llc` analyzer's results:
 *   further-llc         λ̂ over epochs, the mean over chains with a band of ± one std and each
 *                       chain's λ̂ as a point, per run
 *   further-llc-chains  the SGLD loss traces of every chain at one checkpoint (the run's last
 *                       computed one), burn-in shaded, with L(w*) as a rule
 */
import { LLC, type LlcSummary } from '../../analysis/analyzers/llc.js';
import { readStoredArtifact } from '../../analysis/artifact.js';
import type { Store } from '../../store/store.js';
import type { Figure, RunData } from '../types.js';
import { runColour, sig, trainingFigure, type Cell, ROW_HEADER } from './common.js';



function settings(s: LlcSummary): string {
  return `nβ = n/ln n = ${sig(s.nbeta, 4)} (n = ${s.n}), γ = ${s.localization}, ε = ${s.epsilon}, ${s.chains} chains × (${s.burnin} burn-in + ${s.draws} draws), full batch`;
}

/** λ̂ over epochs with the chains' spread, and the chain traces of the last computed checkpoint. */
export function llcFigures(store: Store, runs: RunData[]): Figure[] {
  const rows: Cell[][] = [], chainRows: Cell[][] = [], traceRows: Cell[][] = [];
  let any: LlcSummary | null = null;
  const notes: string[] = [];
  for (const r of runs) {
    const computed = store.getAnalyses<LlcSummary>(r.runId, LLC).filter((a) => a.summary.computed);
    if (computed.length === 0) continue;
    for (const a of computed) {
      const s = a.summary;
      any = s;
      const m = s.llc_mean ?? null, sd = s.llc_std ?? null;
      rows.push([r.label, a.epoch, sig(m), m !== null && sd !== null ? sig(m - sd) : null, m !== null && sd !== null ? sig(m + sd) : null, s.diverged_chains ?? 0]);
      (s.chain_llc ?? []).forEach((v, c) => chainRows.push([r.label, a.epoch, c, sig(v)]));
    }
    const last = computed[computed.length - 1];
    const diverged = computed.reduce((n, a) => n + (a.summary.diverged_chains ?? 0), 0);
    notes.push(`${r.label}: λ̂ = ${sig(last.summary.llc_mean ?? NaN, 4)} ± ${sig(last.summary.llc_std ?? NaN, 3)} at epoch ${last.epoch}; ${diverged} diverged chain(s) over ${computed.length} checkpoints`);
    try {
      const art = readStoredArtifact(store, r.runId, LLC, last.epoch);
      const t = art.tensors?.traces;
      if (t) {
        const [chains, steps] = t.shape;
        for (let c = 0; c < chains; c++) {
          for (let i = 0; i < steps; i++) {
            const v = t.data[c * steps + i];
            traceRows.push([r.label, last.epoch, c, i + 1, Number.isFinite(v) ? sig(v) : null, i < (last.summary.burnin ?? 0) ? 'burn-in' : 'draw', sig(last.summary.init_loss)]);
          }
        }
      }
    } catch { /* the artifact is gone: the trace figure leaves this run out */ }
  }
  if (!any) return [];
  const out: Figure[] = [];
  const values = rows.map(([run, epoch, llc, lo, hi, diverged]) => ({ run, epoch, llc, lo, hi, diverged }));
  const chainValues = chainRows.map(([run, epoch, chain, llc]) => ({ run, epoch, chain, llc }));
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch' };
  out.push(trainingFigure('further-llc', 'Local learning coefficient λ̂ over training (SGLD, Lau et al. 2023)',
    `λ̂ = nβ·(E[L_n(w)] − L_n(w*)) at each analysed checkpoint, E over SGLD draws localised at w* (devinterp's estimator): the line is the mean over chains, the band ± one std across chains, the points each chain's λ̂ (a diverged chain is left out). ${settings(any)}; at epoch 0 and every --llc-every epochs (default 2500). ${notes.join('; ')}.`,
    {
      width: 520, height: 220,
      layer: [
        { data: { values }, mark: { type: 'area', opacity: 0.2 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'LLC estimate' }, y2: { field: 'hi' }, color: runColour(runs) } },
        { data: { values }, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'llc', type: 'quantitative' }, color: runColour(runs), tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'llc', title: 'mean λ̂' }, { field: 'lo' }, { field: 'hi' }, { field: 'diverged', title: 'diverged chains' }] } },
        { data: { values: chainValues }, mark: { type: 'point', shape: 'cross', size: 30, opacity: 0.6 }, encoding: { x, y: { field: 'llc', type: 'quantitative' }, color: runColour(runs), tooltip: [{ field: 'run' }, { field: 'epoch' }, { field: 'chain' }, { field: 'llc' }] } },
      ],
    }, ['run', 'epoch', 'llc_mean', 'llc_minus_std', 'llc_plus_std', 'diverged_chains'], rows));
  if (traceRows.length) {
    const tv = traceRows.map(([run, epoch, chain, step, loss, phase, init]) => ({ run, epoch, chain: `chain ${chain}`, step, loss, phase, init }));
    out.push(trainingFigure('further-llc-chains', 'SGLD chain loss traces at the last analysed checkpoint',
      `The training loss L_n(w) after every SGLD step of each chain at the run's last checkpoint with λ̂ (points in the burn-in are not counted in λ̂); dashed: L_n(w*). A chain whose loss turns non-finite or exceeds 100·(L(w*) + 1) is diverged and stops. ${settings(any)}.`,
      {
        data: { values: tv },
        facet: { row: { field: 'run', type: 'nominal', title: null, header: ROW_HEADER } },
        resolve: { scale: { y: 'independent' } },
        spec: {
          width: 520, height: 160,
          layer: [
            { mark: { type: 'line', strokeWidth: 1 }, encoding: { x: { field: 'step', type: 'quantitative', title: 'SGLD step' }, y: { field: 'loss', type: 'quantitative', title: 'training loss', scale: { zero: false } }, color: { field: 'chain', type: 'nominal', title: 'chain' }, opacity: { field: 'phase', type: 'nominal', scale: { domain: ['burn-in', 'draw'], range: [0.4, 1] }, title: null }, tooltip: [{ field: 'chain' }, { field: 'step' }, { field: 'loss' }, { field: 'phase' }] } },
            { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { aggregate: 'max', field: 'init', type: 'quantitative' } } },
          ],
        },
      }, ['run', 'epoch', 'chain', 'step', 'loss', 'phase', 'init_loss'], traceRows));
  }
  return out;
}
