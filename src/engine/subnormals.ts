/**
 * A debug counter of float32 subnormals (0 < |x| < 2^-126) in what the engine's kernels read and
 * write: the determinism contract (kernels.ts, "subnormals") says the engine's own arithmetic
 * passes none on. Counting is done on the values, so it proves the contract on any CPU, whether or
 * not the CPU pays for subnormals (Intel cores take a microcode assist per FMA that reads one; AMD
 * cores do not): a test by counting, never by timing.
 */
import { FLT32_MIN_NORMAL, type Kernels, type Vec } from './kernels.js';

/** Values of `v` that are float32 subnormals: nonzero with magnitude below 2^-126. */
export function countSubnormals(v: Vec): number {
  let n = 0;
  if (v instanceof Float32Array) {
    // On the bits: exponent field 0, mantissa nonzero.
    const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
    for (let i = 0; i < u.length; i++) {
      const a = u[i] & 0x7fffffff;
      if (a !== 0 && a < 0x00800000) n++;
    }
  } else {
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]);
      if (a !== 0 && a < FLT32_MIN_NORMAL) n++;
    }
  }
  return n;
}

/** Per kernel: the subnormals found in its float arguments on entry (read) and on return (written). */
export type SubnormalCounts = Record<string, { calls: number; read: number; written: number }>;

const KERNEL_CALLS = ['gemm', 'gemmBatch', 'mixTokens', 'attnWeights', 'mixTokensBackward', 'addRow', 'reluBackward',
  'crossEntropy', 'mlpLoss', 'mlpBackward', 'colSum', 'adamw'] as const;

function floatArrays(args: unknown[], out: Vec[] = []): Vec[] {
  for (const a of args) {
    if (a instanceof Float32Array || a instanceof Float64Array) out.push(a);
    else if (Array.isArray(a)) floatArrays(a, out); // gemmBatch's calls
  }
  return out;
}

/**
 * `k` with every kernel call counted: the returned kernels compute exactly what `k` computes
 * (they call it), and `counts()` tells how many subnormals each kernel was given and left behind.
 */
export function countingSubnormals(k: Kernels): { kernels: Kernels; counts: () => SubnormalCounts; total: () => number } {
  const counts: SubnormalCounts = {};
  const kernels = Object.create(k) as Kernels;
  for (const name of KERNEL_CALLS) {
    const f = (k[name] as (...args: unknown[]) => unknown).bind(k);
    const c = (counts[name] = { calls: 0, read: 0, written: 0 });
    (kernels as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const arrays = floatArrays(args);
      c.calls++;
      for (const v of arrays) c.read += countSubnormals(v);
      const r = f(...args);
      for (const v of arrays) c.written += countSubnormals(v);
      return r;
    };
  }
  const total = (): number => Object.values(counts).reduce((s, c) => s + c.read + c.written, 0);
  return { kernels, counts: () => structuredClone(counts), total };
}
