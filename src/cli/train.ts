/** `grokbench train`: train (or resume) one run. */
import { type Command, Option } from 'commander';
import { loadKernels, validateThreads } from '../engine/index.js';
import { type TrainResult, readRunInputs, train } from '../train/trainer.js';
import { type GlobalOpts, intArg, openStore, printJson, say, storeDirOf, withCommon } from './common.js';
import { ProgressLine, formatDuration } from './progress.js';
import { type SettingsOpts, addSettings, settingsToConfig } from './settings.js';
import { type TrainConfig, validateConfig } from '../config/config.js';
import { SQLITE_FILE } from '../store/store.js';
import { RunFolderStore, type TrainStore } from '../store/run-folder.js';
import { existsSync } from 'node:fs';
import { failure } from '../core/errors.js';
import { join } from 'node:path';
import os from 'node:os';

export function register(program: Command): void {
  const cmd = program.command('train').description('train one run (resumes a partly done run; a finished run is left as it is)');
  addSettings(withCommon(cmd))
    .addOption(new Option('--progress-jsonl', 'machine-readable progress: one JSON line per update on stdout (used by sweep)').hideHelp())
    .addOption(new Option('--exit-with-parent <pid>', 'exit as soon as process <pid> is no longer our parent (used by sweep)').argParser(intArg('--exit-with-parent', 1)).hideHelp())
    .addOption(new Option('--folder-only', "write only the run's folder, never the database; grokbench collect merges it (used by Slurm tasks)").hideHelp())
    .action((o: SettingsOpts & GlobalOpts & { progressJsonl?: boolean; exitWithParent?: number; folderOnly?: boolean }) => {
    const config = settingsToConfig(o);
    checkBeforeStore(config, o);
    // A Slurm task on some node of a shared filesystem: SQLite is never written from there.
    const store = o.folderOnly ? new RunFolderStore(storeDirOf(o)) : openStore(o);
    try {
      const r = trainWithProgress(store, config, o);
      if (o.json) {
        printJson({ run_id: r.run_id, epochs: r.epochs, final: r.final, memorise_epoch: r.memorise_epoch, grok_epoch: r.grok_epoch, wall_s: r.wall_s });
      } else {
        say(o, describeResult(r));
        say(o, `run stored in ${store.runDir(r.run_id)}`);
      }
    } finally {
      if (!(store instanceof RunFolderStore)) store.close();
    }
  });
}

/**
 * Bad input must not change the store: every setting is validated before the store is opened,
 * and for a store that does not exist yet (nothing to resume) the split and --init-from files too.
 */
function checkBeforeStore(config: TrainConfig, o: GlobalOpts & { threads?: number }): void {
  validateConfig(config);
  validateThreads(o.threads);
  if (!existsSync(join(storeDirOf(o), SQLITE_FILE))) readRunInputs(config);
}

/** Train with a live progress line (TTY), periodic lines (no TTY), or silently (--json). */
export function trainWithProgress(store: TrainStore, config: TrainConfig, o: GlobalOpts & { threads?: number; progressJsonl?: boolean; exitWithParent?: number }): TrainResult {
  const k = loadKernels({ threads: o.threads ?? os.availableParallelism() });
  const bar = o.progressJsonl ? new ProgressLine('off') : ProgressLine.for(o);
  let lastJsonl = -Infinity;
  try {
    return train(store, k, config, {
      // A sweep's child may find the run still locked by an orphan of a killed sweep, about to exit.
      lockWaitMs: o.exitWithParent !== undefined || store instanceof RunFolderStore ? 30_000 : 0,
      onStart: ({ runId, resumedFrom, epochs }) => {
        if (!o.json) {
          process.stderr.write(resumedFrom !== null
            ? `grokbench: resuming ${runId} from epoch ${resumedFrom} of ${epochs}\n`
            : `grokbench: training ${runId} for ${epochs} epochs\n`);
        }
      },
      onProgress: (p) => {
        // A sweep's child: the parent was killed (even by SIGKILL), so stop; everything up to the last checkpoint is committed.
        // Thrown, not process.exit: unwinding releases the run's lock at once.
        if (o.exitWithParent !== undefined && process.ppid !== o.exitWithParent) throw failure(`the sweep that started this run (process ${o.exitWithParent}) has ended`);
        if (o.progressJsonl) {
          const now = performance.now();
          if (now - lastJsonl > 500 || p.epoch === p.epochs) {
            lastJsonl = now;
            process.stdout.write(JSON.stringify({ type: 'progress', run_id: p.runId, epoch: p.epoch, epochs: p.epochs, train_loss: p.trainLoss, test_loss: p.testLoss, test_acc: p.testAcc, rate: p.rate }) + '\n');
          }
          return;
        }
        const test = p.testLoss === null ? '' : ` test ${p.testLoss.toExponential(3)} acc ${(100 * (p.testAcc ?? 0)).toFixed(1)}%`;
        bar.update(`${p.runId} epoch ${p.epoch}/${p.epochs} train ${p.trainLoss.toExponential(3)}${test} ` +
          `${p.rate.toFixed(0)} ep/s ETA ${formatDuration(p.etaSeconds)}`, p.epoch === p.epochs);
      },
    });
  } finally {
    bar.done();
  }
}

export function describeResult(r: TrainResult): string {
  const f = r.final;
  const head = r.outcome === 'already-done' ? `run ${r.run_id} is already finished (${r.epochs} epochs)` : `run ${r.run_id}: ${r.epochs} epochs in ${formatDuration(r.wall_s)}`;
  const acc = f.test_acc === null ? '' : `, test acc ${(100 * f.test_acc).toFixed(2)}%`;
  return `${head}; final train loss ${f.train_loss.toExponential(3)}, test loss ${f.test_loss?.toExponential(3) ?? '-'}${acc}; ` +
    `memorised at ${r.memorise_epoch ?? 'never'}, grokked at ${r.grok_epoch ?? 'never (test loss never below 0.01)'}`;
}
