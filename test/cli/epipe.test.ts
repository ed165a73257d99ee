/**
 * `grokbench … | head`: the reader closes the pipe early; grokbench exits quietly with status 0
 * (no EPIPE stack trace). A real pipe to a reader that takes one line and closes it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { BIN } from '../helpers/cli.js';

/** Run grokbench with stdout to a pipe whose reader closes after the first chunk; exit status and stderr. */
function closedEarly(args: string[]): Promise<{ status: number | null; stderr: string; first: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '', first = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    child.stdout.once('data', (b: Buffer) => { first = b.toString('utf8'); child.stdout.destroy(); });
    child.on('close', (status) => resolve({ status, stderr, first }));
  });
}

test('a closed stdout pipe ends grokbench quietly with status 0', async () => {
  // Help is long enough to need more than one write once the reader is gone (repeat to catch the race).
  for (let i = 0; i < 5; i++) {
    for (const args of [['sweep', '--help'], ['train', '--help'], ['--help']]) {
      const r = await closedEarly(args);
      assert.match(r.first, /Usage: grokbench/);
      assert.equal(r.stderr, '', `${args.join(' ')}: nothing on stderr`);
      assert.equal(r.status, 0, `${args.join(' ')}: exit status`);
    }
  }
});
