/** `grokbench artifact RUN NAME [--epoch E] [--json]`: one stored analysis result (analysis/artifact.ts). */
import type { Command } from 'commander';
import { readStoredArtifact } from '../analysis/artifact.js';
import { type GlobalOpts, intArg, openStore, printJson, withCommon } from './common.js';

interface ArtifactOpts extends GlobalOpts { epoch?: number }

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toPrecision(5));

export function register(program: Command): void {
  withCommon(program.command('artifact').argument('<run>', 'run id or unique prefix').argument('<name>', 'analyzer name, e.g. neuron_fourier, curvature, outcome')
    .description("print a stored analysis result: the analyzer's summary and its artifact's tensors (default: the last analysed epoch)")
    .option('--epoch <E>', 'the checkpoint epoch', intArg('--epoch', 0)))
    .action((runArg: string, name: string, o: ArtifactOpts) => {
      const store = openStore(o, { create: false, readonly: true });
      try {
        const r = readStoredArtifact(store, store.resolveRun(runArg).run_id, name, o.epoch);
        if (o.json) { printJson(r); return; }
        const lines = [`${r.run_id} ${r.analyzer} epoch ${r.epoch}${r.path ? `  ${r.path}` : ''}`, `params  ${JSON.stringify(r.params)}`, `summary ${JSON.stringify(r.summary)}`];
        for (const [t, v] of Object.entries(r.tensors ?? {})) {
          let lo = Infinity, hi = -Infinity, s = 0;
          for (const x of v.data) { lo = Math.min(lo, x); hi = Math.max(hi, x); s += x; }
          const head = v.data.slice(0, 8).map(fmt).join(' ') + (v.data.length > 8 ? ' …' : '');
          lines.push(`${t} ${v.dtype} [${v.shape.join(', ')}]: ${head}` + (v.data.length ? `  (min ${fmt(lo)}, max ${fmt(hi)}, mean ${fmt(s / v.data.length)})` : ''));
        }
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        store.close();
      }
    });
}
