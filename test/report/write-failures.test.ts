/**
 * A report that cannot be written is a failure of the system (exit 1) with the OS error, not bad
 * input; report.html is replaced atomically, so a failed write leaves the previous one whole.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../../src/report/index.js';
import type { Store } from '../../src/store/store.js';
import { buildFixtureStore } from './fixture.js';
import { grokbenchError } from '../helpers/errors.js';

let store: Store, storeDir: string, runIds: string[], tmp: string;

before(async () => {
  ({ store, dir: storeDir, runIds } = await buildFixtureStore([{ p: 11, seed: 1, grokAt: 40, epochs: 60, checkpointEvery: 20, keys: [2] }]));
  tmp = mkdtempSync(join(tmpdir(), 'gb-report-fail-'));
});

after(() => {
  store?.close();
  rmSync(storeDir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

test('a full disk while writing a figure\'s data is exit 1 with the OS error', async () => {
  const out = join(tmp, 'full');
  mkdirSync(join(out, 'data'), { recursive: true });
  symlinkSync('/dev/full', join(out, 'data', 'training-curves.csv')); // writes there fail with ENOSPC
  await assert.rejects(writeReport(store, runIds, out), grokbenchError(1, /cannot write .*training-curves\.csv: no space left on device.*\(ENOSPC\)/));
});

test('report.html that cannot be replaced is exit 1 with the OS error, and no temp file is left', async () => {
  const out = join(tmp, 'html');
  mkdirSync(join(out, 'report.html', 'inside'), { recursive: true }); // a directory in its place: rename fails
  await assert.rejects(writeReport(store, runIds, out), grokbenchError(1, /cannot write .*report\.html: .*\((EISDIR|ENOTEMPTY|EEXIST)\)/));
  assert.deepEqual(readdirSync(out).filter((n) => n.endsWith('.tmp')), []);
});

test('--out naming a file is bad input (exit 2), and the file is left as it was', async () => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'keep me');
  await assert.rejects(writeReport(store, runIds, file), grokbenchError(2, /--out .*a-file is a file, not a directory/));
  assert.equal(readFileSync(file, 'utf8'), 'keep me');
});
