/** `grokbench analyze [RUN…]`: analyse every checkpoint not yet analysed (incremental, parallel). */
import { type Command, Option } from 'commander';
import os from 'node:os';
import { join } from 'node:path';
import { listAnalyzers } from '../analysis/registry.js';
import type { NeuronFourierSummary } from '../analysis/analyzers/neuron-fourier.js';
import type { EmbeddingFourierSummary } from '../analysis/analyzers/embedding-fourier.js';
import { type AnalyseOptions, type AnalyseResult, type RunAnalysisReport, analyseCrossEpoch, analyseRunMetrics, analyseRuns, planAnalysis, resolveOptions } from '../analysis/pipeline.js';
import { packageRoot } from '../engine/native.js';
import { badInput } from '../core/errors.js';
import { acquireLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { runAnalysisPlan } from '../sweep/analysis-folder.js';
import { collectRuns, folderRuns } from '../sweep/collect.js';
import { type RunAnalysisExit, SlurmAnalysis } from '../sweep/slurm-analyze.js';
import { type GlobalOpts, intArg, numArg, openStore, printJson, say, withCommon } from './common.js';
import { ProgressLine, formatDuration } from './progress.js';
import { commaList } from '../core/lists.js';

interface AnalyzeOpts extends GlobalOpts {
  lowFreqs: number; flatAsZero?: boolean; jobs?: number; grokLoss: number; curvatureEvery?: number; neuronGrouping?: 'fourier' | 'kmeans'; parameterDmdReferenceEpoch?: number; llcEvery?: number; analyzers?: string[];
  executor: string; partition?: string; cpusPerTask?: number; time?: string; sbatchArg?: string[]; slurmPlan?: string;
}

function bar(done: number, total: number, width = 24): string {
  const f = total === 0 ? 1 : done / total;
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '-' : v.toFixed(digits));

/** First and last stored neuron_fourier summary and the last embedding key frequencies of a run. */
function endpoints(store: Store, runId: string, o: AnalyzeOpts) {
  const [nf, ef] = listAnalyzers();
  const opts = { lowFreqs: o.lowFreqs, flatAsZero: !!o.flatAsZero, grokLoss: o.grokLoss };
  const rows = store.getAnalyses<NeuronFourierSummary>(runId, nf.name, nf.params(opts));
  const emb = store.getAnalyses<EmbeddingFourierSummary>(runId, ef.name, ef.params(opts));
  const pick = (r: (typeof rows)[number] | undefined) => r && {
    epoch: r.epoch, mean_coarseness: r.summary.mean_coarseness, blob_count: r.summary.blob_count,
    num_flat_neurons: r.summary.num_flat_neurons, mean_concentration: r.summary.concentration.mean,
  };
  return { first: pick(rows[0]) ?? null, last: pick(rows[rows.length - 1]) ?? null, key_frequencies: emb.length ? emb[emb.length - 1].summary.key_frequencies : null };
}

const HELP = `
--executor slurm: every run with checkpoints still to analyse becomes one task of a Slurm job array
(grokbench analyze on the node, --cpus-per-task threads); a task writes only its run's folder
(the artifacts and runs/<id>/analysis-results/), and this command, as it follows the tasks with
squeue, merges their results into the store's database (grokbench collect does the same by hand).
--jobs N caps the tasks running at once. A task that ends unfinished is resubmitted and continues
where it stopped; run again, it adopts tasks still queued or running and submits only what is
unanalysed. The grokking time and outcome are then computed here from the runs' metrics.`;

export function register(program: Command): void {
  withCommon(program.command('analyze').argument('[runs...]', 'run ids or unique prefixes (default: every run)')
    .description('analyse every checkpoint not yet analysed: activation maps, coarseness, Fourier structure, grokking time')
    .option('--low-freqs <K>', 'K, the number of low frequencies in coarseness', intArg('--low-freqs', 1), 3)
    .option('--flat-as-zero', 'score flat (constant) neurons 0 as MIScope does, instead of leaving them out')
    .option('--jobs <N>', 'worker threads (default: number of cores); with --executor slurm, tasks running at once', intArg('--jobs', 1))
    .option('--grok-loss <X>', 'test-loss threshold of grok_epoch', numArg('--grok-loss'), 0.01)
    .option('--curvature-every <N>', 'loss-landscape flatness at epoch 0 and every N epochs (1: every checkpoint; default 2500)', intArg('--curvature-every', 1))
    .addOption(new Option('--neuron-grouping <path>', "neuron_grouping: 'fourier' (each neuron's dominant frequency, the modular-addition override) or 'kmeans' (8 groups on [W_in column, W_out row])").choices(['fourier', 'kmeans']))
    .option('--parameter-dmd-reference-epoch <E>', "parameter_dmd: the grouping of the checkpoint nearest to epoch E (default: the last)", intArg('--parameter-dmd-reference-epoch', 0))
    .option('--llc-every <N>', 'local learning coefficient (SGLD) at epoch 0 and every N epochs (1: every checkpoint; default 2500)', intArg('--llc-every', 1))
    .option('--analyzers <names>', 'only these analyzers, comma-separated (and what they require, and always neuron_fourier, embedding_fourier, grokking, outcome); default: all', commaList)
    .addOption(new Option('--executor <name>', 'where checkpoints are analysed: local worker threads, or Slurm array tasks (one per run)').choices(['local', 'slurm']).default('local'))
    .option('--partition <P>', 'Slurm partition of the tasks (--executor slurm)')
    .option('--cpus-per-task <N>', 'Slurm CPUs (analysis threads) of each task [1] (--executor slurm)', intArg('--cpus-per-task', 1))
    .option('--time <T>', 'Slurm time limit of each task, e.g. 1:00:00 (a task out of time is resubmitted and continues) (--executor slurm)')
    .option('--sbatch-arg <arg>', 'an extra sbatch argument, e.g. --sbatch-arg=--qos=long (repeatable) (--executor slurm)', (v: string, prev: string[] = []) => [...prev, v])
    .addOption(new Option('--slurm-plan <file>', "a Slurm task's work: analyse the plan's checkpoints into the run folder, never the database").hideHelp())
    .addHelpText('after', HELP))
    .action(async (runArgs: string[], o: AnalyzeOpts) => {
      if (o.slurmPlan !== undefined) {
        // A Slurm task on some node: the plan and the run's files only, never SQLite.
        if (runArgs.length) throw badInput('--slurm-plan takes no run ids');
        await runAnalysisPlan(o.slurmPlan, o.jobs ?? 1, (line) => process.stderr.write(`analyze: ${line}\n`));
        return;
      }
      const slurm = o.executor === 'slurm';
      if (!slurm) {
        const stray = (['partition', 'cpusPerTask', 'time', 'sbatchArg'] as const).find((k) => o[k] !== undefined);
        if (stray) throw badInput(`--${stray.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} needs --executor slurm`);
      }
      const options = resolveOptions({ lowFreqs: o.lowFreqs, flatAsZero: !!o.flatAsZero, grokLoss: o.grokLoss, curvatureEvery: o.curvatureEvery, neuronGrouping: o.neuronGrouping, parameterDmdReferenceEpoch: o.parameterDmdReferenceEpoch, llcEvery: o.llcEvery, analyzers: o.analyzers });
      const store = openStore(o, { create: false });
      try {
        if (slurm) { await analyzeSlurm(store, runArgs, o, options); return; }
        const ids = runArgs.length ? [...new Set(runArgs.map((r) => store.resolveRun(r).run_id))] : store.listRuns().map((r) => r.run_id);
        const progress = ProgressLine.for(o);
        const t0 = performance.now();
        const opts: AnalyseOptions = {
          lowFreqs: o.lowFreqs, flatAsZero: !!o.flatAsZero, grokLoss: o.grokLoss, jobs: o.jobs, curvatureEvery: o.curvatureEvery, neuronGrouping: o.neuronGrouping, parameterDmdReferenceEpoch: o.parameterDmdReferenceEpoch, llcEvery: o.llcEvery, analyzers: o.analyzers,
          onProgress: ({ done, total, runId, epoch }) => {
            const el = (performance.now() - t0) / 1000;
            const eta = done > 0 ? (el / done) * (total - done) : NaN;
            progress.update(`${bar(done, total)} ${done}/${total} checkpoints  ${runId} epoch ${epoch}  ${formatDuration(el)} elapsed, ${formatDuration(eta)} left`, done === total);
          },
        };
        const res = await analyseRuns(store, ids, opts);
        progress.done();
        printResult(store, o, res);
        // Damaged checkpoints were skipped (every other one is analysed): named here, and the exit status says so.
        for (const d of res.damaged) process.stderr.write(`grokbench: skipped ${d.runId} epoch ${d.epoch}: ${d.message}\n`);
        if (res.damaged.length > 0) {
          process.stderr.write(`grokbench: ${res.damaged.length} checkpoint(s) could not be read and were not analysed (grokbench verify lists every damaged file)\n`);
          process.exitCode = 1;
        }
      } finally { store.close(); }
    });
}

/** The result of an analysis, as a table or one JSON document. */
function printResult(store: Store, o: AnalyzeOpts, res: AnalyseResult, extra: Record<string, unknown> = {}): void {
  const runs = res.runs.map((r) => ({
    run_id: r.runId, checkpoints: r.checkpoints, analysed: r.computed, resummarised: r.resummarised, already_done: r.alreadyDone,
    grokking: r.runSummaries.grokking ?? null, ...endpoints(store, r.runId, o),
  }));
  if (o.json) {
    printJson({ low_freqs: o.lowFreqs, flat_as_zero: !!o.flatAsZero, jobs: res.jobs, seconds: res.seconds, checkpoints_analysed: res.tasks - res.damaged.length, runs,
      damaged: res.damaged.map((d) => ({ run_id: d.runId, epoch: d.epoch, path: d.path, error: d.message })), ...extra });
    return;
  }
  if (runs.length === 0) { say(o, `no runs in ${store.dir}`); return; }
  say(o, `analysed ${res.tasks - res.damaged.length} checkpoint(s) in ${res.seconds.toFixed(1)} s with ${res.jobs} ${extra.executor === 'slurm' ? 'Slurm task(s)' : 'job(s)'}; coarseness at K=${o.lowFreqs}${o.flatAsZero ? ', flat neurons as 0' : ''}`);
  const table = [['run', 'checkpoints', 'new', 'mean coarseness first→last', 'blobs first→last', 'flat last', 'grok epoch', 'key freqs (last)']];
  for (const r of runs) {
    const g = r.grokking as { grok_epoch?: number | null } | null;
    table.push([r.run_id, String(r.checkpoints), String(r.analysed + r.resummarised),
      `${fmt(r.first?.mean_coarseness)} → ${fmt(r.last?.mean_coarseness)}`,
      `${r.first?.blob_count ?? '-'} → ${r.last?.blob_count ?? '-'}`, String(r.last?.num_flat_neurons ?? '-'),
      String(g?.grok_epoch ?? '-'), r.key_frequencies ? r.key_frequencies.join(',') : '-']);
  }
  const w = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) say(o, row.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd());
}

/** `analyze --executor slurm`: a Slurm task per run with checkpoints to analyse; results merged here. */
async function analyzeSlurm(store: Store, runArgs: string[], o: AnalyzeOpts, options: ReturnType<typeof resolveOptions>): Promise<void> {
  const t0 = performance.now();
  // Bad run ids are refused before anything is written: a run is in the database, or in a folder a Slurm task trained.
  const inFolders = folderRuns(store.dir);
  for (const r of runArgs) {
    try { store.resolveRun(r); } catch (err) {
      if (!inFolders.some((id) => id.startsWith(r))) throw err;
    }
  }
  // One Slurm analysis per store at a time (two would submit the same runs twice).
  const lock = acquireLock(join(store.dir, '.analyze.lock'), `store ${store.dir} (a Slurm analysis)`);
  try {
    // Runs trained by Slurm tasks are in their folders: bring the database up to date first.
    collectRuns(store);
    const ids = runArgs.length ? [...new Set(runArgs.map((r) => store.resolveRun(r).run_id))] : store.listRuns().map((r) => r.run_id);
    const progress = ProgressLine.for(o);
    const counts = new Map<string, [number, number]>();
    const runner = new SlurmAnalysis(ids, options, {
      store, bin: join(packageRoot(), 'bin', 'grokbench'), cpusPerTask: o.cpusPerTask ?? 1, maxRunning: o.jobs,
      partition: o.partition, time: o.time, sbatchArgs: o.sbatchArg ?? [],
      onEvent: (line) => { progress.done(); if (!o.json) process.stderr.write(line + '\n'); },
      onProgress: (runId, n, total) => {
        counts.set(runId, [n, total]);
        const [d, t] = [...counts.values()].reduce(([x, y], [u, v]) => [x + u, y + v], [0, 0]);
        const el = (performance.now() - t0) / 1000;
        progress.update(`${bar(d, t)} ${d}/${t} checkpoints analysed by Slurm tasks  ${formatDuration(el)} elapsed`);
      },
    });
    const onSignal = (sig: NodeJS.Signals): void => { runner.interrupt(sig); };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let exits: Map<string, RunAnalysisExit>;
    try { exits = await runner.run(); } finally { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); progress.done(); }
    // The report: what is analysed now (by the tasks, and before them); the run analyzers (grokking time, outcome) here, from the metrics.
    const { reports } = planAnalysis(store, ids, options);
    const done = new Map<string, RunAnalysisReport>();
    for (const id of ids) {
      const r = reports.get(id)!;
      const computed = exits.get(id)?.checkpoints ?? 0;
      done.set(id, { ...r, alreadyDone: Math.max(0, r.alreadyDone - computed), computed, resummarised: 0 });
    }
    const failed = [...exits.values()].filter((e) => e.outcome === 'failed');
    for (const f of failed) process.stderr.write(`grokbench: analysis of run ${f.runId} failed: ${f.message}\n`);
    if (runner.interrupted) {
      process.stderr.write('grokbench: analysis interrupted; run the same command again to resume (finished checkpoints are kept)\n');
      process.exitCode = 128 + (os.constants.signals[runner.interrupted] ?? 2);
      return;
    }
    // The cross-epoch analyzers, here: of a run whose tasks failed (a damaged checkpoint, reported above) they keep the rows
    // before the checkpoint that fails them, as its tasks did.
    const failedIds = new Set(failed.map((f) => f.runId));
    analyseCrossEpoch(store, ids.filter((id) => !failedIds.has(id)), options);
    for (const id of failedIds) { try { analyseCrossEpoch(store, [id], options); } catch { /* its failure is reported already */ } }
    analyseRunMetrics(store, ids, options, done);
    const tasks = [...exits.values()].reduce((n, e) => n + e.checkpoints, 0);
    const jobs = [...exits.values()].filter((e) => e.outcome !== 'nothing-to-do').length;
    printResult(store, o, { runs: [...done.values()], tasks, jobs, seconds: (performance.now() - t0) / 1000, damaged: [] },
      { executor: 'slurm', failed: failed.map((f) => ({ run_id: f.runId, error: f.message })) });
    if (failed.length > 0) process.exitCode = 1;
  } finally { lock.release(); }
}

