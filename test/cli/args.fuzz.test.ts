/**
 * Fuzzing the command line's argument parsing (fast-check), in process through `main`: hundreds of
 * mutated argument lists for train, runs, metrics, coarseness and import, each either a valid
 * result (exit 0) or one `grokbench: ` line with exit 2 and the store unchanged; never a crash
 * (exit 1, "internal error"), a hang or a second line. Every valid value in the pools is tiny, so
 * a valid training run takes milliseconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { main } from '../../src/cli/main.js';

const RUNS = 1500;

function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (!/-(wal|shm)$/.test(name)) out.push(`${p} ${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out;
}

/** Run the CLI in process; returns the exit status and what it wrote. */
async function run(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out = process.stdout.write, err = process.stderr.write;
  let stdout = '', stderr = '';
  process.exitCode = 0;
  process.stdout.write = ((c: string | Uint8Array) => { stdout += String(c); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { stderr += String(c); return true; }) as typeof process.stderr.write;
  try {
    await main(['node', 'grokbench', ...argv]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const status = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { status, stdout, stderr };
}

test(`${RUNS} mutated command lines: a valid result, or one line with exit 2 and the store unchanged`, { timeout: 120_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'gb-args-fuzz-'));
  const prevEngine = process.env.GROKBENCH_ENGINE;
  process.env.GROKBENCH_ENGINE = 'typescript';
  try {
    const store = join(tmp, 'store');
    const SMALL = ['--p', '5', '--d-model', '4', '--n-heads', '1', '--d-head', '4', '--d-mlp', '8', '--epochs', '2', '--threads', '1'];
    const first = await run(['train', '--store', store, ...SMALL, '--json']);
    assert.equal(first.status, 0, first.stderr);
    const runId = (JSON.parse(first.stdout) as { run_id: string }).run_id;
    const ck = join(store, 'runs', runId, 'checkpoints', 'epoch-000002.safetensors');
    const split = join(store, 'runs', runId, 'split.json');
    const garbage = join(tmp, 'garbage.safetensors');
    writeFileSync(garbage, 'not safetensors');
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'epoch,train_loss\n1,x\n');
    const paths = [ck, split, garbage, text, join(tmp, 'missing.safetensors'), tmp, ''];
    const values: Record<string, string[]> = {
      '--p': ['5', '7', '21', '2', '0', '-3', 'abc', '1e1', '5.5', '', '2003', '99991'],
      '--d-model': ['1', '4', '0', '-1', 'x', '1.5', '100000'], '--d-mlp': ['1', '8', '0', 'x', '16385'],
      '--n-heads': ['1', '2', '0', '33', '65', 'x'], '--d-head': ['1', '4', '33', '0', 'x'],
      '--epochs': ['1', '2', '3', '0', '-1', 'x', '2.5', '10000001'], '--checkpoint-every': ['1', '0', 'x', '-2'],
      '--eval-every': ['1', '2', '0', 'x'], '--frac-train': ['0.3', '0.5', '0', '1', '1.5', 'x', 'NaN'],
      '--lr': ['1e-3', '0', '-1', 'x', 'Infinity'], '--wd': ['0', '1', '-1', 'x'], '--beta1': ['0.9', '1', 'x'],
      '--seed': ['0', '1', '-1', '4294967296', 'x'], '--data-seed': ['0', '3', '-1', 'x'], '--act': ['relu', 'gelu', 'x'],
      '--threads': ['1', '2', '0', '-1', 'x', '257'], '--init-from': paths, '--split-file': paths,
      '--low-freqs': ['1', '3', '0', 'x'], '--split': paths, '--metrics': paths, '--name': ['ok-name', '../evil', '', '.x'],
      '--store': [store, join(tmp, 'other-store'), garbage, ''],
    };
    const bare = ['--json', '--train-biases', '--csv', '--flat-as-zero', '--force', '--bogus', '-x', '--', runId, 'p5', 'nope', ck, ...paths];
    const bases: Record<string, string[]> = {
      train: ['train', '--store', store, ...SMALL], runs: ['runs', '--store', store], metrics: ['metrics', runId, '--store', store],
      coarseness: ['coarseness', ck], import: ['import', ck, '--store', store],
    };
    const token = fc.oneof(
      fc.constantFrom(...Object.keys(values)).chain((flag) => fc.constantFrom(...values[flag]).map((v) => [flag, v])),
      fc.constantFrom(...bare).map((t) => [t]),
      fc.string({ maxLength: 6 }).map((t) => [t]),
    );
    const argv = fc.record({
      base: fc.constantFrom(...Object.keys(bases)),
      drop: fc.array(fc.nat(20), { maxLength: 2 }),
      extra: fc.array(token, { maxLength: 5 }),
    }).map(({ base, drop, extra }) => {
      const args = bases[base].filter((_, i) => i === 0 || !drop.includes(i));
      return [...args, ...extra.flat()];
    });
    const seen: Record<number, number> = {};
    await fc.assert(fc.asyncProperty(argv, async (args) => {
      const before = [snapshot(store), snapshot(join(tmp, 'other-store'))];
      const r = await run(args);
      seen[r.status] = (seen[r.status] ?? 0) + 1;
      if (r.status === 0) return;
      const lines = r.stderr.trimEnd().split('\n');
      const last = lines[lines.length - 1];
      assert.equal(r.status, 2, `exit ${r.status} for ${JSON.stringify(args)}: ${r.stderr}`);
      assert.match(last, /^grokbench: \S/, JSON.stringify(args));
      assert.equal(lines.filter((l) => l.startsWith('grokbench: ')).length, 1, `one error line: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, JSON.stringify(args));
      assert.deepEqual([snapshot(store), snapshot(join(tmp, 'other-store'))], before, `store unchanged by ${JSON.stringify(args)}`);
    }), { numRuns: RUNS, seed: 31 });
    t.diagnostic(`exit statuses: ${JSON.stringify(seen)}`);
    assert.ok((seen[0] ?? 0) > 10 && (seen[2] ?? 0) > 10, `both outcomes occur: ${JSON.stringify(seen)}`);
  } finally {
    if (prevEngine === undefined) delete process.env.GROKBENCH_ENGINE; else process.env.GROKBENCH_ENGINE = prevEngine;
    rmSync(tmp, { recursive: true, force: true });
  }
});
