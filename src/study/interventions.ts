/**
 * The study's intervention sections (issue 15): numbers and prose over a store's runs, in the
 * study's section shape (StudySection), kept apart from study.ts.
 *
 *   ablation   "Are blob neurons necessary?" Per run, at its last checkpoint, on its test split:
 *              test accuracy with no neuron ablated, with its blob neurons (coarseness ≥ 0.7, K = 3)
 *              zero-ablated, with as many random neurons ablated (seed 0), and the same for its
 *              specialised neurons (max_k frac_k ≥ 0.7). "Necessary" = ablating them costs more
 *              accuracy than ablating as many random neurons.
 *   blob-init  "Does blob initialisation change the onset and the outcome class?" Every blob_init
 *              sub-run of the given runs (or given itself) beside its parent (0 neurons):
 *              second-descent onset, outcome class and grok epoch by the number of neurons initialised.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kernels } from '../engine/kernels.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import type { InterventionSpec } from '../model/interventions.js';
import { chosenNeurons, seededPermutation } from '../model/interventions.js';
import { makeBatch } from '../model/model.js';
import { parseSplitJson } from '../data/dataset.js';
import type { RunRow, Store } from '../store/store.js';
import { AblationProbe, type AblationCurves, BLOB_AT, ablationCurves } from '../analysis/library/ablation.js';
import { outcomeOfRun } from '../analysis/outcome.js';
import type { Cell, StudySection } from './study.js';

const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

interface RunJson { intervention?: InterventionSpec; parent_run_id?: string }

function runJsonOf(store: Store, id: string): RunJson {
  const f = join(store.runDir(id), 'run.json');
  if (!existsSync(f)) return {};
  try { return JSON.parse(readFileSync(f, 'utf8')) as RunJson; } catch { return {}; }
}

export interface RunAblation {
  run_id: string;
  epoch: number;
  acc: number;
  blob: number;
  acc_blob: number | null;
  acc_blob_random: number | null;
  specialised: number;
  acc_specialised: number | null;
  acc_specialised_random: number | null;
  /** Test accuracy and loss against the number of neurons zero-ablated: most specialised first, least first, random. */
  curves: AblationCurves;
}

/** The ablation numbers of one run at its last checkpoint (null when it has no checkpoint or split). */
export function runAblation(store: Store, k: Kernels, runId: string): RunAblation | null {
  const cps = store.listCheckpoints(runId);
  const splitPath = join(store.runDir(runId), 'split.json');
  if (cps.length === 0 || !existsSync(splitPath)) return null;
  const cp = cps[cps.length - 1];
  const ck = loadCheckpoint(cp.path);
  const { p, dMlp: m } = ck.config;
  const test = parseSplitJson(readFileSync(splitPath, 'utf8'), p, splitPath).test;
  const probe = new AblationProbe(k, ck.params, makeBatch(p, Int32Array.from(test).sort()), 3);
  const random = seededPermutation(m, 0);
  const pair = (measure: Float64Array): [number, number | null, number | null] => {
    const chosen = Int32Array.from({ length: m }, (_, n) => n).filter((n) => measure[n] >= BLOB_AT);
    if (chosen.length === 0) return [0, null, null];
    return [chosen.length, probe.evaluate(chosen, 'zero').acc, probe.evaluate(random.subarray(0, chosen.length), 'zero').acc];
  };
  const [blob, accBlob, accBlobR] = pair(probe.coarseness);
  const [spec, accSpec, accSpecR] = pair(probe.specialization);
  return {
    run_id: runId, epoch: cp.epoch, acc: probe.evaluate([], 'zero').acc, blob, acc_blob: accBlob, acc_blob_random: accBlobR,
    specialised: spec, acc_specialised: accSpec, acc_specialised_random: accSpecR,
    curves: ablationCurves(probe, 'specialization', 'zero', 0),
  };
}

/** The ablation curves of every run: how much of the MLP a run needs, and whether the specialised neurons are the part it needs. */
export function sectionAblationCurves(rows: RunAblation[]): StudySection | null {
  if (rows.length === 0) return null;
  const ORDERS = [['most_first', 'most specialised first'], ['least_first', 'least specialised first'], ['random', 'random order']] as const;
  /** Neurons (of d_mlp) zero-ablated before test accuracy first falls below half its unablated value. */
  const half = (c: AblationCurves['most_first'], acc: number): number | null => c.find((pt) => pt.acc < acc / 2)?.ablated ?? null;
  const table = rows.map((r): Cell[] => [r.run_id, r.epoch, r.acc, ...ORDERS.map(([key]) => half(r.curves[key], r.acc))]);
  const faster = rows.filter((r) => {
    const m = half(r.curves.most_first, r.acc), x = half(r.curves.random, r.acc);
    return m !== null && (x === null || m < x);
  }).length;
  const values = rows.flatMap((r) => ORDERS.flatMap(([key, label]) => r.curves[key].map((pt) => ({ run: r.run_id, order: label, ablated: pt.ablated, acc: pt.acc }))));
  return {
    id: 'ablation-curves',
    question: 'How many neurons does each run need, and are the specialised ones the ones it needs? (ablation curves at the last checkpoint)',
    answer: `Zero-ablating the neurons most specialised first (frequency specialization, max_k frac_k) halves a run's test accuracy after fewer neurons than ablating them in random order in ${faster} of ${rows.length} runs. ` +
      'The table gives, per order, the number of neurons ablated when test accuracy first falls below half its unablated value (– : never, even with every neuron ablated it stays above).',
    figure: 'study-ablation-curves',
    vegaLite: {
      data: { values },
      facet: { field: 'run', type: 'nominal', title: null },
      columns: 4,
      spec: {
        width: 180, height: 120, mark: { type: 'line' },
        encoding: {
          x: { field: 'ablated', type: 'quantitative', title: 'neurons zero-ablated' },
          y: { field: 'acc', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } },
          color: { field: 'order', type: 'nominal', title: 'order' },
        },
      },
    },
    table: { columns: ['run', 'epoch', 'test accuracy', ...ORDERS.map(([, label]) => `halved after (${label})`)], rows: table },
  };
}

export function sectionAblation(rows: RunAblation[]): StudySection | null {
  if (rows.length === 0) return null;
  const withBlob = rows.filter((r) => r.acc_blob !== null);
  const blobWorse = withBlob.filter((r) => r.acc_blob! < r.acc_blob_random!).length;
  const withSpec = rows.filter((r) => r.acc_specialised !== null);
  const specWorse = withSpec.filter((r) => r.acc_specialised! < r.acc_specialised_random!).length;
  const answer = [
    `Zero-ablating a run's blob neurons (coarseness ≥ ${BLOB_AT}, K = 3) at its last checkpoint costs more test accuracy than ablating as many random neurons in ${blobWorse} of ${withBlob.length} runs with blob neurons` +
      (rows.length > withBlob.length ? ` (${rows.length - withBlob.length} runs have none)` : '') + '.',
    `For specialised neurons (frequency specialization ≥ ${BLOB_AT}) it is ${specWorse} of ${withSpec.length}.`,
    'A neuron class is necessary where its ablation costs clearly more than random ablation; the curves per run are `grokbench ablate RUN --neurons top:N`.',
  ].join(' ');
  const table = {
    columns: ['run', 'epoch', 'test acc', 'blob', 'acc, blob ablated', 'acc, as many random', 'specialised', 'acc, specialised ablated', 'acc, as many random'],
    rows: rows.map((r): Cell[] => [r.run_id, r.epoch, pct(r.acc), r.blob, pct(r.acc_blob), pct(r.acc_blob_random), r.specialised,
      pct(r.acc_specialised), pct(r.acc_specialised_random)]),
  };
  const values = rows.flatMap((r) => [
    { run: r.run_id, ablated: 'blob neurons', acc: r.acc_blob }, { run: r.run_id, ablated: 'as many random (blob)', acc: r.acc_blob_random },
    { run: r.run_id, ablated: 'specialised neurons', acc: r.acc_specialised }, { run: r.run_id, ablated: 'as many random (specialised)', acc: r.acc_specialised_random },
  ].filter((v) => v.acc !== null));
  const vegaLite = {
    data: { values }, mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      y: { field: 'run', type: 'nominal', title: 'run' }, x: { field: 'acc', type: 'quantitative', title: 'test accuracy after zero-ablation', scale: { domain: [0, 1] } },
      color: { field: 'ablated', type: 'nominal', title: 'ablated' },
    },
  };
  return { id: 'ablation', question: 'Are blob neurons necessary? (ablation at the last checkpoint)', answer, table, figure: 'study-ablation', vegaLite };
}

export interface BlobInitRow { parent: string; run_id: string; neurons: number; onset: number | null; class: string | null; grok_epoch: number | null }

/** The blob_init sub-runs related to `runIds` (the runs themselves, their children, their parents), with each parent as 0 neurons. */
export function blobInitRows(store: Store, runIds: readonly string[]): BlobInitRow[] {
  const all = store.listRuns();
  const byId = new Map(all.map((r) => [r.run_id, r]));
  const ids = new Set(runIds);
  const rows = new Map<string, BlobInitRow>();
  const add = (r: RunRow, parent: string, neurons: number): void => {
    const o = outcomeOfRun(store, r);
    rows.set(r.run_id, { parent, run_id: r.run_id, neurons, onset: o?.second_descent_onset_epoch ?? null,
      class: o?.performance_classification ?? null, grok_epoch: r.grok_epoch });
  };
  for (const r of all) {
    const j = runJsonOf(store, r.run_id);
    if (j.intervention?.type !== 'blob_init' || !j.parent_run_id) continue;
    if (!ids.has(r.run_id) && !ids.has(j.parent_run_id)) continue;
    add(r, j.parent_run_id, chosenNeurons(j.intervention, JSON.parse(r.config_json).dMlp ?? 512).length);
    const parent = byId.get(j.parent_run_id);
    if (parent && !rows.has(parent.run_id)) add(parent, parent.run_id, 0);
  }
  return [...rows.values()].sort((a, b) => a.parent.localeCompare(b.parent) || a.neurons - b.neurons);
}

export function sectionBlobInit(rows: BlobInitRow[]): StudySection | null {
  if (rows.length === 0) return null;
  const counts = [...new Set(rows.map((r) => r.neurons))].sort((a, b) => a - b);
  const parts = counts.map((n) => {
    const g = rows.filter((r) => r.neurons === n);
    const onsets = g.map((r) => r.onset).filter((x): x is number => x !== null);
    const classes = new Map<string, number>();
    for (const r of g) classes.set(r.class ?? 'unknown', (classes.get(r.class ?? 'unknown') ?? 0) + 1);
    const meanOnset = onsets.length ? Math.round(onsets.reduce((a, b) => a + b, 0) / onsets.length) : null;
    return `${n} neurons: ${g.length} run(s), mean onset ${meanOnset ?? '–'}${onsets.length < g.length ? ` (${g.length - onsets.length} without onset)` : ''}, classes ${[...classes].map(([c, x]) => `${c} ${x}`).join(', ')}`;
  });
  return {
    id: 'blob-init',
    question: 'Does blob initialisation change the onset and the outcome class?',
    answer: `By the number of MLP neurons blob-initialised at epoch 0 (0 = the parent run): ${parts.join('; ')}.`,
    figure: 'study-blob-init',
    vegaLite: {
      data: { values: rows.filter((r) => r.onset !== null).map((r) => ({ parent: r.parent, neurons: r.neurons, onset: r.onset, class: r.class ?? 'unknown' })) },
      mark: { type: 'point', filled: true, size: 60 },
      encoding: {
        x: { field: 'neurons', type: 'ordinal', title: 'blob-initialised neurons' }, y: { field: 'onset', type: 'quantitative', title: 'second-descent onset (epoch)' },
        color: { field: 'class', type: 'nominal', title: 'outcome class' }, shape: { field: 'parent', type: 'nominal', title: 'parent run' },
      },
    },
    table: { columns: ['parent', 'run', 'blob-initialised neurons', 'second-descent onset', 'class', 'grok epoch'],
      rows: rows.map((r): Cell[] => [r.parent, r.run_id, r.neurons, r.onset, r.class, r.grok_epoch]) },
  };
}

/** Both sections for these runs of a store (empty when neither applies). Runs that cannot be ablated are left out. */
export function interventionSections(store: Store, k: Kernels, runIds: readonly string[]): StudySection[] {
  const abl: RunAblation[] = [];
  for (const id of runIds) {
    const r = runAblation(store, k, id);
    if (r) abl.push(r);
  }
  return [sectionAblation(abl), sectionAblationCurves(abl), sectionBlobInit(blobInitRows(store, runIds))].filter((s): s is StudySection => s !== null);
}
