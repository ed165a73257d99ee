import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MT19937, fmaf, logf32, sincosf32, torchNormal_, torchRandperm } from '../../src/core/rng.js';
import { packageRoot } from '../../src/engine/native.js';

const FIX = join(packageRoot(), 'test', 'fixtures', 'torch');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIX, name), 'utf8')) as T;

test('MT19937 seeded with 5489 gives the reference outputs of mt19937ar and C++ std::mt19937', () => {
  const g = new MT19937(5489);
  const first = [g.random(), g.random(), g.random(), g.random(), g.random()];
  assert.deepEqual(first, [3499211612, 581869302, 3890346734, 3586334585, 545404204]);
  // The C++ standard requires the 10000th output of a default-constructed mt19937 to be 4123659995.
  for (let i = 6; i < 10000; i++) g.random();
  assert.equal(g.random(), 4123659995);
});

test('MT19937 outputs match PyTorch after torch.manual_seed(999), across the 624-word refill', () => {
  const fx = fixture<{ seed: number; modulus: number; values: number[] }>('mt19937.json');
  const g = new MT19937(fx.seed);
  assert.ok(fx.values.length > 1248);
  fx.values.forEach((v, i) => assert.equal(g.random() % fx.modulus, v, `output ${i}`));
});

test('manualSeed restarts the sequence and clears the cached normal sample', () => {
  const g = new MT19937(42);
  const a = [g.random(), g.random()];
  torchNormal_(new Float32Array(3), 0, 1, g); // leaves a cached sample
  assert.notEqual(g.nextDoubleNormal, null);
  g.manualSeed(42);
  assert.equal(g.nextDoubleNormal, null);
  assert.deepEqual([g.random(), g.random()], a);
  assert.throws(() => new MT19937(-1));
  assert.throws(() => new MT19937(1.5));
});

test('torchRandperm is a permutation and differs between seeds', () => {
  const a = torchRandperm(1000, new MT19937(1));
  const b = torchRandperm(1000, new MT19937(2));
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.notDeepEqual(a, b);
  assert.deepEqual(torchRandperm(0, new MT19937(1)), new Int32Array(0));
  assert.deepEqual(torchRandperm(1, new MT19937(1)), Int32Array.of(0));
});

interface NormalFixture { seed: number; calls: { size: number; mean: number; std: number; values: number[] }[] }

test('normal_ reproduces PyTorch bit for bit for sizes below 16, 16, not multiples of 16, and in sequence', (t) => {
  const fx = fixture<NormalFixture>('normal.json');
  const g = new MT19937(fx.seed);
  let same = 0, total = 0, maxDiff = 0;
  for (const call of fx.calls) {
    const got = torchNormal_(new Float32Array(call.size), call.mean, call.std, g);
    for (let i = 0; i < call.size; i++) {
      total++;
      if (Object.is(got[i], call.values[i])) same++;
      maxDiff = Math.max(maxDiff, Math.abs(got[i] - call.values[i]));
    }
  }
  t.diagnostic(`${same}/${total} values bit-identical, max |diff| ${maxDiff}`);
  assert.ok(fx.calls.some((c) => c.size < 16) && fx.calls.some((c) => c.size > 16 && c.size % 16 !== 0));
  assert.equal(same, total);
});

/** |got − want| in units of float32 spacing at want. */
function ulps(got: number, want: number): number {
  const ulp = want === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
  return Math.abs(got - want) / ulp;
}

test('the float32 log, sin and cos approximations stay within a few float32 ulps of the true functions', () => {
  const out = new Float64Array(2);
  let worstLog = 0, worstTrig = 0;
  for (let k = 1; k <= 20000; k++) {
    const u = Math.fround(k / 20000);
    if (u !== 1) worstLog = Math.max(worstLog, ulps(logf32(u), Math.log(u)));
    const x = Math.fround((2 * Math.PI * k) / 20000);
    sincosf32(x, out);
    // sin and cos near their zeros are judged absolutely (at the scale of the argument, 2π·2⁻²⁴).
    const trigErr = Math.max(Math.abs(out[0] - Math.sin(x)), Math.abs(out[1] - Math.cos(x)));
    worstTrig = Math.max(worstTrig, trigErr / 2 ** -24);
  }
  assert.equal(logf32(1), 0);
  assert.ok(worstLog < 2, `log error ${worstLog} ulp`);
  assert.ok(worstTrig < 2, `sin/cos error ${worstTrig} × 2^-24`);
  assert.ok(Number.isNaN(logf32(0)) && Number.isNaN(logf32(-1)));
  sincosf32(-1, out);
  assert.ok(Math.abs(out[0] + Math.sin(1)) < 1e-7 && Math.abs(out[1] - Math.cos(1)) < 1e-7);
});

/** Exact float32 rounding of a·b + c, by integer arithmetic (the test's own oracle). */
function exactFmaf(a: number, b: number, c: number): number {
  const SCALE = 149; // every float32 is an integer multiple of 2^-149
  const big = (x: number): bigint => {
    // x·2^149 is an integer; split it as mantissa·2^exp to convert exactly.
    if (x === 0) return 0n;
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, x);
    const bits = dv.getUint32(0);
    const sign = bits >>> 31 ? -1n : 1n;
    const e = (bits >>> 23) & 0xff;
    const m = BigInt(e === 0 ? (bits & 0x7fffff) : (bits & 0x7fffff) | 0x800000);
    const shift = BigInt(e === 0 ? 0 : e - 1);
    return sign * (m << shift);
  };
  const exact = big(a) * big(b) + (big(c) << BigInt(SCALE)); // in units of 2^-298
  const approx = Math.fround(Number(exact) * 2 ** -298);
  const cands = [approx, ...[-1, 1].map((d) => {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, approx);
    dv.setUint32(0, dv.getUint32(0) + (approx >= 0 ? d : -d));
    return dv.getFloat32(0);
  })];
  let best = cands[0], bestErr = -1n;
  for (const cand of cands) {
    let err = (big(cand) << BigInt(SCALE)) - exact;
    if (err < 0n) err = -err;
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, cand);
    const even = (dv.getUint32(0) & 1) === 0;
    if (bestErr < 0n || err < bestErr || (err === bestErr && even)) { best = cand; bestErr = err; }
  }
  return best;
}

test('fmaf rounds a·b + c once, including sums that land exactly halfway between two floats', () => {
  const f = Math.fround;
  // Crafted: the double sum is a float32 tie, and the lost tail decides the direction.
  const cases: [number, number, number][] = [
    [f(8 * (1 + 2 ** -23)), f(8 * (1 - 2 ** -23)), f(2 ** 30 + 2 ** 7)],
    [f(-8 * (1 + 2 ** -23)), f(8 * (1 - 2 ** -23)), f(2 ** 30 + 3 * 2 ** 7)],
  ];
  for (const [a, b, c] of cases) {
    assert.equal(fmaf(a, b, c), exactFmaf(a, b, c));
    assert.notEqual(fmaf(a, b, c), f(a * b + c), 'the crafted case must defeat plain double rounding');
  }
  // Pseudo-random operands over several magnitudes (a simple LCG, independent of MT19937).
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 20000; i++) {
    const a = f((rnd() - 0.5) * 2 ** Math.floor(rnd() * 20 - 10));
    const b = f((rnd() - 0.5) * 2 ** Math.floor(rnd() * 20 - 10));
    const c = f((rnd() - 0.5) * 2 ** Math.floor(rnd() * 40 - 20));
    assert.equal(fmaf(a, b, c), exactFmaf(a, b, c), `fmaf(${a}, ${b}, ${c})`);
  }
});
