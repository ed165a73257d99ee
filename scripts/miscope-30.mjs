// Rebuilds docs/miscope-30 (README.md, outcomes.json, answers.json, figures/) from its committed run
// records with the command in docs/miscope-30/study-command.json: `node scripts/miscope-30.mjs`.
// test/analysis/record.test.ts runs the same command into a temporary folder and compares the files.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'docs', 'miscope-30');
const args = JSON.parse(readFileSync(join(dir, 'study-command.json'), 'utf8')).map((a) => a.replace('{dir}', dir).replace('{out}', dir));
const r = spawnSync(process.execPath, [join(root, 'bin', 'grokbench'), ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
