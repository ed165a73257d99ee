/**
 * Every random draw of grokbench: PyTorch's CPU generator, reproduced so that a seed means the
 * same split and the same initial weights here as in PyTorch (and so in TransformerLens and the
 * researcher's workbench, MIScope).
 *
 * - `MT19937`: the Mersenne Twister of Matsumoto and Nishimura (mt19937ar), seeded with
 *   init_genrand and a 32-bit seed, exactly as `torch.manual_seed` seeds PyTorch's CPU generator;
 *   `random()` is one 32-bit output. Like PyTorch's generator it also holds the cached second
 *   sample of the scalar normal path.
 * - `torchRandperm(n, gen)`: `torch.randperm(n)` on the CPU (PyTorch 1.13).
 * - `torchNormal_(out, mean, std, gen)`: `tensor.normal_(mean, std)` on a contiguous float32 CPU
 *   tensor. Tensors of 16 or more elements take PyTorch's vectorised AVX2 path
 *   (`normal_fill_AVX2`): 24-bit uniforms, then Box–Muller on blocks of 16 with the float32
 *   polynomial approximations of log, sin and cos of `avx_mathfun.h` (cephes constants). This
 *   module evaluates those approximations operation by operation in float32 (`Math.fround` after
 *   every operation), with a fused multiply-add (`fmaf`, one rounding) wherever the compiler of
 *   PyTorch's AVX2 kernels contracts a product feeding an addition (GCC's default
 *   -ffp-contract=fast with -mfma). That reproduces PyTorch's values bit for bit (test/data,
 *   against fixtures made with PyTorch 1.13 on this AVX2 machine; without the fused operations
 *   only ~99% of values matched). Smaller tensors take PyTorch's scalar path (double-precision
 *   Box–Muller with a cached second sample), reproduced bit for bit too.
 *
 * Which kernel PyTorch runs depends on its build and the CPU (`torch.__config__.show()`, "CPU
 * capability usage"): 1.13 picks AVX2 on any x86-64 CPU with AVX2 and FMA; newer releases may
 * dispatch AVX-512 CPUs, and ARM CPUs, to the plain float path (glibc's logf/sinf/cosf), which this
 * module does not model. Measured here (ATEN_CPU_CAPABILITY=default), that path's weights differ
 * from the AVX2 ones by at most 1.3e-7 at std 0.0707, 63% of them bit-identical.
 */

/** One float32 rounding. */
const f = Math.fround;

/** PyTorch's CPU generator: MT19937 plus the cached normal sample of the scalar normal path. */
export class MT19937 {
  private readonly mt = new Uint32Array(624);
  private mti = 624;
  /** The second Box–Muller sample of the scalar (double) normal path, if one is cached. */
  nextDoubleNormal: number | null = null;

  constructor(seed: number) {
    this.manualSeed(seed);
  }

  /** `torch.manual_seed(seed)`: init_genrand with the low 32 bits of the seed; clears the cache. */
  manualSeed(seed: number): void {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    const mt = this.mt;
    mt[0] = seed % 4294967296;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev + i mod 2^32, without losing bits to float rounding.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = 624;
    this.nextDoubleNormal = null;
  }

  /** The next 32-bit output, as an unsigned integer. */
  random(): number {
    const mt = this.mt;
    if (this.mti >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** PyTorch's `random64()`: two outputs, the first as the high word. Returned as the double
   *  uniform in [0, 1) that `uniform_real_distribution<double>` makes of it (53 low bits · 2⁻⁵³). */
  uniform53(): number {
    const hi = this.random();
    const lo = this.random();
    return ((hi & 0x1fffff) * 4294967296 + lo) / 9007199254740992;
  }

  /** `uniform_real_distribution<float>(0, 1)`: 24 low bits · 2⁻²⁴. */
  uniform24(): number {
    return (this.random() & 0xffffff) / 16777216;
  }
}

/** `torch.randperm(n, generator=gen)` on the CPU: the identity, then Fisher–Yates from the front. */
export function torchRandperm(n: number, gen: MT19937): Int32Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`randperm: bad n ${n}`);
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = gen.random() % (n - i);
    const sav = r[i];
    r[i] = r[i + z];
    r[i + z] = sav;
  }
  return r;
}

// ---- float32 log, sin and cos of avx_mathfun.h (cephes polynomials) ---------------------------

const LOG_P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f);
const LOG_Q1 = f(-2.12194440e-4);
const LOG_Q2 = f(0.693359375);
const SQRTHF = f(0.707106781186547524);
const MIN_NORM_POS = 1.1754943508222875e-38;
const FOPI = f(1.27323954473516);
const DP1 = f(-0.78515625);
const DP2 = f(-2.4187564849853515625e-4);
const DP3 = f(-3.77489497744594108e-8);
const SINCOF = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const COSCOF = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
const TWO_PI_F = f(2 * Math.PI);

const scratch = new DataView(new ArrayBuffer(4));

/** avx_mathfun's `log256_ps` for one lane, as PyTorch's AVX2 build evaluates it: float32 natural log, NaN for x ≤ 0. */
export function logf32(xIn: number): number {
  if (!(xIn > 0)) return NaN;
  let x = Math.max(f(xIn), MIN_NORM_POS);
  scratch.setFloat32(0, x, true);
  const bits = scratch.getUint32(0, true);
  // Mantissa with the exponent of 0.5: x in [0.5, 1); e = exponent + 1.
  scratch.setUint32(0, (bits & ~0x7f800000) | 0x3f000000, true);
  x = scratch.getFloat32(0, true);
  let e = f((bits >>> 23) - 127 + 1);
  const small = x < SQRTHF;
  const tmp0 = small ? x : 0;
  x = f(x - 1);
  if (small) e = f(e - 1);
  x = f(x + tmp0);
  const z = f(x * x);
  let y = LOG_P[0];
  for (let k = 1; k < 9; k++) y = fmaf(y, x, LOG_P[k]);
  y = f(y * x);
  y = fmaf(y, z, f(e * LOG_Q1));
  y = f(y - f(z * 0.5));
  x = fmaf(e, LOG_Q2, f(x + y));
  return x;
}

/** avx_mathfun's `sincos256_ps` for one lane: float32 [sin x, cos x] (accurate for |x| < 8192). */
export function sincosf32(xIn: number, out: Float64Array): void {
  let x = f(xIn);
  const negative = x < 0 || Object.is(x, -0);
  x = Math.abs(x);
  let j = Math.trunc(f(x * FOPI)) | 0; // cvttps: truncation toward zero
  j = (j + 1) & ~1;
  const y0 = j; // exact as a float for the arguments used here
  const sinSwap = (j & 4) !== 0;
  const polyFirst = (j & 2) === 0; // sine from the sine polynomial (else from the cosine one)
  const cosSwap = ((~(j - 2)) & 4) !== 0;
  x = fmaf(y0, DP1, x);
  x = fmaf(y0, DP2, x);
  x = fmaf(y0, DP3, x);
  const z = f(x * x);
  // Cosine polynomial.
  let yc = COSCOF[0];
  yc = fmaf(yc, z, COSCOF[1]);
  yc = fmaf(yc, z, COSCOF[2]);
  yc = f(yc * z);
  yc = fmaf(yc, z, -f(z * 0.5));
  yc = f(yc + 1);
  // Sine polynomial.
  let ys = SINCOF[0];
  ys = fmaf(ys, z, SINCOF[1]);
  ys = fmaf(ys, z, SINCOF[2]);
  ys = f(ys * z);
  ys = fmaf(ys, x, x);
  let s = polyFirst ? ys : yc;
  let c = polyFirst ? yc : ys;
  if (sinSwap !== negative) s = -s;
  if (cosSwap) c = -c;
  out[0] = s;
  out[1] = c;
}

const sc = new Float64Array(2);

/** PyTorch's `normal_fill_16_AVX2` on data[o..o+16): uniforms in, normals out (float32). */
function normalFill16(data: Float32Array, o: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f(1 - data[o + j]);
    const u2 = data[o + j + 8];
    const radius = f(Math.sqrt(f(-2 * logf32(u1))));
    const theta = f(TWO_PI_F * u2);
    sincosf32(theta, sc);
    const n1 = f(radius * sc[1]);
    const n2 = f(radius * sc[0]);
    data[o + j] = fmaf(n1, std, mean);
    data[o + j + 8] = fmaf(n2, std, mean);
  }
}

/**
 * `out.normal_(mean, std)` as PyTorch 1.13 does it on a contiguous float32 CPU tensor with the
 * AVX2 kernels (16 or more elements), or with its scalar path (fewer than 16). Draws from `gen`.
 */
export function torchNormal_(out: Float32Array, mean: number, std: number, gen: MT19937): Float32Array {
  const n = out.length;
  if (n >= 16) {
    const meanF = f(mean), stdF = f(std);
    for (let i = 0; i < n; i++) out[i] = gen.uniform24();
    for (let i = 0; i + 16 <= n; i += 16) normalFill16(out, i, meanF, stdF);
    if (n % 16 !== 0) {
      // PyTorch redraws the last 16 values and transforms them again.
      const o = n - 16;
      for (let i = 0; i < 16; i++) out[o + i] = gen.uniform24();
      normalFill16(out, o, meanF, stdF);
    }
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = scalarNormal(gen) * std + mean;
  return out;
}

/** `at::normal_distribution<double>` with mean 0 and std 1: Box–Muller with a cached sample. */
function scalarNormal(gen: MT19937): number {
  if (gen.nextDoubleNormal !== null) {
    const v = gen.nextDoubleNormal;
    gen.nextDoubleNormal = null;
    return v;
  }
  const u1 = gen.uniform53();
  const u2 = gen.uniform53();
  const r = Math.sqrt(-2 * Math.log1p(-u2));
  const theta = 2 * Math.PI * u1;
  gen.nextDoubleNormal = r * Math.sin(theta);
  return r * Math.cos(theta);
}

/** Next float32 after `x` toward `dir` (+1 or −1), for the exact fused multiply-add below. */
function nextFloat(x: number, dir: number): number {
  if (x === 0) return dir > 0 ? 1.401298464324817e-45 : -1.401298464324817e-45;
  scratch.setFloat32(0, x, true);
  const b = scratch.getUint32(0, true);
  scratch.setUint32(0, (x > 0) === (dir > 0) ? b + 1 : b - 1, true);
  return scratch.getFloat32(0, true);
}

/** float32 fused multiply-add round(a·b + c) with a single rounding (a, b, c float32). */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b; // exact: two 24-bit significands fit in 53 bits
  const s = p + c;
  const r = f(s);
  if (r === s || !Number.isFinite(s)) return r;
  // s is rounded once already; its error only matters when s sits exactly halfway between floats.
  const bb = s - p;
  const err = (p - (s - bb)) + (c - bb);
  if (err === 0) return r;
  const other = nextFloat(r, s > r ? 1 : -1);
  if (s - r !== other - s) return r;
  return err > 0 === other > r ? other : r;
}

/**
 * Rounding jitter (`--jitter J`): moves every value of `tensors` (in order, one generator across
 * them) to its float32 neighbour below, itself, or its neighbour above, each with probability
 * 1/3, drawn from MT19937 seeded with J: two bits per value from each 32-bit output (16 values per
 * output), the value 3 rejected. J = 0 leaves everything unchanged. Zeros and non-finite values
 * are left as they are (a zero bias stays zero). The size of the change is what rounding on
 * another machine introduces, so a run can be repeated under that noise.
 */
export function ulpJitter(tensors: readonly Float32Array[], jitter: number): void {
  if (jitter === 0) return;
  const gen = new MT19937(jitter);
  let word = 0, left = 0;
  const draw = (): number => {
    for (;;) {
      if (left === 0) { word = gen.random(); left = 16; }
      const v = word & 3;
      word >>>= 2;
      left--;
      if (v !== 3) return v - 1;
    }
  };
  for (const t of tensors) {
    for (let i = 0; i < t.length; i++) {
      const d = draw();
      const x = t[i];
      if (d !== 0 && x !== 0 && Number.isFinite(x)) t[i] = nextFloat(x, d);
    }
  }
}
