import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSplit, readSplitFile, trainCount } from '../../src/data/dataset.js';
import { packageRoot } from '../../src/engine/native.js';
import { GrokbenchError } from '../../src/core/errors.js';

const FIX = join(packageRoot(), 'test', 'fixtures', 'torch');

interface SplitCase { p: number; data_seed: number; frac_train: number; n_train: number; perm: number[] }

test('makeSplit reproduces PyTorch randperm splits bit for bit (p=113 and p=101 with data seed 598, and others)', () => {
  const { cases } = JSON.parse(readFileSync(join(FIX, 'splits.json'), 'utf8')) as { cases: SplitCase[] };
  assert.ok(cases.some((c) => c.p === 113 && c.data_seed === 598));
  assert.ok(cases.some((c) => c.p === 101 && c.data_seed === 598));
  for (const c of cases) {
    const s = makeSplit(c.p, c.frac_train, c.data_seed);
    assert.equal(trainCount(c.p, c.frac_train), c.n_train);
    assert.deepEqual([...s.train], c.perm.slice(0, c.n_train), `train of p=${c.p} data seed ${c.data_seed}`);
    assert.deepEqual([...s.test], c.perm.slice(c.n_train), `test of p=${c.p} data seed ${c.data_seed}`);
  }
});

test('makeSplit rejects seeds and fractions that cannot make a split', () => {
  assert.throws(() => makeSplit(113, 0.3, -1), GrokbenchError);
  assert.throws(() => makeSplit(113, 0.3, 2 ** 32), GrokbenchError);
  assert.throws(() => makeSplit(3, 0.05, 1), /empty train or test/);
  assert.throws(() => makeSplit(3, 1, 1), /empty train or test/);
});

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'gb-split-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('readSplitFile accepts an array, {"train_indices"} and MIScope metadata.json (keeping its test order)', () => {
  withDir((dir) => {
    const p = 5;
    const arr = join(dir, 'a.json');
    writeFileSync(arr, JSON.stringify([24, 0, 7]));
    const a = readSplitFile(arr, p);
    assert.deepEqual([...a.train], [24, 0, 7]);
    assert.deepEqual([...a.test], Array.from({ length: 25 }, (_, i) => i).filter((i) => ![0, 7, 24].includes(i)));

    const obj = join(dir, 'o.json');
    writeFileSync(obj, JSON.stringify({ train_indices: [3, 1] }));
    assert.deepEqual([...readSplitFile(obj, p).train], [3, 1]);

    const test = Array.from({ length: 25 }, (_, i) => 24 - i).filter((i) => i !== 3 && i !== 1);
    const meta = join(dir, 'metadata.json');
    writeFileSync(meta, JSON.stringify({ train_losses: [1, 0.5], test_losses: [1, 0.9], train_indices: [3, 1], test_indices: test, num_epochs: 2 }));
    const m = readSplitFile(meta, p);
    assert.deepEqual([...m.train], [3, 1]);
    assert.deepEqual([...m.test], test);
  });
});

test('readSplitFile gives one-line bad-input errors for every malformed file', () => {
  withDir((dir) => {
    const p = 5;
    const cases: [string, string, RegExp][] = [
      ['notjson', '{"train_indices": [1, 2', /not valid JSON/],
      ['scalar', '42', /expected an array/],
      ['nokey', '{"train": [1]}', /no train_indices/],
      ['notarray', '{"train_indices": 3}', /not a JSON array/],
      ['empty', '[]', /empty/],
      ['range', '[0, 25]', /outside 0\.\.24/],
      ['negative', '[-1]', /outside/],
      ['fraction', '[1.5]', /not an integer/],
      ['string', '["3"]', /not an integer/],
      ['dup', '[2, 2]', /twice/],
      ['all', JSON.stringify(Array.from({ length: 25 }, (_, i) => i)), /no test set/],
      ['overlap', '{"train_indices": [1], "test_indices": [1, 2]}', /both/],
      ['cover', '{"train_indices": [1], "test_indices": [2, 3]}', /do not cover/],
    ];
    for (const [name, text, re] of cases) {
      const path = join(dir, `${name}.json`);
      writeFileSync(path, text);
      assert.throws(() => readSplitFile(path, p), (err: unknown) => {
        assert.ok(err instanceof GrokbenchError, name);
        assert.equal(err.exitCode, 2, name);
        assert.match(err.message, re, name);
        assert.ok(!err.message.includes('\n'), name);
        assert.ok(err.message.startsWith(path), name);
        return true;
      });
    }
    assert.throws(() => readSplitFile(join(dir, 'missing.json'), p), /no such split file/);
    assert.throws(() => readSplitFile(dir, p), /is a directory/);
  });
});
