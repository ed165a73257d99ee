/**
 * The determinism contract (src/engine/kernels.ts) across kernel paths and thread counts: every
 * path this CPU supports (GROKBENCH_KERNELS=avx512|avx2|portable, each in its own process, as the
 * path is chosen once at load) gives the same bits as the TypeScript reference engine on a battery
 * of kernel calls, at 1, 2 and 3 threads; a 300-epoch p=31 run and its analysis give byte-identical
 * checkpoints, metrics and analysis artifacts on every path and at 1, 2 and 3 threads, and its
 * checkpoints are the bits recorded in test/fixtures/determinism/p31-300.json on another machine
 * (same seed, same bits, on every machine). A path the CPU lacks is reported as skipped with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../src/engine/native.js';
import { nativeForTests } from '../helpers/native.js';
import { ReferenceKernels } from '../../src/engine/reference.js';
import { digest, runBattery } from '../helpers/kernel-battery.js';

const native = nativeForTests();
const PATHS = ['avx512', 'avx2', 'portable'] as const;
const BATTERY = fileURLToPath(new URL('../helpers/kernel-battery.js', import.meta.url));
const BIN = join(packageRoot(), 'bin', 'grokbench');

/** Why this CPU (or build) cannot run `path`, or null when it can. */
function unsupported(path: string): string | null {
  if (!native.kernels) return native.reason;
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(packageRoot(), 'build', 'Release', 'grokbench_native.node'))})`],
    { encoding: 'utf8', env: { ...process.env, GROKBENCH_KERNELS: path } });
  if (r.status === 0) return null;
  const line = r.stderr.split('\n').find((l) => l.includes('GROKBENCH_KERNELS')) ?? r.stderr.trim().split('\n')[0];
  return line.replace(/^.*?(GROKBENCH_KERNELS)/, '$1');
}

const expected = (() => {
  const r = runBattery(new ReferenceKernels('f32'));
  return { digest: digest(r), losses: r.losses, correct: r.correct };
})();

for (const path of PATHS) {
  test(`${path} kernels give the TypeScript reference engine's bits at 1, 2 and 3 threads (gemm, element-wise, cross-entropy gradient, AdamW)`, (t) => {
    const why = unsupported(path);
    if (why) { t.skip(why); return; }
    for (const threads of [1, 2, 3]) {
      const r = spawnSync(process.execPath, [BATTERY, String(threads)], { encoding: 'utf8', env: { ...process.env, GROKBENCH_KERNELS: path } });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout.trim()) as { path: string; digest: string; losses: number[]; correct: number[] };
      assert.equal(got.path, path);
      assert.equal(got.digest, expected.digest, `${path} at ${threads} thread(s)`);
      assert.deepEqual(got.correct, expected.correct);
      // The loss sums: libm's log/log1p (native) and V8's (reference) may differ in the last bit.
      got.losses.forEach((l, i) => assert.ok(Math.abs(l - expected.losses[i]) <= 1e-15 * Math.abs(expected.losses[i]), `loss ${i}: ${l} vs ${expected.losses[i]}`));
    }
  });
}

/** SHA-256 of every file of the run's directory but run.json and progress.json (which name the engine and times), and those without them. */
function runFiles(store: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'run.json') {
        const j = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
        delete j.engine;
        out[relative(store, p)] = JSON.stringify(j);
      } else if (name === 'progress.json') {
        // The run's row as the database holds it: its times and engine differ by run.
        const j = JSON.parse(readFileSync(p, 'utf8')) as { run: Record<string, unknown> };
        for (const k of ['engine', 'created_at', 'updated_at']) delete j.run[k];
        out[relative(store, p)] = JSON.stringify(j);
      } else out[relative(store, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(join(store, 'runs'));
  return out;
}

function cli(args: string[], env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, GROKBENCH_ENGINE: 'native', ...env } });
  assert.equal(r.status, 0, `grokbench ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const RECORDED = JSON.parse(readFileSync(join(packageRoot(), 'test', 'fixtures', 'determinism', 'p31-300.json'), 'utf8')) as { recorded_on: string; files: Record<string, string> };

test('a 300-epoch p=31 run and its analysis are byte-identical on every path and at 1, 2 and 3 threads, and its checkpoints are the bits recorded on another machine', { skip: native.skip }, (t) => {
  const supported = PATHS.filter((p) => unsupported(p) === null);
  for (const p of PATHS) if (!supported.includes(p)) t.diagnostic(`path ${p} skipped: ${unsupported(p)}`);
  // Every supported path at 2 threads, and the first one also at 1 and 3.
  const combos: [string, number][] = [...supported.map((p) => [p, 2] as [string, number]), [supported[0], 1], [supported[0], 3]];
  let reference: { files: Record<string, string>; metrics: string; runs: string; label: string } | null = null;
  for (const [path, threads] of combos) {
    const store = mkdtempSync(join(tmpdir(), 'grokbench-paths-'));
    try {
      const env = { GROKBENCH_KERNELS: path };
      const trained = JSON.parse(cli(['train', '--p', '31', '--epochs', '300', '--threads', String(threads), '--store', store, '--json'], env)) as { run_id: string };
      cli(['analyze', '--store', store, '--jobs', '1', '--json'], env);
      const metrics = cli(['metrics', trained.run_id, '--json', '--store', store], env);
      const runs = cli(['runs', '--json', '--store', store], env);
      const got = { files: runFiles(store), metrics, runs, label: `${path}, ${threads} thread(s)` };
      assert.ok(Object.keys(got.files).some((f) => f.includes('checkpoints')) && Object.keys(got.files).some((f) => f.includes('analysis')));
      if (!reference) {
        reference = got;
        const prefix = `runs/${trained.run_id}/`;
        for (const [file, sha] of Object.entries(RECORDED.files)) {
          assert.equal(got.files[prefix + file], sha, `${file} (${got.label}) differs from the bits recorded on ${RECORDED.recorded_on}`);
        }
      }
      else {
        assert.deepEqual(got.files, reference.files, `${got.label} vs ${reference.label}: checkpoints and analysis artifacts`);
        assert.equal(got.metrics, reference.metrics, `${got.label} vs ${reference.label}: metrics`);
        assert.equal(got.runs, reference.runs, `${got.label} vs ${reference.label}: runs`);
      }
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  }
});

test('GROKBENCH_KERNELS with a value that is not a path is a one-line error with exit status 2', { skip: native.skip }, () => {
  const store = mkdtempSync(join(tmpdir(), 'grokbench-paths-'));
  const r = spawnSync(process.execPath, [BIN, 'train', '--p', '31', '--epochs', '1', '--store', store],
    { encoding: 'utf8', env: { ...process.env, GROKBENCH_KERNELS: 'sse9' } });
  rmSync(store, { recursive: true, force: true });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), "grokbench: GROKBENCH_KERNELS must be auto, avx512, avx2 or portable, got 'sse9'");
});
