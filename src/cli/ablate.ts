/**
 * `grokbench ablate RUN --epoch E --neurons SEL`: the test loss and accuracy of a checkpoint with
 * chosen MLP neurons ablated, and the ablation curves (src/analysis/library/ablation.ts).
 */
import { type Command, Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AblationCurves, type AblationMeasure, type AblationMode, AblationProbe, ablationCurves, parseNeuronSelector, selectNeurons,
} from '../analysis/library/ablation.js';
import { parseSplitJson } from '../data/dataset.js';
import { loadKernels } from '../engine/index.js';
import type { Kernels } from '../engine/kernels.js';
import { badInput } from '../core/errors.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { makeBatch } from '../model/model.js';
import type { Store } from '../store/store.js';
import { type GlobalOpts, intArg, openStore, printJson, withCommon } from './common.js';

interface AblateOpts extends GlobalOpts {
  epoch?: number; neurons: string; by: AblationMeasure; mode: AblationMode; lowFreqs: number; curve: boolean; seed: number;
}

export interface AblationReport {
  run_id: string;
  epoch: number;
  p: number;
  d_mlp: number;
  by: AblationMeasure;
  mode: AblationMode;
  low_freqs: number;
  /** The pairs evaluated: the run's test split, or all p² pairs when the run has no split. */
  evaluated_on: 'test' | 'all_pairs';
  selector: string;
  neurons: number[];
  unablated: { test_loss: number; test_acc: number };
  ablated: { test_loss: number; test_acc: number };
  chance_acc: number;
  curves: AblationCurves | null;
}

/** The ablation report of one run's checkpoint (the last checkpoint when `epoch` is undefined). */
export function ablateRun(store: Store, k: Kernels, run: string, o: Omit<AblateOpts, 'store' | 'json'>): AblationReport {
  const row = store.resolveRun(run);
  const cps = store.listCheckpoints(row.run_id);
  if (cps.length === 0) throw badInput(`run ${row.run_id} has no checkpoints`);
  const epoch = o.epoch ?? cps[cps.length - 1].epoch;
  const cp = cps.find((c) => c.epoch === epoch);
  if (!cp) {
    const near = cps.map((c) => c.epoch).sort((a, b) => Math.abs(a - epoch) - Math.abs(b - epoch)).slice(0, 3).sort((a, b) => a - b);
    throw badInput(`run ${row.run_id} has no checkpoint at epoch ${epoch} (nearest: ${near.join(', ')})`);
  }
  const ck = loadCheckpoint(cp.path);
  const { p, dMlp: m } = ck.config;
  const sel = parseNeuronSelector(o.neurons, m);
  const splitPath = join(store.runDir(row.run_id), 'split.json');
  const test = existsSync(splitPath) ? parseSplitJson(readFileSync(splitPath, 'utf8'), p, splitPath).test : null;
  const idx = test ? Int32Array.from(test).sort() : Int32Array.from({ length: p * p }, (_, i) => i);
  const probe = new AblationProbe(k, ck.params, makeBatch(p, idx), o.lowFreqs);
  const neurons = selectNeurons(sel, probe.measure(o.by));
  const base = probe.evaluate([], o.mode);
  const abl = probe.evaluate(neurons, o.mode);
  return {
    run_id: row.run_id, epoch, p, d_mlp: m, by: o.by, mode: o.mode, low_freqs: o.lowFreqs,
    evaluated_on: test ? 'test' : 'all_pairs', selector: o.neurons, neurons: Array.from(neurons),
    unablated: { test_loss: base.loss, test_acc: base.acc }, ablated: { test_loss: abl.loss, test_acc: abl.acc },
    chance_acc: 1 / p, curves: o.curve ? ablationCurves(probe, o.by, o.mode, o.seed) : null,
  };
}

const g4 = (v: number): string => v.toPrecision(4);

export function register(program: Command): void {
  withCommon(program.command('ablate').argument('<run>', 'run id (or a unique prefix)')
    .description('test loss and accuracy with chosen MLP neurons ablated, and the ablation curves (most specialised first, least first, random)')
    .option('--epoch <E>', 'checkpoint epoch (default: the last)', intArg('--epoch', 0))
    .requiredOption('--neurons <sel>', 'blob, plaid, top:N, bottom:N, or neuron indices (e.g. 3,17,40-43)')
    .addOption(new Option('--by <measure>', 'what blob/plaid/top/bottom and the curves rank by').choices(['coarseness', 'specialization']).default('coarseness'))
    .addOption(new Option('--mode <mode>', 'replace a neuron by 0, or by its mean over all p² pairs').choices(['zero', 'mean']).default('zero'))
    .option('--low-freqs <K>', 'K of coarseness', intArg('--low-freqs', 1), 3)
    .option('--seed <S>', 'seed of the random-order curve', intArg('--seed', 0), 0)
    .option('--no-curve', 'skip the ablation curves'))
    .action((run: string, o: AblateOpts) => {
      const store = openStore(o, { create: false, readonly: true });
      try {
        const r = ablateRun(store, loadKernels(), run, o);
        if (o.json) { printJson(r); return; }
        const out = [
          `${r.run_id} epoch ${r.epoch}: ${r.mode}-ablating ${r.neurons.length} of ${r.d_mlp} neurons (${r.selector}, by ${r.by}${r.by === 'coarseness' ? `, K=${r.low_freqs}` : ''}), on the ${r.evaluated_on === 'test' ? 'test split' : 'all pairs'}`,
          `  unablated  test loss ${g4(r.unablated.test_loss)}  acc ${(100 * r.unablated.test_acc).toFixed(2)}%`,
          `  ablated    test loss ${g4(r.ablated.test_loss)}  acc ${(100 * r.ablated.test_acc).toFixed(2)}%   (chance ${(100 * r.chance_acc).toFixed(2)}%)`,
        ];
        if (r.curves) {
          out.push('', `ablation curve (test loss / acc %) by ${r.by}:`, '  ablated   most specialised first   least specialised first   random (seed ' + r.curves.random_seed + ')');
          r.curves.most_first.forEach((pt, i) => {
            const cell = (c: { loss: number; acc: number }) => `${g4(c.loss).padStart(10)} ${(100 * c.acc).toFixed(1).padStart(6)}`;
            out.push(`  ${String(pt.ablated).padStart(7)}   ${cell(pt)}        ${cell(r.curves!.least_first[i])}          ${cell(r.curves!.random[i])}`);
          });
        }
        process.stdout.write(out.join('\n') + '\n');
      } finally {
        store.close();
      }
    });
}
