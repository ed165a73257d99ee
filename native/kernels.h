/*
 * grokbench's native compute kernels: plain C over raw pointers, float32 data, no N-API and no
 * Node (addon.c is the N-API glue that unpacks and checks JavaScript arguments and calls these;
 * native/test/kernels_test.c calls them directly). One function per method of the TypeScript
 * kernel interface (src/engine/kernels.ts, whose doc comments define the semantics and the
 * determinism contract; src/engine/reference.ts is the oracle the tests compare against).
 *
 * Layout, one layer per file, each layer's forward and backward side by side:
 *   gemm.c        gb_gemm, gb_gemm_batch (the register-blocked GEMM; its packing and tile helpers)
 *   attention.c   gb_attn_weights, gb_mix_tokens (forward) | gb_mix_tokens_backward
 *   mlp.c         gb_mlp_loss (the fused forward to the loss) | gb_mlp_backward
 *   loss.c        gb_cross_entropy (the loss and its gradient in one pass)
 *   elementwise.c gb_add_row (bias) | gb_col_sum (its gradient), gb_relu_backward
 *   adamw.c       gb_adamw
 *   paths.c       the per-CPU paths (path.inc compiled once per ISA), choosing one, threads
 *   bench.c       gb_clock_ghz, gb_fma_peak (the bench's machine measurements)
 *
 * Shapes are row-major, written [rows, cols]. For the model's kernels p is the modulus, R = 2p + 1
 * the rows of a per-token table per head (row t < p: token a = t; row p + t: token b = t; row 2p:
 * the "=" token), V = p the classes, H the heads, m the MLP width. Preconditions (array lengths,
 * token indices in [0, p), targets in [0, V)) are the caller's: addon.c checks every one before
 * calling. The kernels themselves check only the limits below that guard fixed-size buffers.
 * Functions returning int return GB_OK or a negative GB_E* code and then leave their outputs in an
 * unspecified state only for GB_ENOMEM (a limit is checked before anything is written).
 */
#ifndef GROKBENCH_KERNELS_H
#define GROKBENCH_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ---- Limits (every one has exactly this one definition) ---- */

/* The most attention heads a sample mixes (mixTokens, mixTokensBackward, mlpLoss, mlpBackward; the
 * config's --n-heads maximum, src/config/config.ts, is the same number). */
#define GB_MAX_HEADS 32
/* The tokens of a sample: a, b and "=" (fixed by the model; the kernels spell out the three terms). */
#define GB_TOKENS 3
/* The table rows one sample mixes over all heads: the size of the per-sample row-pointer buffers. */
#define GB_MAX_TOKEN_ROWS (GB_TOKENS * GB_MAX_HEADS)
/* The most threads the engine runs (src/engine/kernels.ts MAX_THREADS). */
#define GB_MAX_THREADS 256

/* ---- Blocking and threading (none of these changes a bit of any result: determinism contract) ---- */

/* Below about this many multiply-adds a kernel runs on one thread: waking the others costs more. */
#define GB_PAR_MIN 1e6
/* The GEMM's K block: a chain longer than this stores its float32 value and resumes it. */
#define GB_GEMM_KC 512
/* Samples per chunk that one thread mixes (mixTokens) or computes the weights of (attnWeights). */
#define GB_SAMPLE_CHUNK 64
/* attnWeights' threading threshold counts about this many operations per (sample, head) pair. */
#define GB_ATTN_PAIR_COST 64
/* Columns per block that one thread sums (colSum, mlpBackward's bias gradient). */
#define GB_COL_BLOCK 64
/* Columns per block of mixTokensBackward's scatter (path.inc scatter_blk keeps them in registers). */
#define GB_SCATTER_BW 64
/* mlpLoss / mlpBackward fuse their steps per tile of at least this many rows (rounded up to a
 * whole number of micro-kernel tiles). */
#define GB_TILE_ROWS 32
/* Floats (64 bytes) added to the row stride of the fused kernels' scratch rows (see mlp.c). */
#define GB_ROW_PAD 16
/* AdamW's element chunk per thread, and the range length from which threads split it. */
#define GB_ADAMW_CHUNK 4096
#define GB_ADAMW_PAR_MIN 200000
/* Scratch alignment in bytes (a cache line; also the widest vector). */
#define GB_ALIGN 64

/* ---- Status codes ---- */
#define GB_OK 0
#define GB_ENOMEM (-1)   /* a scratch allocation failed */
#define GB_ELIMIT (-2)   /* H > GB_MAX_HEADS */

/* ---- Paths and threads (paths.c) ---- */

/* Chooses the kernel path: want = "auto" (or NULL or ""), "avx512", "avx2" or "portable". "auto"
 * picks from CPUID feature bits; a forced path the CPU lacks, or an unknown value, leaves the path
 * unchanged and returns an error message (static storage); NULL on success. Before any call the
 * path is portable. Not thread-safe: call it before the kernels run. */
const char *gb_select_path(const char *want);
const char *gb_path_name(void);    /* "avx512", "avx2" or "portable" */
const char *gb_path_reason(void);  /* why that path (e.g. "auto: CPUID reports AVX2 and FMA, no AVX-512") */
int gb_path_lanes(void);           /* float32 lanes of the path's FMA (gb_fma_peak) */
void gb_set_threads(int n);        /* 1 <= n <= GB_MAX_THREADS (the caller checks) */
int gb_get_threads(void);

/* ---- GEMM (gemm.c) ---- */

/* C[M, N] = alpha·op(A)·op(B) + beta·C, op(A) [M, K] (A is [M, K], or [K, M] when ta), op(B)
 * [K, N] (B is [K, N], or [N, K] when tb): every element one FMA chain from 0 over k = 0..K−1 in
 * order, then alpha·acc (skipped for alpha = 1), + beta·C unless beta = 0, float32 operations.
 * Nothing happens for M = 0 or N = 0. GB_OK or GB_ENOMEM. */
int gb_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, const float *B, float beta, float *C);

/* One gb_gemm call's arguments. */
typedef struct { int ta, tb, M, N, K; float alpha, beta; const float *A, *B; float *C; } gb_gemm_call;

/* n independent GEMMs (no C is another call's operand or C), each exactly gb_gemm's bits, one
 * thread each. GB_OK or GB_ENOMEM (the others are still computed). */
int gb_gemm_batch(const gb_gemm_call *calls, int n);

/* ---- Attention (attention.c) ---- */

/* w[N, H, 3]: w[n, h, :] = softmax(S[h, a_n], S[h, p + b_n], S[h, 2p]) in float64 with exp64,
 * rounded to float32; S [H, R]. */
void gb_attn_weights(int N, int H, int p, const int32_t *a, const int32_t *b, const float *S, float *w);

/* out[N, width]: out[n] = base + Σ_h (w[n,h,0]·T[h, a_n] + w[n,h,1]·T[h, p + b_n] + w[n,h,2]·T[h, 2p])
 * (in that order, a multiply then an add each); T [H, R, width], base [width], w [N, H, 3]. With
 * relu, out = max(0, ·) and pre [N, width] (if not NULL) receives the value before it.
 * GB_OK or GB_ELIMIT. */
int gb_mix_tokens(int N, int H, int p, int width, const int32_t *a, const int32_t *b, const float *w,
                  const float *T, const float *base, float *out, int relu, float *pre);

/* Backward of gb_mix_tokens (without relu), accumulating into dT [H, R, width] and dS [H, R]:
 * g_j = dOut[n]·T[h, tok_j(n)]; dS[h, tok_j(n)] += w[n,h,j]·(g_j − Σ_j' w[n,h,j']·g_j');
 * dT[h, tok_j(n)] += w[n,h,j]·dOut[n]; samples in order. dOut [N, width]. GB_OK, GB_ELIMIT or GB_ENOMEM. */
int gb_mix_tokens_backward(int N, int H, int p, int width, const int32_t *a, const int32_t *b, const float *w,
                           const float *T, const float *dOut, float *dT, float *dS);

/* ---- Loss (loss.c) ---- */

/* Cross-entropy of logits L [N, V] against targets t [N] (kernels.ts crossEntropy): *lossSum = Σ
 * row losses in row order, *correct = rows whose first maximum is the target; dL [N, V] (if not
 * NULL) receives the gradient times scale, each float32 value below 2^-126 in magnitude flushed
 * to +0. V >= 1. GB_OK or GB_ENOMEM. */
int gb_cross_entropy(int N, int V, const float *L, const int32_t *t, float *dL, double scale,
                     double *lossSum, int *correct);

/* ---- MLP (mlp.c) ---- */

/* The forward pass from the attention scores to the loss, bit for bit (kernels.ts mlpLoss):
 *   gb_attn_weights(N, H, p, a, b, S, w)
 *   gb_mix_tokens(N, H, p, m, a, b, w, P, basePre, post, relu = 1, NULL)
 *   gb_mix_tokens(N, H, p, V, a, b, w, OU, baseU, logits, relu = 0, NULL)
 *   gb_gemm(0, 0, N, V, m, 1, post, WoutU, 1, logits)
 *   gb_cross_entropy(N, V, logits, t, dL, scale, lossSum, correct)
 * fused per tile of rows. S [H, R], P [H, R, m], basePre [m], OU [H, R, V], baseU [V], WoutU [m, V];
 * wOut [N, H, 3] and postOut [N, m] receive w and post if not NULL. H, p, m >= 1.
 * GB_OK, GB_ELIMIT or GB_ENOMEM. */
int gb_mlp_loss(int N, int H, int p, int m, const int32_t *a, const int32_t *b, const float *S, float *wOut,
                const float *P, const float *basePre, float *postOut, const float *OU, const float *baseU,
                const float *WoutU, const int32_t *t, float *dL, double scale, double *lossSum, int *correct);

/* The MLP's share of the backward pass, bit for bit (kernels.ts mlpBackward):
 *   gb_gemm(0, 1, N, m, V, 1, dL, WoutU, 0, dpre); gb_relu_backward(N·m, post, dpre);
 *   gb_mix_tokens_backward(N, H, p, m, a, b, w, P, dpre, dP, dS); gb_col_sum(N, m, dpre, dBasePre, 0)
 * fused per tile of rows. w [N, H, 3], P [H, R, m], post [N, m], dL [N, V], WoutU [m, V];
 * dpre [N, m] (if not NULL) receives the pre-activations' gradient; dP [H, R, m] and dS [H, R]
 * accumulate; dBasePre [m] is overwritten. H, p, m >= 1. GB_OK, GB_ELIMIT or GB_ENOMEM. */
int gb_mlp_backward(int N, int H, int p, int m, const int32_t *a, const int32_t *b, const float *w, const float *P,
                    const float *post, const float *dL, const float *WoutU, float *dpre, float *dP, float *dS,
                    float *dBasePre);

/* ---- Bias and activation (elementwise.c) ---- */

/* A[i, :] += row for every row of A [M, N]. */
void gb_add_row(int M, int N, float *A, const float *row);
/* out[j] = Σ_i A[i, j] (or, with acc, out[j] + that sum, added in float64) for A [M, N], each
 * column summed in row order in float64, rounded to float32 once. GB_OK or GB_ENOMEM. */
int gb_col_sum(int M, int N, const float *A, float *out, int acc);
/* dX[i] = pre[i] > 0 ? dX[i] : 0 for i < n. */
void gb_relu_backward(int n, const float *pre, float *dX);

/* ---- Optimiser (adamw.c) ---- */

/* One AdamW step (torch.optim.AdamW, float32 operations) over the index ranges [ranges[2r],
 * ranges[2r + 1]) (nranges pairs) of P, G, M, V (moments M, V). */
void gb_adamw(const int32_t *ranges, size_t nranges, float *P, const float *G, float *M, float *V,
              double lr, double beta1, double beta2, double eps, double wd, int step);

/* ---- Machine measurements for the bench (bench.c) ---- */

/* The core clock in GHz from a chain of dependent integer adds (best of 40 short runs); 0 where
 * not measurable (not x86-64). */
double gb_clock_ghz(void);
/* One thread's FMA throughput in the path's registers, in GFLOP/s (best of 20 trials of iters/20
 * rounds of 12 chains); the path's lanes are gb_path_lanes(). */
double gb_fma_peak(double iters);

#endif
