import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type RunProgress, counts, estimateEtaSeconds, headline, statusBlock, statusLine } from '../../src/sweep/progress.js';

function run(runId: string, p: number, state: RunProgress['state'], epoch: number, epochs: number, rate = 0, testAcc: number | null = null): RunProgress {
  return { runId, p, seed: 1, state, epoch, epochs, rate, testAcc };
}

test('ETA of running runs alone is the slowest remaining time at each run\'s own rate', () => {
  const runs = [run('a', 11, 'running', 100, 1100, 10), run('b', 11, 'running', 0, 400, 20), run('c', 11, 'done', 50, 50)];
  assert.equal(estimateEtaSeconds(runs, 2), 100);
});

test('ETA puts queued runs on the job slot that frees first, at the mean speed scaled by p²', () => {
  // Slots free after 10 s (a) and 40 s (b). Speed per job: mean of 100·11² and 100·11² pair-epochs/s.
  const runs = [
    run('a', 11, 'running', 0, 1000, 100), run('b', 11, 'running', 0, 4000, 100),
    run('q1', 22, 'queued', 0, 1000), // 1000 epochs × 4 (p² ratio) / 100 = 40 s → slot a ends at 50 s
    run('q2', 11, 'queued', 500, 1000), // 5 s → slot b (40 s) is now first free → 45 s
  ];
  assert.equal(estimateEtaSeconds(runs, 2), 50);
  // A third, idle slot takes q1 at once (40 s); q2 follows a (10 + 5 s): b's 40 s is the end.
  assert.equal(estimateEtaSeconds(runs, 3), 40);
});

test('ETA is unknown before any running run has a rate, and zero when nothing is left', () => {
  assert.ok(Number.isNaN(estimateEtaSeconds([run('a', 11, 'running', 0, 100), run('b', 11, 'queued', 0, 100)], 2)));
  assert.equal(estimateEtaSeconds([run('a', 11, 'done', 100, 100), run('b', 11, 'failed', 3, 100)], 2), 0);
});

test('the display counts finished, failed, running and queued runs and shows each running run', () => {
  const runs = [
    run('p11-s1', 11, 'done', 100, 100), run('p11-s2', 11, 'skipped', 100, 100), run('p13-s1', 13, 'failed', 20, 100),
    run('p13-s2', 13, 'running', 40, 100, 20, 0.456), run('p17-s1', 17, 'queued', 0, 100),
  ];
  const c = counts(runs);
  assert.deepEqual(c, { total: 5, finished: 2, failed: 1, running: 1, queued: 1, epochsDone: 260, epochsTotal: 500 });
  assert.match(headline(runs, 2), /^sweep: runs 2\/5 done \(1 failed\), 1 training, 1 queued · epochs 260\/500 · ETA \d+s$/);
  const block = statusBlock(runs, 2);
  assert.equal(block.length, 2);
  assert.match(block[1], /^ {2}p13-s2 {2}epoch {2}40\/100 {2}test acc {2}45\.6% {2}20\.0 ep\/s$/);
  assert.equal(statusLine(runs, 2), `${block[0]} | ${block[1].trim()}`);
});
