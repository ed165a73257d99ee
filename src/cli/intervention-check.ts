/**
 * `grokbench intervention-check RUN [--epoch E]`: the per-frequency RMS of the attention output of a
 * frequency_gain run's checkpoint, without and with the hook (src/analysis/library/intervention-check.ts).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interventionCheck } from '../analysis/library/intervention-check.js';
import { loadKernels } from '../engine/index.js';
import { badInput } from '../core/errors.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import type { InterventionSpec } from '../model/interventions.js';
import { type GlobalOpts, intArg, openStore, printJson, withCommon } from './common.js';

export function register(program: Command): void {
  withCommon(program.command('intervention-check').argument('<run>', 'a frequency_gain intervention run (id or unique prefix)')
    .description("per-frequency RMS of the attention output with and without the run's frequency-gain hook at a checkpoint")
    .option('--epoch <E>', 'checkpoint epoch (default: the checkpoint nearest the middle of the window)', intArg('--epoch', 0)))
    .action((run: string, o: GlobalOpts & { epoch?: number }) => {
      const store = openStore(o, { create: false, readonly: true });
      try {
        const row = store.resolveRun(run);
        const dir = store.runDir(row.run_id);
        const runJson = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { intervention?: InterventionSpec };
        const spec = runJson.intervention;
        if (!spec) throw badInput(`run ${row.run_id} is not an intervention run`);
        if (spec.type !== 'frequency_gain') throw badInput(`run ${row.run_id} is a ${spec.type} intervention; the check is for frequency_gain runs`);
        const dirsPath = join(dir, 'intervention-directions.json');
        if (!existsSync(dirsPath)) throw badInput(`run ${row.run_id} has not reached its window (epoch ${spec.epoch_start + 1}) yet: no directions`);
        const dj = JSON.parse(readFileSync(dirsPath, 'utf8')) as { epoch: number; d_model: number; sin: number[]; cos: number[] };
        const dirs = { nFreq: dj.sin.length / dj.d_model, d: dj.d_model, sin: Float64Array.from(dj.sin), cos: Float64Array.from(dj.cos) };
        const cps = store.listCheckpoints(row.run_id);
        const mid = (spec.epoch_start + spec.epoch_end) / 2;
        const epoch = o.epoch ?? cps.map((c) => c.epoch).sort((a, b) => Math.abs(a - mid) - Math.abs(b - mid) || a - b)[0];
        const cp = cps.find((c) => c.epoch === epoch);
        if (!cp) throw badInput(`run ${row.run_id} has no checkpoint at epoch ${epoch}`);
        const r = interventionCheck(loadKernels(), loadCheckpoint(cp.path).params, epoch, spec, dirs);
        const out = { run_id: row.run_id, directions_epoch: dj.epoch, ...r };
        if (o.json) { printJson(out); return; }
        const lines = [`${row.run_id} epoch ${epoch}: ramp factor ${r.ramp_factor} (window ${spec.epoch_start}-${spec.epoch_end}, ramp ${spec.ramp_epochs}); directions from W_E at epoch ${dj.epoch}`,
          '    k   gain   RMS without   RMS with   ratio'];
        for (let i = 0; i < r.freq_labels.length; i++) {
          const mark = spec.target_frequencies.includes(i + 1) ? '*' : ' ';
          lines.push(`${mark}${String(i + 1).padStart(4)} ${r.effective_gain[i].toFixed(3).padStart(6)} ${r.baseline_rms[i].toPrecision(4).padStart(12)} ${r.modified_rms[i].toPrecision(4).padStart(10)} ${(r.modified_rms[i] / r.baseline_rms[i]).toFixed(3).padStart(7)}`);
        }
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        store.close();
      }
    });
}
