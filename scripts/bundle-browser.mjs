// Bundles the browser code (src/browser, type-checked by tsconfig.browser.json) into one script per
// page: dist/browser/dashboard.js (served by grokbench serve as /app.js) and dist/browser/report.js
// (inlined in report.html). esbuild resolves the imports, including the shared math in src/math.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pages = { dashboard: 'src/browser/dashboard/main.ts', report: 'src/browser/report/main.ts' };
await Promise.all(Object.entries(pages).map(([name, entry]) => build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile: `dist/browser/${name}.js`,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
})));
