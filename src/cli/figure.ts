/** `grokbench figure NAME [RUN…]`: one view of the catalog as SVG, PNG and CSV; `--list` names them all. */
import type { Command } from 'commander';
import { type GlobalOpts, intArg, openStore, printJson, say, withCommon } from './common.js';
import { badInput } from '../core/errors.js';
import { VIEWS } from '../views/index.js';

interface FigureOpts extends GlobalOpts { out: string; format: string; lowFreqs: number; list?: boolean }

export function register(program: Command): void {
  withCommon(
    program.command('figure')
      .argument('[name]', 'a view of the catalog (grokbench figure --list)')
      .argument('[runs...]', 'run ids or unique prefixes (default: every run of the store with the view\'s data)')
      .description('write one named view\'s figures as SVG, PNG and CSV (--list: the catalog of views)')
      .option('--out <dir>', 'output directory', './grokbench-figures')
      .option('--format <list>', 'svg, png, csv or a comma-separated list', 'svg,png,csv')
      .option('--low-freqs <K>', 'K: coarseness counts frequencies 1..K', intArg('--low-freqs', 1), 3)
      .option('--list', 'list the views: name, family, what it reads, what it shows'),
  ).action(async (name: string | undefined, runs: string[], o: FigureOpts) => {
    if (o.list) {
      const rows = VIEWS.map((v) => ({ name: v.name, family: v.family, scope: v.scope, needs: [...v.needs], title: v.title }));
      if (o.json) printJson(rows);
      else for (const r of rows) say(o, `${r.name.padEnd(26)} ${r.family.padEnd(14)} ${(r.needs.join(',') || 'metrics').padEnd(36)} ${r.title}`);
      return;
    }
    if (!name) throw badInput('name a view (grokbench figure --list shows them)');
    const formats = o.format.split(',').map((f) => f.trim()).filter(Boolean);
    const bad = formats.find((f) => f !== 'svg' && f !== 'png' && f !== 'csv');
    if (bad !== undefined || formats.length === 0) throw badInput(`--format must be svg, png, csv or a comma-separated list of them, got ${o.format}`);
    const store = openStore(o, { create: false });
    try {
      const { writeViewFigures } = await import('../report/figure.js'); // Vega loads only here
      const files = await writeViewFigures(store, name, runs, o.out, { formats: formats as ('svg' | 'png' | 'csv')[], lowFreqs: o.lowFreqs });
      if (o.json) printJson({ view: name, files });
      else for (const f of files) say(o, f);
    } finally {
      store.close();
    }
  });
}
