// Runs every compiled test file under dist/test with Node's test runner.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const only = process.argv.slice(2);
const files = walk('dist/test').filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
