/**
 * The layer map of docs/design.md §10 is enforced by .dependency-cruiser.cjs (run by `npm test`
 * before the tests). These tests prove the rules bite: an upward import, a cycle inside one layer
 * and a module outside every layer each fail them, and the real tree passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../src/engine/native.js';

const ROOT = packageRoot();
const CRUISER = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [CRUISER, 'src', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gb-layers-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('the source tree keeps the layer map: no upward import, no cycle, every module placed', () => {
  const r = cruise(ROOT);
  assert.equal(r.status, 0, r.out);
});

test('an import from a lower layer to a higher one fails the rules', () => {
  const dir = tree({ 'src/core/low.ts': "import { high } from '../cli/high.js';\nexport const low = high + 1;\n", 'src/cli/high.ts': 'export const high = 1;\n' });
  try {
    const r = cruise(dir);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /no-upward-from-core: src\/core\/low\.ts → src\/cli\/high\.ts/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a cycle inside one layer and a module outside every layer fail the rules', () => {
  const dir = tree({
    'src/math/a.ts': "import { b } from './b.js';\nexport const a = () => b() + 1;\n",
    'src/math/b.ts': "import { a } from './a.js';\nexport const b = () => a() - 1;\n",
    'src/helpers/loose.ts': "import { a } from '../math/a.js';\nexport const loose = a;\n",
  });
  try {
    const r = cruise(dir);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /no-circular/);
    assert.match(r.out, /no-unplaced-module: src\/helpers\/loose\.ts/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('browser code imports only core and math, and nothing imports browser code', () => {
  const dir = tree({
    'src/math/m.ts': 'export const m = 1;\n',
    'src/store/s.ts': 'export const s = 2;\n',
    'src/browser/page.ts': "import { m } from '../math/m.js';\nimport { s } from '../store/s.js';\nexport const page = m + s;\n",
    'src/server/app.ts': "import { page } from '../browser/page.js';\nexport const app = page;\n",
  });
  try {
    const r = cruise(dir);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /no-upward-from-browser: src\/browser\/page\.ts → src\/store\/s\.ts/);
    assert.match(r.out, /no-import-of-browser-code: src\/server\/app\.ts → src\/browser\/page\.ts/);
    assert.doesNotMatch(r.out, /src\/browser\/page\.ts → src\/math\/m\.ts/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
