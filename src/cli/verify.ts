/** `grokbench verify [RUN…]`: check every stored file against its SHA-256; list the damaged and missing ones (exit 1 if any). */
import type { Command } from 'commander';
import { verifyRun } from '../store/verify.js';
import { type GlobalOpts, openStore, printJson, withCommon } from './common.js';

export function register(program: Command): void {
  withCommon(
    program.command('verify')
      .argument('[runs...]', 'run ids or unique prefixes (default: every run in the store)')
      .description('check every checkpoint, resume state and analysis artifact against the SHA-256 recorded beside it; list damaged and missing files (exit 1 if any)'),
  ).action((runs: string[], o: GlobalOpts) => {
    const store = openStore(o, { readonly: true, create: false });
    try {
      const ids = runs.length ? [...new Set(runs.map((id) => store.resolveRun(id).run_id))] : store.listRuns().map((r) => r.run_id);
      const checks = ids.flatMap((id) => verifyRun(store, id));
      const bad = checks.filter((c) => c.state === 'damaged' || c.state === 'missing');
      const count = (s: string) => checks.filter((c) => c.state === s).length;
      if (o.json) {
        printJson({ runs: ids.length, files: checks.length, ok: count('ok'), unchecked: count('unchecked'), damaged: count('damaged'), missing: count('missing'), problems: bad });
      } else {
        for (const c of bad) {
          process.stdout.write(`${c.state.padEnd(8)} ${c.run_id} ${c.kind}${c.epoch === null ? '' : ` epoch ${c.epoch}`}${c.analyzer ? ` ${c.analyzer}` : ''}: ${c.path}\n`);
        }
        process.stdout.write(`${ids.length} run(s), ${checks.length} file(s): ${count('ok')} ok, ${count('damaged')} damaged, ${count('missing')} missing, ${count('unchecked')} without a checksum (written before checksums or by another tool)\n`);
      }
      if (bad.length > 0) process.exitCode = 1;
    } finally { store.close(); }
  });
}
