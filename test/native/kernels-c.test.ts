/**
 * The native kernels without Node: native/test/kernels_test.c compiled with the C compiler against
 * the kernel sources binding.gyp builds (every source but the N-API glue), with binding.gyp's own
 * flags and libraries, then run. It checks the pure kernels against straightforward float64
 * computations and the determinism contract's FMA chains, on every path the CPU supports, and that
 * the paths agree bit for bit (see its header). Also: the kernels are pure — no kernel source or
 * header uses N-API; only the glue does. Skips (with the reason) only when there is no C compiler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/engine/native.js';

const ROOT = packageRoot();
const NATIVE = join(ROOT, 'native');
const PATHS = ['portable', 'avx2', 'avx512'];

interface Target { sources: string[]; cflags?: string[]; ldflags?: string[]; libraries?: string[] }
const target = (JSON.parse(readFileSync(join(ROOT, 'binding.gyp'), 'utf8')) as { targets: Target[] }).targets[0];
const usesNapi = (file: string): boolean => /node_api\.h|\bnapi_/.test(readFileSync(join(ROOT, file), 'utf8'));
const glue = target.sources.filter(usesNapi);
const kernelSources = target.sources.filter((s) => !usesNapi(s));

const CC = process.env.CC || 'cc';
const noCompiler = (() => {
  const r = spawnSync(CC, ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? `no C compiler: \`${CC} --version\` failed (${r.error?.message ?? `exit ${r.status}`})` : false;
})();

test('the native kernels are pure C: only the N-API glue (native/addon.c) uses N-API', () => {
  assert.deepEqual(glue, ['native/addon.c']);
  const others = readdirSync(NATIVE).filter((f) => /\.(c|h|inc)$/.test(f) && f !== 'addon.c');
  assert.ok(others.length >= 8, `kernel files: ${others.join(', ')}`);
  for (const f of others) assert.equal(usesNapi(join('native', f)), false, `native/${f} uses N-API`);
});

test('native/test/kernels_test.c, built from the kernel sources with binding.gyp\'s flags, passes on every path this CPU supports', { skip: noCompiler }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-kernels-c-'));
  try {
    const exe = join(dir, 'kernels_test');
    const args = [...(target.cflags ?? []), '-o', exe, join(NATIVE, 'test', 'kernels_test.c'),
      ...kernelSources.map((s) => join(ROOT, s)), ...(target.libraries ?? []), ...(target.ldflags ?? [])];
    const cc = spawnSync(CC, args, { encoding: 'utf8', cwd: ROOT });
    assert.equal(cc.status, 0, `${CC} ${args.join(' ')}\n${cc.stderr}`);
    if (cc.stderr.trim()) t.diagnostic(`compiler output: ${cc.stderr.trim()}`);
    const run = spawnSync(exe, [], { encoding: 'utf8', timeout: 120_000 });
    const out = run.stdout ?? '';
    assert.equal(run.status, 0, `kernels_test failed (status ${run.status}, signal ${run.signal}):\n${out}\n${run.stderr}`);
    for (const line of out.trim().split('\n')) t.diagnostic(line);
    assert.match(out, /^kernels_test: all \d+ checks passed on [1-3] path\(s\)$/m);
    for (const p of PATHS) assert.match(out, new RegExp(`^(ok ${p}: \\d+ checks, digest [0-9a-f]{16}|skip ${p}: .+)$`, 'm'), `path ${p}`);
    assert.match(out, /^ok portable: /m, 'the portable path runs everywhere');
    // Every path that ran gives the same bits (kernels_test checks it too; here it is visible).
    const digests = new Set([...out.matchAll(/^ok \w+: \d+ checks, digest ([0-9a-f]{16})$/gm)].map((m) => m[1]));
    assert.equal(digests.size, 1, `per-path digests differ: ${[...digests].join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
