/**
 * The TypeScript reference engine: plain loops implementing the kernel interface. It is the
 * oracle in tests (also in float64, for gradient checks) and the fallback when the native addon
 * is missing.
 */
import { FLT32_MIN_NORMAL, type GemmCall, type Kernels, MAX_THREADS, type Precision, type Vec } from './kernels.js';

/** The powers 2^-n for n = 0..1022 (exact). */
const POW2_NEG = (() => {
  const t = new Float64Array(1023);
  t[0] = 1;
  for (let n = 1; n < 1023; n++) t[n] = t[n - 1] / 2;
  return t;
})();
const EXP64_SHIFT = 6755399441055744; // 1.5·2^52
const LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;

/**
 * exp(x) for x <= 0 in float64, the native engine's algorithm operation for operation (see
 * native/paths.c exp64): x = n·ln2 + r, n = round(x·log2 e) by the 1.5·2^52 trick, r by
 * Cody–Waite, e^r by its degree-13 Taylor polynomial (Horner), times 2^n. Below -708 it gives 0.
 * About 1e-16 relative error; the same bits as the native engine in every path.
 */
export function exp64(x: number): number {
  if (x < -708) return 0;
  const t = x * 1.4426950408889634 + EXP64_SHIFT;
  const n = t - EXP64_SHIFT;
  const r = (x - n * LN2_HI) - n * LN2_LO;
  let p = r * (1 / 6227020800) + 1 / 479001600;
  p = p * r + 1 / 39916800; p = p * r + 1 / 3628800; p = p * r + 1 / 362880; p = p * r + 1 / 40320;
  p = p * r + 1 / 5040; p = p * r + 1 / 720; p = p * r + 1 / 120; p = p * r + 1 / 24; p = p * r + 1 / 6;
  p = p * r + 0.5; p = p * r + 1; p = p * r + 1;
  return p * POW2_NEG[-n];
}

/** Σ e[j] in the native engine's fixed order: 8 interleaved lanes over whole blocks of 8, the lanes in order, then the tail. */
function sum8(e: Float64Array, n: number): number {
  const acc = new Float64Array(8);
  let j = 0;
  for (; j + 8 <= n; j += 8) for (let l = 0; l < 8; l++) acc[l] += e[j + l];
  let s = 0;
  for (let l = 0; l < 8; l++) s += acc[l];
  for (; j < n; j++) s += e[j];
  return s;
}

/**
 * fmaf(a, b, c) for float32 values: round_f32(a·b + c) with a single rounding. a·b is exact in
 * float64 (48 bits); s = a·b + c is rounded once to float64, and rounding s to float32 is the
 * correct result unless s lies exactly halfway between two float32 values while the exact sum
 * does not (the float64 error of s, from TwoSum, breaks the tie).
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  if (r === s || !Number.isFinite(s)) return r;
  const other = 2 * s - r; // the float32 neighbour on s's other side, when s is a midpoint
  if (Math.fround(other) !== other) return r; // not a midpoint: rounding s is rounding the exact sum
  const bb = s - p;
  const err = (p - (s - bb)) + (c - bb); // exact: a·b + c = s + err
  if (err === 0) return r; // a true tie: round to even, as fround did
  return (other > r) === (err > 0) ? other : r;
}

/** Throws a RangeError unless every idx[i] (i < n) lies in [0, bound). */
function checkIndices(idx: Int32Array, n: number, bound: number, what: string): void {
  for (let i = 0; i < n; i++) {
    if (!(idx[i] >= 0 && idx[i] < bound)) throw new RangeError(`grokbench: ${what} index ${idx[i]} out of range [0, ${bound})`);
  }
}

export class ReferenceKernels implements Kernels {
  readonly name = 'typescript' as const;
  constructor(readonly precision: Precision = 'f32') {}

  alloc(n: number): Vec {
    return this.precision === 'f64' ? new Float64Array(n) : new Float32Array(n);
  }
  setThreads(n: number): void {
    // Single-threaded, but the same limits as the native engine.
    if (!(Number.isInteger(n) && n >= 1 && n <= MAX_THREADS)) throw new RangeError(`grokbench: threads must be between 1 and ${MAX_THREADS}, got ${n}`);
  }
  getThreads(): number { return 1; }

  gemmBatch(calls: GemmCall[]): void {
    for (const c of calls) this.gemm(...c);
  }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
       alpha: number, A: Vec, B: Vec, beta: number, C: Vec): void {
    // Row-major. A(i,k) = transA ? A[k*M+i] : A[i*K+k]; B(k,j) = transB ? B[j*K+k] : B[k*N+j].
    // float32: the native engine's contract (kernels.ts), one exact fmaf chain per element in k
    // order, then alpha and beta in float32. float64: plain float64 sums.
    const f32 = this.precision === 'f32';
    const row = new Float64Array(N);
    const al = f32 ? Math.fround(alpha) : alpha, be = f32 ? Math.fround(beta) : beta;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const aik = transA ? A[k * M + i] : A[i * K + k];
        if (f32) {
          if (transB) for (let j = 0; j < N; j++) row[j] = fmaf(aik, B[j * K + k], row[j]);
          else { const o = k * N; for (let j = 0; j < N; j++) row[j] = fmaf(aik, B[o + j], row[j]); }
        } else {
          if (aik === 0) continue;
          if (transB) for (let j = 0; j < N; j++) row[j] += aik * B[j * K + k];
          else { const o = k * N; for (let j = 0; j < N; j++) row[j] += aik * B[o + j]; }
        }
      }
      const o = i * N;
      if (f32) {
        for (let j = 0; j < N; j++) {
          const t = al === 1 ? row[j] : Math.fround(al * row[j]);
          C[o + j] = be === 0 ? t : Math.fround(t + Math.fround(be * C[o + j]));
        }
      } else if (beta === 0) for (let j = 0; j < N; j++) C[o + j] = alpha * row[j];
      else for (let j = 0; j < N; j++) C[o + j] = alpha * row[j] + beta * C[o + j];
    }
  }

  mixTokens(N: number, H: number, p: number, width: number, a: Int32Array, b: Int32Array, w: Vec,
            tables: Vec, base: Vec, out: Vec, relu: boolean, preOut: Vec | null): void {
    checkIndices(a, N, p, 'mixTokens token'); checkIndices(b, N, p, 'mixTokens token');
    // float32: the native order, acc = base, then acc += w·row per head h and position j, each a float32 operation.
    const f = this.precision === 'f32' ? Math.fround : (x: number) => x;
    const acc = new Float64Array(width);
    const R = 2 * p + 1;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < width; c++) acc[c] = base[c];
      for (let h = 0; h < H; h++) {
        const ow = (n * H + h) * 3;
        const rows = [(h * R + a[n]) * width, (h * R + p + b[n]) * width, (h * R + 2 * p) * width];
        for (let j = 0; j < 3; j++) {
          const wj = w[ow + j], oj = rows[j];
          for (let c = 0; c < width; c++) acc[c] = f(acc[c] + f(wj * tables[oj + c]));
        }
      }
      const o = n * width;
      for (let c = 0; c < width; c++) {
        const v = acc[c];
        if (preOut) preOut[o + c] = v;
        out[o + c] = relu && !(v > 0) ? 0 : v;
      }
    }
  }

  attnWeights(N: number, H: number, p: number, a: Int32Array, b: Int32Array, S: Vec, w: Vec): void {
    checkIndices(a, N, p, 'attnWeights token'); checkIndices(b, N, p, 'attnWeights token');
    const R = 2 * p + 1;
    for (let n = 0; n < N; n++) {
      for (let h = 0; h < H; h++) {
        const x0 = S[h * R + a[n]], x1 = S[h * R + p + b[n]], x2 = S[h * R + 2 * p];
        const mx = Math.max(x0, x1, x2);
        const e0 = exp64(x0 - mx), e1 = exp64(x1 - mx), e2 = exp64(x2 - mx);
        const z = e0 + e1 + e2;
        const o = (n * H + h) * 3;
        w[o] = e0 / z; w[o + 1] = e1 / z; w[o + 2] = e2 / z;
      }
    }
  }

  mixTokensBackward(N: number, H: number, p: number, width: number, a: Int32Array, b: Int32Array, w: Vec,
                    tables: Vec, dOut: Vec, dTables: Vec, dS: Vec): void {
    checkIndices(a, N, p, 'mixTokensBackward token'); checkIndices(b, N, p, 'mixTokensBackward token');
    // float32: the native order and roundings (dot products in 16 interleaved lanes, every
    // operation a float32 one); dTables and dS accumulate over samples in order either way.
    const f = this.precision === 'f32' ? Math.fround : (x: number) => x;
    const R = 2 * p + 1;
    const lanes = new Float64Array(16);
    const dot = (g: number, o: number): number => {
      lanes.fill(0);
      let c = 0;
      for (; c + 16 <= width; c += 16) for (let l = 0; l < 16; l++) lanes[l] = f(lanes[l] + f(dOut[g + c + l] * tables[o + c + l]));
      let s = 0;
      for (let l = 0; l < 16; l++) s = f(s + lanes[l]);
      for (; c < width; c++) s = f(s + f(dOut[g + c] * tables[o + c]));
      return s;
    };
    for (let n = 0; n < N; n++) {
      const g = n * width;
      for (let h = 0; h < H; h++) {
        const ow = (n * H + h) * 3;
        const w0 = w[ow], w1 = w[ow + 1], w2 = w[ow + 2];
        const r0 = h * R + a[n], r1 = h * R + p + b[n], r2 = h * R + 2 * p;
        const o0 = r0 * width, o1 = r1 * width, o2 = r2 * width;
        const d0 = dot(g, o0), d1 = dot(g, o1), d2 = dot(g, o2);
        for (let c = 0; c < width; c++) {
          const gc = dOut[g + c];
          dTables[o0 + c] = f(dTables[o0 + c] + f(w0 * gc));
          dTables[o1 + c] = f(dTables[o1 + c] + f(w1 * gc));
          dTables[o2 + c] = f(dTables[o2 + c] + f(w2 * gc));
        }
        const s = f(f(f(w0 * d0) + f(w1 * d1)) + f(w2 * d2));
        dS[r0] = f(dS[r0] + f(w0 * f(d0 - s)));
        dS[r1] = f(dS[r1] + f(w1 * f(d1 - s)));
        dS[r2] = f(dS[r2] + f(w2 * f(d2 - s)));
      }
    }
  }

  addRow(M: number, N: number, A: Vec, row: Vec): void {
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) A[i * N + j] += row[j];
  }

  reluBackward(n: number, pre: Vec, dX: Vec): void {
    for (let i = 0; i < n; i++) if (!(pre[i] > 0)) dX[i] = 0;
  }

  crossEntropy(N: number, V: number, logits: Vec, targets: Int32Array,
               dLogits: Vec | null, scale: number): { lossSum: number; correct: number } {
    checkIndices(targets, N, V, 'crossEntropy target');
    let lossSum = 0, correct = 0;
    const e = new Float64Array(V);
    for (let n = 0; n < N; n++) {
      const o = n * V, t = targets[n];
      let mx = -Infinity, arg = 0;
      for (let j = 0; j < V; j++) if (logits[o + j] > mx) { mx = logits[o + j]; arg = j; }
      if (arg === t) correct++;
      for (let j = 0; j < V; j++) e[j] = exp64(logits[o + j] - mx);
      const et = e[t];
      e[t] = 0;
      const rest = sum8(e, V);
      e[t] = et;
      const z = rest + et;
      lossSum += et === 1 ? Math.log1p(rest) : Math.log(z) - (logits[o + t] - mx);
      if (dLogits) {
        const s = scale / z;
        for (let j = 0; j < V; j++) dLogits[o + j] = e[j] * s;
        dLogits[o + t] = -rest * s;
        // The flush of the determinism contract: after the rounding to the array's precision.
        for (let j = 0; j < V; j++) if (Math.abs(dLogits[o + j]) < FLT32_MIN_NORMAL) dLogits[o + j] = 0;
      }
    }
    return { lossSum, correct };
  }

  mlpLoss(N: number, H: number, p: number, m: number, a: Int32Array, b: Int32Array, S: Vec, wOut: Vec | null,
          P: Vec, basePre: Vec, postOut: Vec | null, OU: Vec, baseU: Vec, WoutU: Vec, targets: Int32Array,
          dLogits: Vec | null, scale: number): { lossSum: number; correct: number } {
    // Every index checked before anything is written, as the native kernel does.
    checkIndices(a, N, p, 'mlpLoss token'); checkIndices(b, N, p, 'mlpLoss token'); checkIndices(targets, N, p, 'mlpLoss target');
    const w = wOut ?? this.alloc(N * H * 3), post = postOut ?? this.alloc(N * m), logits = this.alloc(N * p);
    this.attnWeights(N, H, p, a, b, S, w);
    this.mixTokens(N, H, p, m, a, b, w, P, basePre, post, true, null);
    this.mixTokens(N, H, p, p, a, b, w, OU, baseU, logits, false, null);
    this.gemm(false, false, N, p, m, 1, post, WoutU, 1, logits);
    return this.crossEntropy(N, p, logits, targets, dLogits, scale);
  }

  mlpBackward(N: number, H: number, p: number, m: number, a: Int32Array, b: Int32Array, w: Vec, P: Vec, post: Vec,
              dLogits: Vec, WoutU: Vec, dpreOut: Vec | null, dP: Vec, dS: Vec, dBasePre: Vec): void {
    checkIndices(a, N, p, 'mlpBackward token'); checkIndices(b, N, p, 'mlpBackward token');
    const dpre = dpreOut ?? this.alloc(N * m);
    this.gemm(false, true, N, m, p, 1, dLogits, WoutU, 0, dpre);
    this.reluBackward(N * m, post, dpre);
    this.mixTokensBackward(N, H, p, m, a, b, w, P, dpre, dP, dS);
    this.colSum(N, m, dpre, dBasePre, false);
  }

  colSum(M: number, N: number, A: Vec, out: Vec, accumulate: boolean): void {
    const acc = new Float64Array(N);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) acc[j] += A[i * N + j];
    for (let j = 0; j < N; j++) out[j] = accumulate ? out[j] + acc[j] : acc[j];
  }

  adamw(ranges: Int32Array, param: Vec, grad: Vec, m: Vec, v: Vec,
        lr: number, beta1: number, beta2: number, eps: number, wd: number, step: number): void {
    // float32: the native engine's float32 operations and constants; float64: the same formula in float64.
    const f = this.precision === 'f32' ? Math.fround : (x: number) => x;
    const bc1 = 1 - beta1 ** step, bc2 = 1 - beta2 ** step;
    const decay = f(1 - lr * wd), omb1 = f(1 - beta1), b2 = f(beta2), omb2 = f(1 - beta2);
    const stepSize = f(lr / bc1), bc2Sqrt = f(Math.sqrt(bc2)), e = f(eps);
    for (let r = 0; r < ranges.length; r += 2) {
      for (let i = ranges[r]; i < ranges[r + 1]; i++) {
        const g = grad[i];
        const pi = f(param[i] * decay);
        const mi = f(m[i] + f(omb1 * f(g - m[i])));
        const vi = f(f(v[i] * b2) + f(f(omb2 * g) * g));
        m[i] = mi; v[i] = vi;
        const denom = f(f(f(Math.sqrt(vi)) / bc2Sqrt) + e);
        param[i] = f(pi - f(f(stepSize * mi) / denom));
      }
    }
  }
}
