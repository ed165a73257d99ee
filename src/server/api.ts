/**
 * What the dashboard's API reads: one read model per run (views/model.ts), loaded once and reloaded
 * when the run's stored results change, the activation maps of the last few checkpoints asked for,
 * and the JSON (or binary) answer of each read endpoint.
 */
import type { Kernels } from '../engine/index.js';
import { runJitter } from '../metrics/outcome.js';
import type { Store } from '../store/store.js';
import { furtherSections } from '../study/further.js';
import { interventionSections } from '../study/interventions.js';
import { computeStudyFromData } from '../study/sections.js';
import { toCsv } from '../views/csv.js';
import { buildViews, storedResults, VIEWS, viewEntry, viewHasData, viewNeeds } from '../views/index.js';
import { checkpointMaps, powerSpectrum, type QuantisedMaps } from '../views/maps.js';
import { readRunOverviews } from '../analysis/overview.js';
import { disambiguateLabels, loadRunModel, loadRunOverview, overviewOfModel, type RunModel, type RunOverview } from '../views/model.js';
import type { Figure } from '../views/types.js';
import { HttpError, RUN_ID, toJson } from './http.js';

/** How many checkpoints' activation maps are kept (a slider moving back and forth). */
const MAPS_KEPT = 4;

const figuresJson = (figs: Figure[]) => figs.map((f) => ({ name: f.name, title: f.title, caption: f.caption, spec: f.spec }));

export class DashboardData {
  private readonly models = new Map<string, { key: string; model: RunModel }>();
  private readonly overviews = new Map<string, { key: string; overview: RunOverview }>();
  private readonly mapsCache = new Map<string, QuantisedMaps>();

  constructor(private readonly store: Store, readonly K: number, private readonly kern: () => Kernels) {}

  /**
   * What changes when a run's stored results change: its version (store.ts; `versions`, every run's,
   * read once for many runs), or in a read-only store older than versions what its rows show.
   */
  private stamp(id: string, versions?: Map<string, number> | null): string {
    const store = this.store, v = versions === undefined ? store.runVersion(id) : versions === null ? null : versions.get(id) ?? 0;
    if (v !== null) return `v${v}`;
    const r = store.getRun(id)!, c = store.checkpointStamp(id);
    return `${r.epochs_done}|${r.status}|${r.updated_at}|${c.n}|${c.last}|${store.countAnalyses(id, 'neuron_fourier')}`;
  }

  /** The run's read model (404 for an unknown id). */
  model(id: string): RunModel {
    if (!RUN_ID.test(id) || !this.store.getRun(id)) throw new HttpError(404, `no run ${id} in the store`);
    const key = this.stamp(id);
    const hit = this.models.get(id);
    if (hit && hit.key === key) return hit.model;
    const m = loadRunModel(this.store, id, this.K);
    this.models.set(id, { key, model: m });
    return m;
  }

  /**
   * Load every run's overview, then its read model, in the background, one per turn of the event loop (requests
   * are answered in between), so the home page's columns are ready soon after the server starts.
   * Returns the function that stops it (the server's close).
   */
  warm(): () => void {
    let stopped = false, timer: ReturnType<typeof setImmediate> | null = null;
    const runs = this.store.listRuns(), ids = runs.map((r) => r.run_id);
    // First every run's overview (the home table's columns): the kept ones all in the first turn,
    // then one computed per turn; then every read model (run pages).
    const next = (i: number): void => {
      timer = null;
      if (stopped || i >= 2 * ids.length) return;
      try {
        if (i === 0) {
          const versions = this.store.runVersions(), kept = readRunOverviews(this.store, runs);
          for (const [id, o] of kept) if (!this.overviews.has(id)) this.overviews.set(id, { key: this.stamp(id, versions), overview: o });
        }
        if (i < ids.length) this.overview(ids[i]); else this.model(ids[i - ids.length]);
      } catch { /* a run that cannot be read now is read (and its error shown) on request */ }
      timer = setImmediate(() => next(i + 1));
    };
    timer = setImmediate(() => next(0));
    return () => { stopped = true; if (timer) clearImmediate(timer); };
  }

  private mapsAt(m: RunModel, epoch: number): QuantisedMaps {
    const key = `${m.runId}@${epoch}`;
    let q = this.mapsCache.get(key);
    if (!q) {
      const path = m.checkpoints.get(epoch);
      if (!path) throw new HttpError(404, `run ${m.runId} has no checkpoint at epoch ${epoch}`);
      q = checkpointMaps(this.kern(), path, m.p, m.dMlp || (m.configuredDMlp ?? 0));
      this.mapsCache.set(key, q);
      while (this.mapsCache.size > MAPS_KEPT) this.mapsCache.delete(this.mapsCache.keys().next().value!);
    }
    return q;
  }

  /**
   * A run's overview: from its read model when that is loaded and current, else read on its own
   * (loadRunOverview: far less than a read model) and kept until the run's results change.
   */
  private overview(id: string, versions?: Map<string, number> | null, stored?: () => Map<string, RunOverview>): RunOverview {
    const key = this.stamp(id, versions);
    const hit = this.models.get(id);
    if (hit && hit.key === key) return overviewOfModel(hit.model);
    const o = this.overviews.get(id);
    if (o && o.key === key) return o.overview;
    const overview = stored?.().get(id) ?? loadRunOverview(this.store, id);
    this.overviews.set(id, { key, overview });
    return overview;
  }

  /**
   * /api/runs: every run with its outcome and grokking times. The runs' versions are read in one
   * query, then (once some run is not cached) every current overview the analysis kept, in one more.
   */
  homeRows() {
    const store = this.store, runs = store.listRuns(), versions = store.runVersions();
    let stored: Map<string, RunOverview> | null = null;
    const keptOverviews = (): Map<string, RunOverview> => (stored ??= readRunOverviews(store, runs));
    return runs.map((r) => {
      const o = this.overview(r.run_id, versions, keptOverviews);
      return {
        run_id: r.run_id, p: r.p, seed: r.seed, data_seed: r.data_seed, jitter: o.jitter, status: o.status,
        epochs_done: r.epochs_done, epochs: o.maxEpoch, checkpoints: o.checkpoints, analysed: o.analysed,
        outcome: o.outcome?.performance_classification ?? null, provisional: o.outcome?.provisional ?? null, onset: o.outcome?.second_descent_onset_epoch ?? null,
        grok_epoch: o.grok.grok_epoch, grok_epoch_acc: o.grok.grok_epoch_acc, memorise_epoch: o.grok.memorise_epoch,
        key_frequencies: o.keyFrequencies, committed_frequencies: o.committedFrequencies, final_test_loss: o.finalTestLoss,
      };
    });
  }

  /** The home rows from the runs table alone (no read model): the table is drawn with these first. */
  basicRows() {
    const store = this.store;
    return store.listRuns().map((r) => ({
      run_id: r.run_id, p: r.p, seed: r.seed, data_seed: r.data_seed, jitter: runJitter(r), status: store.runState(r).state,
      epochs_done: r.epochs_done, epochs: r.epochs, checkpoints: store.checkpointStamp(r.run_id).n, analysed: null,
      outcome: null, onset: null, grok_epoch: r.grok_epoch, grok_epoch_acc: null, memorise_epoch: r.memorise_epoch,
      key_frequencies: [], committed_frequencies: [], final_test_loss: null, basic: true,
    }));
  }

  /** The single-run views that have data for the run (their analyzers' results are stored), in catalog order. */
  private runViews(m: RunModel): { name: string; family: string; title: string }[] {
    const has = storedResults(this.store, m.runId);
    return VIEWS.filter((v) => v.scope === 'run' && viewHasData(v, has, m.metrics.length > 0))
      .map((v) => ({ name: v.name, family: v.family, title: v.title }));
  }

  /** Where one figure's data downloads as CSV. */
  private csvUrl(runId: string, view: string, figure: string): string {
    return `/api/run/${encodeURIComponent(runId)}/view/${encodeURIComponent(view)}/csv?figure=${encodeURIComponent(figure)}`;
  }

  /** /api/run/ID/view/NAME: one view's figures for the run (404 for a view with no data for it). */
  viewJson(id: string, name: string) {
    const m = this.model(id);
    return { name, figures: figuresJson(this.viewFigures(m, name)).map((f) => ({ ...f, csv: this.csvUrl(m.runId, name, f.name) })) };
  }

  private viewFigures(m: RunModel, name: string): Figure[] {
    const v = viewEntry(name);
    if (v.scope !== 'run') throw new HttpError(404, `view ${name} compares runs: see /compare`);
    if (!this.runViews(m).some((x) => x.name === name)) throw new HttpError(404, `run ${m.runId} has no results for view ${name} (it needs ${viewNeeds(v)})`);
    return buildViews([m], this.K, this.kern, [name], this.store);
  }

  /** /api/run/ID/view/NAME/csv?figure=F: the data of one figure of the view, as CSV. */
  viewCsv(id: string, name: string, figure: string | null): string {
    const figs = this.viewFigures(this.model(id), name);
    const f = figs.find((x) => x.name === figure);
    if (!f) throw new HttpError(404, `view ${name} has no figure ${figure ?? '(none named)'} (figures: ${figs.map((x) => x.name).join(', ')})`);
    return toCsv(f.table);
  }

  /** /api/run/ID: the run's summary, the views it has (by family) and the training curves. */
  runJson(id: string) {
    const m = this.model(id), o = overviewOfModel(m);
    return {
      run_id: m.runId, label: m.label, p: m.p, seed: m.seed, data_seed: m.dataSeed, jitter: m.jitter, status: m.status,
      epochs_done: m.epochsDone, max_epoch: m.maxEpoch, d_mlp: m.dMlp > 0 ? m.dMlp : m.configuredDMlp, n_freq: m.nFreq, K: this.K,
      epochs: m.epochs, checkpoints: [...m.checkpoints.keys()].sort((a, b) => a - b),
      grok: m.grok, outcome: m.outcome, outcome_stored: m.outcomeStored,
      committed_frequencies: o.committedFrequencies, key_frequencies: o.keyFrequencies,
      views: this.runViews(m),
      figures: figuresJson(buildViews([m], this.K, this.kern, ['training-curves']))
        .map((f) => ({ ...f, csv: this.csvUrl(m.runId, 'training-curves', f.name) })),
    };
  }

  /** Binary: u32 header length, header JSON, then d_mlp × p² bytes of map indices. */
  mapsBinary(id: string, epochText: string | null): [Buffer, Buffer] {
    const m = this.model(id);
    const epoch = Number(epochText);
    if (epochText === null || !Number.isInteger(epoch)) throw new HttpError(400, 'epoch must be an integer');
    const i = m.epochs.indexOf(epoch);
    if (i < 0) throw new HttpError(404, `run ${id} has no analysed checkpoint at epoch ${epoch}`);
    const q = this.mapsAt(m, epoch);
    const d = m.dMlp;
    const header = Buffer.from(toJson({
      epoch, p: m.p, d_mlp: d, min: q.min, max: q.max,
      coarseness: m.coarseness.subarray(i * d, (i + 1) * d), specialization: m.specialization.subarray(i * d, (i + 1) * d),
      dominant: m.dominant.subarray(i * d, (i + 1) * d),
    }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    return [Buffer.concat([len, header]), Buffer.from(q.indices.buffer, q.indices.byteOffset, q.indices.byteLength)];
  }

  /** /api/run/ID/neuron/N?epoch=E: one neuron's map, spectrum and history. */
  neuronJson(id: string, nText: string, epochText: string | null) {
    const m = this.model(id);
    const n = Number(nText), epoch = Number(epochText);
    if (!/^\d+$/.test(nText) || n >= m.dMlp) throw new HttpError(400, `neuron must be an integer in 0..${m.dMlp - 1}`);
    const i = m.epochs.indexOf(epoch);
    if (i < 0) throw new HttpError(404, `run ${id} has no analysed checkpoint at epoch ${epochText}`);
    const q = this.mapsAt(m, epoch);
    const d = m.dMlp;
    return {
      neuron: n, epoch, p: m.p, min: q.min[n], max: q.max[n],
      map: Array.from(q.indices.subarray(n * m.p * m.p, (n + 1) * m.p * m.p)),
      spectrum: powerSpectrum(this.kern(), q.raw, m.p, d, n),
      history: m.epochs.map((e, j) => ({ epoch: e, coarseness: m.coarseness[j * d + n], specialization: m.specialization[j * d + n], dominant: m.dominant[j * d + n] })),
      coarseness: m.coarseness[i * d + n], specialization: m.specialization[i * d + n], dominant: m.dominant[i * d + n],
    };
  }

  /** The runs a compare or study request names ('all': every run of the store). */
  private compareIds(runsText: string | null): string[] {
    const all = runsText === 'all';
    const ids = all ? this.store.listRuns().map((r) => r.run_id) : (runsText ?? '').split(',').filter((s) => s !== '');
    if (ids.length === 0) throw new HttpError(all ? 404 : 400, all ? 'this store has no runs yet' : 'name runs to compare: ?runs=A,B (or all)');
    if (ids.length > (all ? 500 : 64)) throw new HttpError(400, all ? 'at most 500 runs in one study' : 'at most 64 runs');
    for (const id of ids) this.model(id);
    return [...new Set(ids)];
  }

  /** The last /api/compare/further answer and the runs' state it was computed from. */
  private further: { key: string; value: unknown } | null = null;

  /**
   * /api/compare/further?runs=…: the study's sections beyond the seed's five, as the report has
   * them: ablations (blob and specialised neurons against random ones, at each run's last
   * checkpoint), blob initialisation, and the further analyzers' sections (gradient ratios,
   * initial curvature, attention, effective dimensionality). Computed on request (the ablations
   * run the model) and kept until a run's results change.
   */
  furtherJson(runsText: string | null) {
    const ids = this.compareIds(runsText);
    const key = ids.map((id) => id + '@' + this.stamp(id)).join(',');
    if (this.further?.key !== key) {
      this.further = { key, value: { sections: [...interventionSections(this.store, this.kern(), ids), ...furtherSections(this.store, ids)] } };
    }
    return this.further.value;
  }

  /** /api/compare?runs=A,B: overlays and the study's answers over the runs. */
  compareJson(runsText: string | null) {
    const K = this.K, kern = this.kern;
    const ms = this.compareIds(runsText).map((id) => ({ ...this.model(id) }));
    disambiguateLabels(ms);
    const analysed = ms.filter((m) => m.epochs.length > 0);
    const figs = buildViews(ms, K, kern, ['training-curves']).concat(analysed.length ? buildViews(analysed, K, kern, ['mean-overlay', 'embedding-spectrum']) : [],
      analysed.length > 1 ? buildViews(analysed, K, kern, ['early-vs-grok']) : []);
    const finished = analysed.filter((m) => !m.study!.unfinished);
    const answers = finished.length > 1 ? computeStudyFromData(analysed.map((m) => m.study!), { K }) : null;
    return {
      runs: ms.map((m) => ({ run_id: m.runId, label: m.label, outcome: m.outcome?.performance_classification ?? null })),
      /** Runs the answers leave out: not analysed, or not at their full horizon (a provisional class). */
      left_out: { unanalysed: ms.length - analysed.length, unfinished: analysed.length - finished.length },
      figures: figuresJson(figs),
      answers: answers ? answers.sections : null,
    };
  }

  /**
   * /api/views: the catalog (every view's name, family, title, scope and needs) and, for each run
   * of the store, the views it has data for (an unanalysed run: those its metrics feed).
   */
  catalogJson() {
    const runs = this.store.listRuns().map((r) => {
      const has = storedResults(this.store, r.run_id), metrics = this.store.hasMetrics(r.run_id);
      return { run_id: r.run_id, p: r.p, seed: r.seed, data_seed: r.data_seed, views: VIEWS.filter((v) => viewHasData(v, has, metrics)).map((v) => v.name) };
    });
    return {
      views: VIEWS.map((v) => ({ name: v.name, family: v.family, title: v.title, scope: v.scope, needs: viewNeeds(v) })),
      runs,
    };
  }

  /**
   * /api/views/NAME?runs=A,B: one view side by side over the runs. A view of one run is built for
   * each run that has its data (`columns`, one per run, in the order asked); a view that compares
   * runs is built once over them (`figures`). Runs without its data are named in `without`.
   */
  viewAcrossJson(name: string, runsText: string | null) {
    const v = viewEntry(name);
    const ids = [...new Set((runsText ?? '').split(',').filter((x) => x !== ''))];
    if (ids.length === 0) throw new HttpError(400, 'name the runs: ?runs=A,B');
    if (ids.length > 12) throw new HttpError(400, 'at most 12 runs side by side');
    const ms = ids.map((id) => ({ ...this.model(id) }));
    disambiguateLabels(ms);
    const withData = ms.filter((m) => viewHasData(v, storedResults(this.store, m.runId), m.metrics.length > 0));
    const without = ms.filter((m) => !withData.includes(m)).map((m) => ({ run_id: m.runId, label: m.label }));
    const meta = { name, family: v.family, title: v.title, scope: v.scope, needs: viewNeeds(v), without };
    if (v.scope === 'runs') {
      return { ...meta, figures: withData.length ? figuresJson(buildViews(withData, this.K, this.kern, [name], this.store)) : [], columns: [] };
    }
    return {
      ...meta, figures: [],
      columns: withData.map((m) => ({
        run_id: m.runId, label: m.label, epochs: m.epochs,
        figures: figuresJson(buildViews([m], this.K, this.kern, [name], this.store)).map((f) => ({ ...f, csv: this.csvUrl(m.runId, name, f.name) })),
      })),
    };
  }
}
