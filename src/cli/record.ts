/**
 * Run records (analysis/record.ts) on the command line:
 *   grokbench record [RUN…] --out DIR     each finished, analysed run's record as DIR/<run_id>.json.gz
 *   grokbench study --records DIR --out OUT
 *       the cross-run study rebuilt from the records alone (no store, no weights): OUT/README.md
 *       (per-variant table, class counts, each question with its answer, table and figure),
 *       OUT/outcomes.json (what `grokbench outcome --json` prints for those runs),
 *       OUT/answers.json and OUT/figures/*.png. The same records give the same bytes.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { badInput } from '../core/errors.js';
import { readRecord, readRecords, recordOfRun, recordStudySource, recordVariantRow, writeRecord, type RunRecord } from '../study/record.js';
import { studyRunFromSource, type StudyAnswers } from '../study/study.js';
import { outcomeGrokked, type OutcomeClass } from '../metrics/outcome.js';
import { computeStudyFromData } from '../study/sections.js';
import { FRAGILE_LOSS_FACTOR, FRAGILE_ONSET_EPOCHS, type FragileVariant, distributionText, fragileVariants } from '../study/fragile.js';
import { writeFileAtomic } from '../core/atomic.js';
import { type GlobalOpts, intArg, openStore, printJson, say, withCommon } from './common.js';
import { trainWithProgress } from './train.js';
import { commaList } from '../core/lists.js';

const CLASSES: OutcomeClass[] = ['healthy', 'late_grokker', 'degraded', 'degraded_rebound', 'no_second_descent'];

/** Whether a stored run is finished at its horizon (only those get a record). */
function finished(r: { status: string; epochs_done: number; epochs: number }): boolean {
  return r.status === 'done' && r.epochs_done >= r.epochs;
}

const num = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US'));
const exp = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x.toExponential(1));
const cell = (c: unknown): string => (c === null || c === undefined ? '–' : typeof c === 'number' ? (Number.isInteger(c) ? String(c) : Number(c.toPrecision(4)).toString()) : String(c)).replace(/\|/g, '\\|');

/** The README of a study rebuilt from records (deterministic: nothing from the clock or the machine it runs on). */
export function studyReadme(recs: RunRecord[], rows: ReturnType<typeof recordVariantRow>[], answers: StudyAnswers, figures: Map<string, string>, title: string, missing: string[], intro = '',
  fragile: FragileVariant[] = [], ensembleRecs: RunRecord[] = []): string {
  const L: string[] = [];
  L.push(`# ${title}`, '');
  if (intro.trim()) L.push(intro.trim(), '');
  L.push(`Rebuilt from ${recs.length} committed run records (\`records/\`) by \`grokbench study --records records --out .\`; ` +
    'no store and no weights are needed. Every number and sentence below is computed from the records; ' +
    'epochs are grokbench\'s (after e optimiser steps; MIScope labels the same test loss e − 1).', '');
  if (missing.length) L.push(`Not yet trained (no record): ${missing.join(', ')}.`, '');
  const cpus = [...new Set(recs.map((r) => `${r.trained.cpu} (${r.trained.cores} cores)`))];
  const wall = recs.reduce((s, r) => s + (Number.isFinite(r.trained.wall_s) ? r.trained.wall_s : 0), 0);
  L.push(`Trained on: ${cpus.join('; ')}. Training wall time (first to last write of each run, two runs at a time, one thread each): ` +
    `${(wall / 3600).toFixed(2)} h summed over the runs.`, '');
  const counts = new Map<string, number>();
  for (const r of rows) { const c = r.outcome?.performance_classification ?? 'none'; counts.set(c, (counts.get(c) ?? 0) + 1); }
  const grok = rows.filter((r) => r.outcome?.performance_classification && outcomeGrokked(r.outcome.performance_classification)).length;
  L.push('## Outcome classes (MIScope\'s variant summary)', '');
  L.push(`${CLASSES.map((c) => `${c} ${counts.get(c) ?? 0}`).join(', ')}: ${grok} of ${rows.length} grokked (healthy or late_grokker).`, '');
  L.push('| run | p | seed | data seed | jitter | class | onset | test ≤ 1e-6 | test < 0.01 | final test loss | committed frequencies | first mover (epoch) | transient frequencies | train s |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  rows.forEach((r, i) => {
    const o = r.outcome, d = r.dynamics as null | { final_committed_frequencies: number[]; first_mover_frequency: number | null; first_mover_epoch: number | null;
      transient_frequencies: { frequency: number; peak_count: number; peak_epoch: number }[] };
    L.push(`| ${r.run_id} | ${r.p} | ${r.seed} | ${r.data_seed} | ${r.jitter} | ${o?.performance_classification ?? '–'} | ${num(o?.second_descent_onset_epoch)} | ` +
      `${num(o?.test_loss_threshold_first_epoch)} | ${num(o?.grok_epoch)} | ${exp(o?.test_loss_final)} | ` +
      `${d ? d.final_committed_frequencies.join(', ') || 'none' : '–'} | ${d?.first_mover_frequency != null ? `${d.first_mover_frequency} (${num(d.first_mover_epoch)})` : 'none'} | ` +
      `${d ? d.transient_frequencies.map((t) => `${t.frequency} (peak ${t.peak_count} at ${t.peak_epoch})`).join('; ') || 'none' : '–'} | ${Math.round(recs[i].trained.wall_s)} |`);
  });
  L.push('');
  L.push(...fragileSection(fragile, ensembleRecs));
  L.push('## The seed\'s questions, answered from these runs', '');
  for (const s of answers.sections) {
    L.push(`### ${s.question}`, '', s.answer, '');
    const fig = figures.get(s.id);
    if (fig) L.push(`![${s.id}](figures/${fig}.png)`, '');
    if (s.table && s.table.rows.length) {
      L.push(`| ${s.table.columns.map(cell).join(' | ')} |`, `|${s.table.columns.map(() => '---').join('|')}|`);
      for (const row of s.table.rows.slice(0, 40)) L.push(`| ${row.map(cell).join(' | ')} |`);
      if (s.table.rows.length > 40) L.push('', `(${s.table.rows.length - 40} more rows in answers.json)`);
      L.push('');
    }
  }
  return L.join('\n') + '\n';
}

/** The README's section on fragile classes (study/fragile.ts) and their rounding ensembles. */
function fragileSection(fragile: FragileVariant[], ensembleRecs: RunRecord[]): string[] {
  const L = ['## Fragile classes and their rounding ensembles', ''];
  L.push(`A class is fragile when the final test loss lies within a factor of ${FRAGILE_LOSS_FACTOR} of the 1e-5 line or the onset within ` +
    `${FRAGILE_ONSET_EPOCHS} epochs of 12,000. ` + (fragile.length === 0 ? 'No run here is fragile.' :
    `${fragile.length} run(s) are: ${fragile.map((f) => `${f.run_id} (${f.class ?? 'no class'}: ${f.reasons.join('; ')})`).join(', ')}.`), '');
  if (fragile.length === 0) return L;
  const ens = fragile.filter((f) => f.members.length > 1);
  L.push(ens.length === 0 ? 'No rounding ensemble of them has been trained yet (their records would go in `ensembles/`).' :
    `Each fragile variant's rounding ensemble (the same p, seed and data seed with the initial weights moved by ±1 ulp, \`--jitter N\`, ` +
    `trained exactly as the 30; records in \`ensembles/\`, ${ensembleRecs.length} run(s)) gives its class as a distribution:`, '');
  for (const f of ens) {
    L.push(`- **${f.run_id}**: ${distributionText(f)}.`);
    L.push('', '| run | jitter | class | onset | final test loss |', '|---|---|---|---|---|');
    for (const m of f.members) L.push(`| ${m.run_id} | ${m.jitter} | ${m.class ?? '–'} | ${num(m.onset)} | ${exp(m.test_loss_final)} |`);
    L.push('');
  }
  return L;
}

/** Retrains a record's run in a fresh store and compares its final weights and outcome with the record's. */
function verifyRecord(file: string, o: { threads?: number; json?: boolean }): void {
  const rec = readRecord(resolve(file));
  const dir = mkdtempSync(join(os.tmpdir(), 'grokbench-verify-'));
  try {
    const t0 = performance.now();
    const store = openStore({ store: dir }, { create: true });
    try {
      trainWithProgress(store, rec.run.config, { store: dir, json: true, threads: o.threads });
      const again = recordOfRun(store, rec.run.run_id);
      const got = recordVariantRow({ ...again, neurons: rec.neurons, key_frequencies: rec.key_frequencies });
      const want = recordVariantRow(rec);
      const checks = {
        run_id: again.run.run_id === rec.run.run_id,
        split_sha256: again.split_sha256 === rec.split_sha256,
        final_weights_sha256: again.final_weights_sha256 === rec.final_weights_sha256,
        metrics: JSON.stringify(again.metrics) === JSON.stringify(rec.metrics),
        outcome: JSON.stringify(got.outcome) === JSON.stringify(want.outcome),
      };
      const ok = Object.values(checks).every(Boolean);
      const res = { record: resolve(file), run_id: rec.run.run_id, ok, checks, final_weights_sha256: again.final_weights_sha256,
        class: got.outcome?.performance_classification ?? null, seconds: Math.round((performance.now() - t0) / 100) / 10 };
      if (o.json) printJson(res);
      else process.stdout.write(`${rec.run.run_id}: ${ok ? 'same' : 'DIFFERENT'} (${Object.entries(checks).map(([k, v]) => `${k} ${v ? 'same' : 'differs'}`).join(', ')}; class ${res.class}; ${res.seconds} s)\n`);
      if (!ok) process.exitCode = 1;
    } finally { store.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

export function register(program: Command): void {
  program.command('verify-record')
    .argument('<record>', 'a run record file (<run_id>.json.gz)')
    .option('--threads <T>', 'engine threads', intArg('--threads', 1))
    .option('--json', 'print the result as JSON')
    .description('retrain a recorded run in a temporary store: the same split, every epoch\'s metrics, final weights (SHA-256) and outcome? Exit 1 if not')
    .action((file: string, o: { threads?: number; json?: boolean }) => verifyRecord(file, o));

  withCommon(
    program.command('record')
      .argument('[runs...]', 'run ids or unique prefixes (default: every finished, analysed run)')
      .requiredOption('--out <dir>', 'records folder (one <run_id>.json.gz per run)')
      .description('write each finished, analysed run\'s compact record (settings, split and weights hashes, metrics, study summaries; no weights)'),
  ).action((runs: string[], o: GlobalOpts & { out: string }) => {
    const store = openStore(o, { create: false });
    try {
      const named = runs.length > 0;
      const rows = named ? [...new Set(runs.map((id) => store.resolveRun(id).run_id))].map((id) => store.getRun(id)!) : store.listRuns();
      const written: string[] = [], skipped: { run_id: string; why: string }[] = [];
      for (const r of rows) {
        const why = !finished(r) ? `not finished (${r.status}, ${r.epochs_done}/${r.epochs} epochs)` : null;
        if (why) {
          if (named) throw badInput(`run ${r.run_id} is ${why}: only finished runs get a record`);
          skipped.push({ run_id: r.run_id, why }); continue;
        }
        const rec = recordOfRun(store, r.run_id);
        if (rec.neurons.epochs.length === 0) {
          if (named) throw badInput(`run ${r.run_id} has no analysed checkpoints (run grokbench analyze first)`);
          skipped.push({ run_id: r.run_id, why: 'not analysed' }); continue;
        }
        written.push(writeRecord(resolve(o.out), rec));
      }
      if (o.json) printJson({ written, skipped });
      else {
        for (const w of written) say(o, w);
        for (const s of skipped) process.stderr.write(`grokbench: skipped ${s.run_id}: ${s.why}\n`);
      }
    } finally { store.close(); }
  });

  program.command('study')
    .requiredOption('--records <dir>', 'records folder (grokbench record --out)')
    .requiredOption('--out <dir>', 'output folder: README.md, outcomes.json, answers.json, figures/')
    .option('--title <text>', 'the README\'s title', 'A study rebuilt from run records')
    .option('--intro <file>', 'markdown put under the title as it is (how the runs were made, …)')
    .option('--expect <list>', 'comma-separated run ids the study is meant to cover: those without a record are listed as not yet trained')
    .option('--ensembles <dir>', 'records of rounding-ensemble runs (other jitters of fragile variants): reported as class distributions, not counted in the study')
    .option('--json', 'print what was written as JSON')
    .description('rebuild the cross-run study (the seed\'s questions), the variant table and outcomes.json from committed run records alone')
    .action(async (o: { records: string; out: string; title: string; intro?: string; expect?: string; ensembles?: string; json?: boolean }) => {
      const recs = readRecords(resolve(o.records))
        .sort((a, b) => a.run.p - b.run.p || a.run.seed - b.run.seed || a.run.data_seed - b.run.data_seed || a.run.jitter - b.run.jitter);
      if (recs.length === 0) throw badInput(`no run records in ${o.records}`);
      const out = resolve(o.out);
      mkdirSync(join(out, 'figures'), { recursive: true });
      const rows = recs.map(recordVariantRow);
      const answers = computeStudyFromData(recs.map((r) => studyRunFromSource(recordStudySource(r))));
      const { answerFigures } = await import('../report/index.js'); // Vega loads only here
      const { renderSvg, svgToPng } = await import('../report/render.js');
      const { figures, byId } = answerFigures(answers, new Set());
      const files: string[] = [];
      for (const f of figures) {
        const path = join(out, 'figures', `${f.name}.png`);
        writeFileAtomic(path, await svgToPng(await renderSvg(f.spec, f.name)));
        files.push(path);
      }
      const have = new Set(recs.map((r) => r.run.run_id));
      const missing = commaList(o.expect).filter((x) => !have.has(x));
      const write = (name: string, text: string): void => { writeFileAtomic(join(out, name), text); files.push(join(out, name)); };
      write('outcomes.json', JSON.stringify(rows, null, 2) + '\n');
      const ensembleRecs = o.ensembles && existsSync(resolve(o.ensembles)) ? readRecords(resolve(o.ensembles)) : [];
      const fragile = fragileVariants(rows, ensembleRecs.map(recordVariantRow));
      write('fragile.json', JSON.stringify(fragile, null, 2) + '\n');
      write('answers.json', JSON.stringify(answers, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v), 2) + '\n');
      let intro = '';
      if (o.intro) {
        try { intro = readFileSync(resolve(o.intro), 'utf8'); } catch (err) { throw badInput(`--intro ${o.intro}: ${(err as Error).message.split('\n')[0]}`); }
      }
      write('README.md', studyReadme(recs, rows, answers, byId, o.title, missing, intro, fragile, ensembleRecs));
      if (o.json) printJson({ out, runs: recs.length, files });
      else process.stdout.write(`${join(out, 'README.md')}\n`);
    });
}
