/**
 * The safetensors reader refuses what it cannot size: unknown dtypes, and shapes that do not match
 * their bytes; no tensor's shape can make a reader allocate more than the file's size allows, on
 * any path that reads checkpoints (the library call behind --init-from, coarseness, analyze and
 * import, and the command line itself).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrokbenchError } from '../../src/core/errors.js';
import { packageRoot } from '../../src/engine/native.js';
import { loadCheckpoint } from '../../src/model/checkpoint.js';
import type { ModelConfig } from '../../src/config/config.js';
import { Params, paramShapes } from '../../src/model/params.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { type RawTensor, assembleSafetensors, f32Bytes } from '../helpers/independent-safetensors.js';

const CFG: ModelConfig = { p: 5, dModel: 4, nHeads: 1, dHead: 4, dMlp: 8, act: 'relu' };

function goodTensors(): Record<string, RawTensor> {
  const params = Params.zeros(CFG, (n) => new Float32Array(n).fill(0.25));
  const out: Record<string, RawTensor> = {};
  for (const { name, shape } of paramShapes(CFG)) out[name] = { dtype: 'F32', shape, bytes: f32Bytes(params.t[name]) };
  return out;
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GrokbenchError, `a GrokbenchError, not ${String(err)}`);
    assert.equal(err.exitCode, 2);
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a tensor with a dtype outside the specification is refused when the file is read, even unread', () => {
  const t = { ...goodTensors(), extra: { dtype: 'F33', shape: [2], bytes: new Uint8Array(8) } };
  rejects(() => decodeSafetensors(assembleSafetensors(t), 'x.safetensors'), /x\.safetensors: tensor extra has dtype "F33", which is not a safetensors dtype/);
  const proto = { ...goodTensors(), extra: { dtype: 'constructor', shape: [2], bytes: new Uint8Array(8) } };
  rejects(() => decodeSafetensors(assembleSafetensors(proto), 'x'), /not a safetensors dtype/);
});

test('an unknown dtype with a huge shape and no bytes is a one-line bad input, not a huge allocation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-st-'));
  try {
    const t = { ...goodTensors(), 'embed.W_E': { dtype: 'Q4', shape: [2 ** 40 + 1, 2 ** 12], bytes: new Uint8Array(0) } };
    const file = join(dir, 'huge.safetensors');
    writeFileSync(file, assembleSafetensors(t));
    rejects(() => loadCheckpoint(file), /embed\.W_E has dtype "Q4"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a zero-sized weight cannot declare a huge model: the shapes that size the parameters must be non-empty', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-st-'));
  try {
    // W_E [2^40 + 2, 0] holds no bytes but would make p = 2^40 + 1 and b_U that long.
    const t = { ...goodTensors(), 'embed.W_E': { dtype: 'F32', shape: [2 ** 40 + 2, 0], bytes: new Uint8Array(0) } };
    const file = join(dir, 'empty-dim.safetensors');
    writeFileSync(file, assembleSafetensors(t));
    rejects(() => loadCheckpoint(file), /embed\.W_E has shape \[1099511627778, 0\], with an empty dimension/);
    // The same through the command line (coarseness reads one checkpoint).
    const r = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'grokbench'), 'coarseness', file], {
      encoding: 'utf8', env: { ...process.env, GROKBENCH_ENGINE: 'typescript' },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^grokbench: .*empty dimension\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a weight whose shape disagrees with the declared model is refused before any parameter is allocated', () => {
  // W_U declares [d_model, 2^31] with its bytes absent: the shape check fails, not the allocation.
  const t = { ...goodTensors(), 'unembed.W_U': { dtype: 'F32', shape: [4, 2 ** 31], bytes: new Uint8Array(0) } };
  rejects(() => decodeSafetensors(assembleSafetensors(t), 'u'), /unembed\.W_U has 0 bytes but shape \[4, 2147483648\] of F32 needs/);
});

test('integer tensors read as float64 keep every integer exactly (above 2^24 too); an I64 beyond 2^53 is refused', () => {
  const big = [16_777_217, -2_147_483_648, 2_147_483_647, 0];
  const i32 = new DataView(new ArrayBuffer(16));
  big.forEach((v, i) => i32.setInt32(4 * i, v, true));
  const exact64 = [9_007_199_254_740_991n, -9_007_199_254_740_991n, 123_456_789_012n];
  const i64 = new DataView(new ArrayBuffer(8 * exact64.length));
  exact64.forEach((v, i) => i64.setBigInt64(8 * i, v, true));
  const file = decodeSafetensors(assembleSafetensors({
    a: { dtype: 'I32', shape: [4], bytes: new Uint8Array(i32.buffer) },
    b: { dtype: 'I64', shape: [3], bytes: new Uint8Array(i64.buffer) },
  }), 'ints.safetensors');
  assert.deepEqual([...file.getFloat64('a')], big);
  assert.deepEqual([...file.getFloat64('b')], exact64.map(Number));
  assert.notEqual(Math.fround(16_777_217), 16_777_217); // what a float32 path would have lost
  const over = new DataView(new ArrayBuffer(8));
  over.setBigInt64(0, 2n ** 53n + 1n, true);
  const bad = decodeSafetensors(assembleSafetensors({ c: { dtype: 'I64', shape: [1], bytes: new Uint8Array(over.buffer) } }), 'over.safetensors');
  rejects(() => bad.getFloat64('c'), /beyond 2\^53/);
});
