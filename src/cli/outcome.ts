/**
 * `grokbench outcome [RUN…]`: MIScope's variant table. Per run: the outcome of its loss curves
 * (analysis/outcome.ts: performance_classification, second-descent onset, the 1e-6 epochs, …),
 * stored in the store as the `outcome` analysis, plus the neuron frequency dynamics of its analysed
 * checkpoints (analysis/dynamics.ts: committed frequencies, first mover, transient frequencies).
 */
import type { Command } from 'commander';
import { dynamicsSummary, neuronDynamics, readDynamicsInput } from '../analysis/dynamics.js';
import { runJitter, type RunOutcome } from '../metrics/outcome.js';
import { outcomeOfRun, storeOutcome } from '../analysis/outcome.js';
import type { RunRow, Store } from '../store/store.js';
import { type GlobalOpts, openStore, printJson, withCommon } from './common.js';

/** The run's data seed and jitter (a missing jitter is 0). */
export function runIdentity(r: RunRow): { p: number; seed: number; data_seed: number; jitter: number } {
  return { p: r.p, seed: r.seed, data_seed: r.data_seed, jitter: runJitter(r) };
}

export interface VariantRow extends ReturnType<typeof runIdentity> {
  run_id: string;
  /** The run's state now (Store.runState: done, training, interrupted, failed, …), not only its stored status. */
  status: string;
  /** Why its trainer stopped, when the state is `failed`. */
  error?: string;
  epochs_done: number;
  outcome: RunOutcome | null;
  /** Null when no checkpoint of the run is analysed. */
  dynamics: Record<string, unknown> | null;
}

export function variantRow(store: Store, r: RunRow, write: boolean): VariantRow {
  const outcome = write ? storeOutcome(store, r) : outcomeOfRun(store, r);
  const input = readDynamicsInput(store, r.run_id);
  const { state, error } = store.runState(r);
  return {
    run_id: r.run_id, ...runIdentity(r), status: state, ...(error === null ? {} : { error }), epochs_done: r.epochs_done,
    outcome, dynamics: input.epochs.length ? dynamicsSummary(neuronDynamics(input)) : null,
  };
}

const show = (v: unknown): string => (v === null || v === undefined ? '-' : String(v));

/** The class column: the class, or for an unfinished run "provisional: <class so far> @<epoch>". */
export function classCell(oc: RunOutcome | null | undefined): string {
  if (!oc) return '-';
  if (oc.provisional) return `provisional (${oc.provisional.state}): ${oc.provisional.classification ?? '-'} @${oc.provisional.epoch}/${oc.provisional.epochs}`;
  return show(oc.performance_classification);
}

export function register(program: Command): void {
  withCommon(
    program.command('outcome')
      .argument('[runs...]', 'run ids or unique prefixes (default: every run in the store)')
      .description("MIScope's variant table: outcome class, second-descent onset, 1e-6 epochs, committed frequencies, first mover, transients"),
  ).action((runs: string[], o: GlobalOpts) => {
    const store = openStore(o, { create: false });
    try {
      const rows = (runs.length ? [...new Set(runs.map((id) => store.resolveRun(id).run_id))].map((id) => store.getRun(id)!) : store.listRuns())
        .map((r) => variantRow(store, r, true));
      if (o.json) { printJson(rows); return; }
      if (rows.length === 0) { process.stdout.write(`no runs in ${store.dir}\n`); return; }
      const table = [['run', 'p', 'seed', 'data', 'jit', 'class', 'onset', 'test≤1e-6', 'train≤1e-6', 'peak', 'final test', 'loss<0.01', 'eval', 'committed', 'first mover', 'transients']];
      for (const r of rows) {
        const oc = r.outcome, dy = r.dynamics as ReturnType<typeof dynamicsSummary> | null;
        const tr = dy ? (dy.transient_frequencies as { frequency: number; peak_count: number; homeless_count: number }[]) : null;
        table.push([
          r.run_id, String(r.p), String(r.seed), String(r.data_seed), String(r.jitter), classCell(oc),
          show(oc?.second_descent_onset_epoch), show(oc?.test_loss_threshold_first_epoch), show(oc?.train_loss_threshold_first_epoch),
          show(oc?.test_loss_max_epoch), oc?.test_loss_final == null ? '-' : oc.test_loss_final.toExponential(2), show(oc?.grok_epoch),
          show(oc?.test_eval_every),
          dy ? (dy.final_committed_frequencies as number[]).join(' ') || 'none' : '-',
          dy ? (dy.first_mover_frequency === null ? 'none' : `k=${dy.first_mover_frequency}@${dy.first_mover_epoch}`) : '-',
          tr ? (tr.length ? tr.map((t) => `k=${t.frequency}(${t.peak_count},${t.homeless_count} homeless)`).join(' ') : 'none') : '-',
        ]);
      }
      const w = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
      for (const row of table) process.stdout.write(row.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd() + '\n');
      process.stdout.write(
        "Classes (MIScope's variant summary): grokked = healthy | late_grokker; failed = degraded | degraded_rebound | no_second_descent.\n" +
        'Epochs: after e optimiser steps (MIScope labels the weights of a test loss e − 1; runs imported from MIScope keep its labels). ' +
        "Test-based epochs are resolved to the run's evaluation spacing (column eval). loss<0.01 is grokbench's grok_epoch.\n",
      );
    } finally { store.close(); }
  });
}
