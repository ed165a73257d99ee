/** Checkpoint schedules: MIScope's exactly (against its Python definition), general specs, bad specs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GrokbenchError } from '../../src/core/errors.js';
import { checkpointEpochList, checkpointPredicate, parseCheckpointSchedule } from '../../src/config/schedule.js';

const pyRange = (a: number, b: number, c: number): number[] => { const r: number[] = []; for (let x = a; x < b; x += c) r.push(x); return r; };

/** MIScope's saved labels for num_epochs (variant.py train + default_checkpoint_epochs), as grokbench epochs (label + 1), plus epoch 0. */
function miscopeAsGrokbench(numEpochs: number): number[] {
  const labels = [...new Set([...pyRange(0, 1500, 100), ...pyRange(1500, 9000, 500), ...pyRange(9000, 13000, 100), ...pyRange(13000, 25000, 500)])]
    .filter((e) => e < numEpochs).sort((a, b) => a - b);
  if (!labels.includes(numEpochs - 1)) labels.push(numEpochs - 1);
  return [0, ...labels.map((l) => l + 1)];
}

test("the miscope schedule checkpoints exactly after MIScope's saving steps (its labels + 1), plus epoch 0", () => {
  const full = checkpointEpochList(25000, 100, 'miscope');
  assert.deepEqual(full, miscopeAsGrokbench(25000));
  assert.equal(full.length, 96, '95 MIScope checkpoints (94 scheduled + the final label 24999) and epoch 0');
  assert.deepEqual(full.slice(0, 4), [0, 1, 101, 201]);
  assert.deepEqual(full.slice(-3), [24001, 24501, 25000]);
  for (const E of [1, 2, 1500, 1501, 9000, 12345]) assert.deepEqual(checkpointEpochList(E, 100, 'miscope'), miscopeAsGrokbench(E), `E=${E}`);
});

test('a general schedule is the union of range(start, end, step) parts, plus epoch 0 and the last epoch', () => {
  assert.deepEqual(checkpointEpochList(40, 100, '0:10:5, 8:20:4,30:100:25'), [0, 5, 8, 12, 16, 30, 40]);
  assert.deepEqual(checkpointEpochList(30, 10, null), [0, 10, 20, 30]);
  assert.deepEqual(checkpointEpochList(25, 10, null), [0, 10, 20, 25]);
  const is = checkpointPredicate(40, 100, '0:10:5,8:20:4');
  assert.deepEqual([0, 1, 5, 8, 9, 12, 20, 40].map(is), [true, false, true, true, false, true, false, true]);
});

test('bad schedule specs are one-line bad input', () => {
  for (const spec of ['', 'mi-scope', '0:10', '0:10:0', '10:10:1', '10:5:1', '0:10:2,', 'a:b:c', '-1:10:1', '0:1e3:10']) {
    assert.throws(() => parseCheckpointSchedule(spec),
      (e: unknown) => e instanceof GrokbenchError && e.exitCode === 2 && /^--checkpoint-schedule/.test(e.message) && !e.message.includes('\n'), spec);
  }
});
