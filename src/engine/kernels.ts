/**
 * The narrow kernel interface between grokbench's model/analysis code and the machine.
 *
 * Two implementations exist: `native` (an N-API addon, native/addon.c over the pure C kernels of
 * native/kernels.h, with its own GEMM and fused element-wise kernels, float32 only) and
 * `typescript` (plain loops; the test oracle and the fallback, which also runs in float64 for
 * gradient checks). All matrices are row-major and contiguous; pass `subarray` views for offsets.
 *
 * The native kernels come in paths: `avx512` (AVX-512 F/VL/BW/DQ), `avx2` (AVX2 + FMA) and
 * `portable` (plain C), the same source compiled per path with its own target attribute; the
 * addon is built for baseline x86-64 (no -march=native). The path is chosen once, at load, from
 * CPUID feature bits (never from a table of CPU models), or forced with
 * GROKBENCH_KERNELS=auto|avx512|avx2|portable (a path the CPU lacks is an error);
 * `grokbench --version` prints the path and why.
 *
 * DETERMINISM CONTRACT: every path, every thread count and every machine give the same bits, and
 * the float32 TypeScript engine gives the same bits as the native one (except the last bit of the
 * cross-entropy's loss sum, where libm's and V8's log and log1p may differ: ≤ 1e-15 relative).
 * - gemm: every output element is one FMA chain, acc = fma(op(A)[i,k], op(B)[k,j], acc) from
 *   acc = 0 over k = 0..K−1 in order; the K-blocking (fixed, 512) only stores the chain's float32
 *   value and resumes it; then C = alpha·acc (skipped for alpha = 1) and, unless beta = 0,
 *   C = that + beta·C, each a float32 operation (alpha and beta rounded to float32). Threads
 *   split only output rows (tiles of the path's micro-kernel height), never k.
 * - element-wise kernels: plain IEEE float32/float64 operations in a fixed order (compiled with
 *   -ffp-contract=off, no fast-math, no reassociation), the same in the vector body and the scalar
 *   tail, no FMA; reductions (dot products, the cross-entropy's sums) in a fixed lane order that
 *   does not depend on the vector width; per-sample work split across threads by samples or
 *   columns, sums over samples in sample order; the cross-entropy's exp is exp64 (below), the
 *   attention softmax's too. Only log/log1p/sqrt/pow come from libm (sqrt is exact).
 * - subnormals: no float32 subnormal is formed by the engine's own arithmetic and passed on. The
 *   one place where they formed in training is the cross-entropy's gradient: once a sample's logit
 *   margins pass ~87, its wrong classes' d_j = e_j·s fall below 2^-126, and every FMA of the
 *   backward GEMMs that reads one costs a microcode assist on Intel cores (5–9× slower late
 *   epochs). So crossEntropy (and mlpLoss, which ends in it) flushes each float32 gradient value
 *   below 2^-126 in magnitude to +0, on the value's bits, identically on every path, in the scalar
 *   tail and in the TypeScript reference (float32 and float64 alike), never through the CPU's
 *   FTZ/DAZ modes (they differ by path, thread and architecture). The flushed terms are < 2^-126
 *   against gradients of ~1e-8. test/engine/subnormals.test.ts counts subnormals in every array
 *   every kernel reads or writes over a late state, on every path, and asserts none.
 * - fused kernels (mlpLoss, mlpBackward, gemmBatch): exactly the operations of the kernels they
 *   stand for, in the same order per element (tested bit for bit against them); only where the
 *   intermediate values live (cache-sized tiles, padded scratch rows) and which thread computes
 *   which whole rows or whole GEMMs differ.
 */
export type Vec = Float32Array | Float64Array;

export type Precision = 'f32' | 'f64';

/** One gemm() call's arguments, for gemmBatch: [transA, transB, M, N, K, alpha, A, B, beta, C]. */
export type GemmCall = [boolean, boolean, number, number, number, number, Vec, Vec, number, Vec];

/** The smallest normal float32, 2^-126: the engine's gradients below it in magnitude are flushed to +0. */
export const FLT32_MIN_NORMAL = 2 ** -126;

/** The most threads an engine runs (`--threads` is validated against it). */
export const MAX_THREADS = 256;

export interface Kernels {
  /** 'native' (the addon) or 'typescript' (reference loops). */
  readonly name: 'native' | 'typescript';
  readonly precision: Precision;
  /** A zero-filled array of this engine's precision. */
  alloc(n: number): Vec;
  /** Threads the engine may use (1..MAX_THREADS, else a RangeError). */
  setThreads(n: number): void;
  getThreads(): number;

  /**
   * C = alpha · op(A) · op(B) + beta · C, row-major (float32: one FMA chain per element, see the
   * determinism contract above).
   * op(A) is M×K (A is M×K, or K×M when transA), op(B) is K×N (B is K×N, or N×K when transB), C is M×N.
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
       alpha: number, A: Vec, B: Vec, beta: number, C: Vec): void;

  /**
   * Independent GEMMs (no call's C is another call's A, B or C), each exactly as gemm() computes
   * it; the native engine runs them side by side on its threads, one thread each.
   */
  gemmBatch(calls: GemmCall[]): void;

  /**
   * Attention mixing at the last position of the 3-token model (see model/forward.ts).
   * Per-token tables are laid out [H, 2p+1, width]: row t (t < p) is token a = t at position 0,
   * row p + t is token b = t at position 1, row 2p is the "=" token at position 2. For sample n:
   *   out[n, :] = base[:] + Σ_h ( w[n,h,0]·T[h, a_n] + w[n,h,1]·T[h, p + b_n] + w[n,h,2]·T[h, 2p] )
   * with w: [N, H, 3]. If `relu`, out = max(0, ·) and the value before it goes to `preOut` if given.
   */
  mixTokens(N: number, H: number, p: number, width: number, a: Int32Array, b: Int32Array, w: Vec,
            tables: Vec, base: Vec, out: Vec, relu: boolean, preOut: Vec | null): void;

  /** Attention weights: w[n,h,:] = softmax(S[h, a_n], S[h, p + b_n], S[h, 2p]); S: [H, 2p+1]. */
  attnWeights(N: number, H: number, p: number, a: Int32Array, b: Int32Array, S: Vec, w: Vec): void;

  /**
   * Backward of mixTokens (without relu), accumulating (+=) into dTables [H, 2p+1, width] and
   * dS [H, 2p+1] (the gradient of the attention scores through the softmax):
   *   dT[h, tok_j(n)] += w[n,h,j]·dOut[n];  g_j = dOut[n]·T[h, tok_j(n)];
   *   dS[h, tok_j(n)] += w[n,h,j]·(g_j − Σ_j' w[n,h,j']·g_j')
   * Samples are accumulated in order n = 0..N−1 (deterministic).
   */
  mixTokensBackward(N: number, H: number, p: number, width: number, a: Int32Array, b: Int32Array, w: Vec,
                    tables: Vec, dOut: Vec, dTables: Vec, dS: Vec): void;

  /** A[i, :] += row[:] for every row i of A [M, N]. */
  addRow(M: number, N: number, A: Vec, row: Vec): void;

  /** dX[i] = mask(pre[i] > 0) · dX[i], in place, for i < n. */
  reluBackward(n: number, pre: Vec, dX: Vec): void;

  /**
   * Cross-entropy of rows of logits [N, V] against targets (each in [0, V), else a RangeError),
   * as the reference (PyTorch's float64 log-softmax, gradient rounded to float32 once) computes
   * it. Per row, with m = max_j l_j and t the target:
   *   e_j = exp64((double)l_j − m)   (float64; the deterministic exp of reference.ts/exp64, ~1e-16 relative)
   *   rest = Σ_{j≠t} e_j             (summed directly in the fixed order of 8 interleaved lanes, never z − e_t)
   *   z = rest + e_t
   *   loss = log1p(rest) if e_t = 1 (the target holds the maximum), else log(z) − (l_t − m)
   * so that per-sample losses of 1e-10 keep full relative precision. Returns the sum of the row
   * losses, added in row order (the same for every thread count), and the number of rows whose
   * argmax equals the target (first maximum wins). If dLogits is given it receives
   *   d_j = flush(round_f32(e_j · s)) for j ≠ t,  d_t = flush(round_f32(−rest · s)),  s = scale / z,
   * the float32 rounding of the float64 value (within 1 ulp of round_f32(scale·e_j/z): s carries
   * one extra float64 rounding), then flush(x) = +0 where |x| < 2^-126 (FLT32_MIN_NORMAL), else x:
   * see "Subnormals" in the determinism contract. No float32 exp and no cancellation: the
   * correct-class gradient −scale·rest/z keeps its relative precision at any loss.
   */
  crossEntropy(N: number, V: number, logits: Vec, targets: Int32Array,
               dLogits: Vec | null, scale: number): { lossSum: number; correct: number };

  /**
   * The model's forward pass from the attention scores to the loss (model.ts), one call for
   * the training step's forward and for the evaluation. Exactly, bit for bit:
   *   attnWeights(N, H, p, a, b, S, w)
   *   mixTokens(N, H, p, m, a, b, w, P, basePre, post, relu = true, null)
   *   mixTokens(N, H, p, p, a, b, w, OU, baseU, logits, relu = false, null)
   *   gemm(false, false, N, p, m, 1, post, WoutU, 1, logits)
   *   crossEntropy(N, p, logits, targets, dLogits, scale)
   * The native engine fuses the steps per tile of rows, so the post-activations and logits stay
   * in cache. `wOut` [N, H, 3] and `postOut` [N, m] receive w and post when given; the logits are
   * not kept. Returns crossEntropy's result.
   */
  mlpLoss(N: number, H: number, p: number, m: number, a: Int32Array, b: Int32Array, S: Vec, wOut: Vec | null,
          P: Vec, basePre: Vec, postOut: Vec | null, OU: Vec, baseU: Vec, WoutU: Vec, targets: Int32Array,
          dLogits: Vec | null, scale: number): { lossSum: number; correct: number };

  /**
   * The MLP's share of the backward pass (model.ts lossAndGrad), from the logits' gradient to the
   * gradients of the MLP tables. Exactly, bit for bit:
   *   gemm(false, true, N, m, p, 1, dLogits, WoutU, 0, dpre)
   *   reluBackward(N·m, post, dpre)
   *   mixTokensBackward(N, H, p, m, a, b, w, P, dpre, dP, dS)   (accumulating into dP and dS)
   *   colSum(N, m, dpre, dBasePre, false)
   * The native engine fuses the GEMM, the relu mask and mixTokensBackward's dot products per tile
   * of rows. `dpre` [N, m] receives the gradient of the pre-activations when given; the native
   * engine keeps it in a scratch of its own otherwise.
   */
  mlpBackward(N: number, H: number, p: number, m: number, a: Int32Array, b: Int32Array, w: Vec, P: Vec, post: Vec,
              dLogits: Vec, WoutU: Vec, dpre: Vec | null, dP: Vec, dS: Vec, dBasePre: Vec): void;

  /** out[j] (+)= Σ_i A[i, j] for A [M, N]; accumulate when `accumulate`. */
  colSum(M: number, N: number, A: Vec, out: Vec, accumulate: boolean): void;

  /**
   * One AdamW step (torch.optim.AdamW semantics) over the index ranges [start, end) given in
   * `ranges` (pairs, flattened) of the flat parameter vector:
   *   param *= 1 − lr·wd;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
   *   param −= lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + eps)
   */
  adamw(ranges: Int32Array, param: Vec, grad: Vec, m: Vec, v: Vec,
        lr: number, beta1: number, beta2: number, eps: number, wd: number, step: number): void;
}
