/*
 * grokbench's native engine: an N-API addon with its own GEMM and the model's fused element-wise
 * kernels (float32), in three paths (paths.h, path.inc) chosen from CPUID feature bits, with
 * OpenMP threads. Every function mirrors one method of the TypeScript kernel interface
 * (src/engine/kernels.ts), whose doc comments define the semantics and the determinism contract;
 * src/engine/reference.ts is the oracle the tests compare against.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "paths.h"

/* The path in use and why (set once at load; GROKBENCH_KERNELS=auto|avx512|avx2|portable). */
static const Path *path = &path_portable;
static char path_reason[256] = "";

#if defined(__x86_64__)
static int cpu_has_avx512(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}
static int cpu_has_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif

/*
 * Chooses the path from CPUID feature bits (libgcc's __builtin_cpu_supports, which also checks
 * that the OS saves the vector registers) or from GROKBENCH_KERNELS. Returns an error message
 * (for a forced path the CPU lacks, or an unknown value) or NULL.
 */
static const char *choose_path(void) {
  const char *want = getenv("GROKBENCH_KERNELS");
  if (!want || !*want) want = "auto";
#if defined(__x86_64__)
  __builtin_cpu_init();
  const int has512 = cpu_has_avx512(), has2 = cpu_has_avx2();
#else
  const int has512 = 0, has2 = 0;
#endif
  static char err[256];
  if (strcmp(want, "auto") == 0) {
#if defined(__x86_64__)
    if (has512) { path = &path_avx512; snprintf(path_reason, sizeof path_reason, "auto: CPUID reports AVX-512 F/VL/BW/DQ"); return NULL; }
    if (has2) { path = &path_avx2; snprintf(path_reason, sizeof path_reason, "auto: CPUID reports AVX2 and FMA, no AVX-512"); return NULL; }
    path = &path_portable; snprintf(path_reason, sizeof path_reason, "auto: CPUID reports neither AVX-512 nor AVX2+FMA");
#else
    path = &path_portable; snprintf(path_reason, sizeof path_reason, "auto: not an x86-64 build");
#endif
    return NULL;
  }
  if (strcmp(want, "portable") == 0) { path = &path_portable; snprintf(path_reason, sizeof path_reason, "GROKBENCH_KERNELS=portable"); return NULL; }
#if defined(__x86_64__)
  if (strcmp(want, "avx512") == 0 && has512) { path = &path_avx512; snprintf(path_reason, sizeof path_reason, "GROKBENCH_KERNELS=avx512"); return NULL; }
  if (strcmp(want, "avx2") == 0 && has2) { path = &path_avx2; snprintf(path_reason, sizeof path_reason, "GROKBENCH_KERNELS=avx2"); return NULL; }
#endif
  if (strcmp(want, "avx512") == 0 || strcmp(want, "avx2") == 0) {
    snprintf(err, sizeof err, "GROKBENCH_KERNELS=%s but this CPU does not support %s", want,
             strcmp(want, "avx512") == 0 ? "AVX-512 F/VL/BW/DQ" : "AVX2 and FMA");
    return err;
  }
  snprintf(err, sizeof err, "GROKBENCH_KERNELS must be auto, avx512, avx2 or portable, got '%s'", want);
  return err;
}
static const char *path_error = NULL;

/* The most threads the engine runs (src/engine/kernels.ts MAX_THREADS). */
#define GROKBENCH_MAX_THREADS 256
#define GROKBENCH_STR2(x) #x
#define GROKBENCH_STR(x) GROKBENCH_STR2(x)

/* Below about this many multiply-adds a kernel runs on one thread: waking the others costs more. */
#define PAR_MIN 1e6

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "grokbench native: N-API call failed: " #call); return NULL; } } while (0)

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "grokbench native: wrong number of arguments");
    return 0;
  }
  return 1;
}

static int get_typed(napi_env env, napi_value v, napi_typedarray_type want, const char *what, void **out, size_t *len) {
  napi_typedarray_type t; size_t n; void *data; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off) != napi_ok || t != want) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  *out = data; if (len) *len = n;
  return 1;
}

static int get_f32(napi_env env, napi_value v, float **out, size_t *len) {
  return get_typed(env, v, napi_float32_array, "grokbench native: expected a Float32Array", (void **)out, len);
}

static int get_i32arr(napi_env env, napi_value v, int32_t **out, size_t *len) {
  return get_typed(env, v, napi_int32_array, "grokbench native: expected an Int32Array", (void **)out, len);
}

static int get_int(napi_env env, napi_value v, int *out) {
  int32_t x;
  if (napi_get_value_int32(env, v, &x) != napi_ok) { napi_throw_type_error(env, NULL, "grokbench native: expected an integer"); return 0; }
  *out = x; return 1;
}

static int get_num(napi_env env, napi_value v, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) { napi_throw_type_error(env, NULL, "grokbench native: expected a number"); return 0; }
  return 1;
}

static int get_bool(napi_env env, napi_value v, int *out) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) { napi_throw_type_error(env, NULL, "grokbench native: expected a boolean"); return 0; }
  *out = b; return 1;
}

static int is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

/* Token indices: a[n] and b[n] must lie in [0, p) (they index table rows); throws a RangeError. */
static int check_tokens(napi_env env, const int32_t *a, const int32_t *b, int N, int p, const char *msg) {
  for (int n = 0; n < N; n++) {
    if (a[n] < 0 || a[n] >= p || b[n] < 0 || b[n] >= p) { napi_throw_range_error(env, NULL, msg); return 0; }
  }
  return 1;
}

/* Targets: t[n] must lie in [0, V) (a class index); throws a RangeError. */
static int check_targets(napi_env env, const int32_t *t, int N, int V, const char *msg) {
  for (int n = 0; n < N; n++) {
    if (t[n] < 0 || t[n] >= V) { napi_throw_range_error(env, NULL, msg); return 0; }
  }
  return 1;
}

/*
 * The rows of a per-token table T ([H, 2p+1, ·], rows ldT apart) that sample (an, bn) mixes, in
 * the kernels' order: per head h, [a-row, b-row, "=" row] at rows[3h], rows[3h + 1], rows[3h + 2].
 */
static void token_rows(const float *T, long ldT, int H, int p, int an, int bn, const float **rows) {
  const size_t R = 2 * (size_t)p + 1;
  for (int h = 0; h < H; h++) {
    rows[3 * h] = T + (h * R + an) * ldT;
    rows[3 * h + 1] = T + (h * R + p + bn) * ldT;
    rows[3 * h + 2] = T + (h * R + 2 * p) * ldT;
  }
}

/*
 * The cross-entropy's result from per-row losses and hits: [Σ loss (in row order, the same for
 * every thread count), number correct]. Frees both arrays.
 */
static napi_value loss_result(napi_env env, int N, double *rowLoss, int *rowOk) {
  double lossSum = 0; int correct = 0;
  for (int n = 0; n < N; n++) { lossSum += rowLoss[n]; correct += rowOk[n]; }
  free(rowLoss); free(rowOk);
  napi_value res, x, y;
  CHECK(napi_create_array_with_length(env, 2, &res));
  CHECK(napi_create_double(env, lossSum, &x));
  CHECK(napi_create_int32(env, correct, &y));
  CHECK(napi_set_element(env, res, 0, x));
  CHECK(napi_set_element(env, res, 1, y));
  return res;
}

/*
 * Stores an MR×NR accumulator tile t (rows ldt apart), mr rows and nr columns of it, into C (rows
 * ldc apart) as the GEMM's epilogue: C = alpha·t (skipped for alpha = 1), + beta·C unless beta = 0,
 * each a float32 operation (the micro-kernel's GB_CHAIN_FINAL does the same in registers).
 */
static void store_tile(const float *t, long ldt, float *C, long ldc, int mr, int nr, float alpha, float beta) {
  for (int r = 0; r < mr; r++) {
    const float *s = t + (size_t)r * ldt;
    float *o = C + (size_t)r * ldc;
    if (beta == 0.0f) {
      if (alpha == 1.0f) memcpy(o, s, sizeof(float) * nr);
      else for (int c = 0; c < nr; c++) o[c] = alpha * s[c];
    } else if (alpha == 1.0f) {
      for (int c = 0; c < nr; c++) o[c] = s[c] + beta * o[c];
    } else {
      for (int c = 0; c < nr; c++) o[c] = alpha * s[c] + beta * o[c];
    }
  }
}

/* Packs panel q of op(B) (K×N; B is K×N, or N×K when tb): Bp[k·NR + c] = op(B)(k, q·NR + c), zero past N. */
static void pack_panel(int tb, int N, int K, const float *B, int q, float *Bp) {
  const int NR = path->nr, j0 = q * NR, nr = N - j0 < NR ? N - j0 : NR;
  for (int k = 0; k < K; k++) {
    float *d = Bp + (size_t)k * NR;
    if (tb) for (int c = 0; c < nr; c++) d[c] = B[(size_t)(j0 + c) * K + k];
    else memcpy(d, B + (size_t)k * N + j0, sizeof(float) * nr);
    for (int c = nr; c < NR; c++) d[c] = 0.0f;
  }
}

/*
 * Rows [0, rows) of C (ldc) = alpha·A·op(B) (+ beta·C) for A row-major (lda) and op(B) (K×N)
 * packed by pack_panel into Bp (panel q at Bp + q·K·NR): gemm_f32's arithmetic for these rows,
 * every chain over all K at once (a K-blocked chain stores its float32 value and resumes it, so it
 * is the same chain). Whole MR×NR tiles are stored by the micro-kernel in place; a last, partial
 * tile goes through Ct (MR×NR) and store_tile, its A rows through Ap (MR×K). C's
 * columns up to Nw ≥ N may be written (scratch past N): a last panel narrower than NR is then
 * stored in place too. A last panel of one column goes through col_rows.
 */
static void rows_by_panels(const float *A, long lda, int rows, int K, const float *Bp, int N, int Nw, float *C, long ldc,
                           float alpha, float beta, float *Ap, float *Ct) {
  const int MR = path->mr, NR = path->nr;
  int panels = (N + NR - 1) / NR;
  /* A last panel with one column: that column alone, in scalar chains (col_rows). */
  if (N % NR == 1 && NR > 1) {
    panels--;
    path->col_rows(rows, K, A, lda, Bp + (size_t)panels * K * NR, 0, C + (size_t)panels * NR, ldc, alpha, beta);
  }
  for (int s0 = 0; s0 < rows; s0 += MR) {
    const int mr = rows - s0 < MR ? rows - s0 : MR;
    const float *As; long sk, sr;
    if (mr == MR) { As = A + (size_t)s0 * lda; sk = 1; sr = lda; }
    else {
      for (int k = 0; k < K; k++) {
        float *d = Ap + (size_t)k * MR;
        for (int r = 0; r < mr; r++) d[r] = A[(size_t)(s0 + r) * lda + k];
        for (int r = mr; r < MR; r++) d[r] = 0.0f;
      }
      As = Ap; sk = MR; sr = 1;
    }
    for (int q = 0; q < panels; q++) {
      const int j0 = q * NR, nr = N - j0 < NR ? N - j0 : NR;
      const float *Bq = Bp + (size_t)q * K * NR;
      float *Cq = C + (size_t)s0 * ldc + j0;
      if (mr == MR && j0 + NR <= Nw && K > 0) { path->micro(K, As, sk, sr, Bq, Cq, (int)ldc, GB_CHAIN_FINAL, alpha, beta); continue; }
      if (K > 0) path->micro(K, As, sk, sr, Bq, Ct, NR, GB_CHAIN_START, 1.0f, 0.0f);
      else memset(Ct, 0, sizeof(float) * (size_t)MR * NR);
      store_tile(Ct, NR, Cq, ldc, mr, nr, alpha, beta);
    }
  }
}

/*
 * C = alpha·op(A)·op(B) + beta·C (row-major, float32) under the determinism contract of
 * kernels.ts: every element's product is one FMA chain from 0 over k = 0..K−1 in order (the
 * K-blocking only stores the chain's float value and resumes it), then C = alpha·acc (skipped when
 * alpha = 1) and, unless beta = 0, + beta·C, each a float32 operation. op(B) is packed once in
 * NR-column panels (zero padded); threads split only the MR-row tiles of C, each packing its own
 * A slivers. With K > KC the chains' partial values live in a workspace between K blocks.
 */
#define GEMM_KC 512
static int gemm_f32(int ta, int tb, int M, int N, int K, float alpha, const float *A, const float *B, float beta, float *C) {
  const int MR = path->mr, NR = path->nr;
  const int Np = (N + NR - 1) / NR * NR, panels = Np / NR, tiles = (M + MR - 1) / MR;
  const int nk = K == 0 ? 1 : (K + GEMM_KC - 1) / GEMM_KC;
  const size_t bpSize = (size_t)(K > 0 ? K : 1) * Np;
  float *Bp = aligned_alloc(64, sizeof(float) * ((bpSize + 15) / 16 * 16));
  float *W = nk > 1 ? aligned_alloc(64, sizeof(float) * (((size_t)tiles * MR * Np + 15) / 16 * 16)) : NULL;
  if (!Bp || (nk > 1 && !W)) { free(Bp); free(W); return -1; }
  const double work = 2.0 * M * N * K;
  int oom = 0;
  #pragma omp parallel if (work > 4 * PAR_MIN)
  {
    /* Pack op(B): panel q holds B(k, q·NR + c) at Bp[q·K·NR + k·NR + c]. */
    #pragma omp for schedule(static)
    for (int q = 0; q < panels; q++) pack_panel(tb, N, K, B, q, Bp + (size_t)q * K * NR);
    float *Ap = aligned_alloc(64, sizeof(float) * (size_t)MR * GEMM_KC);
    float *Ct = aligned_alloc(64, sizeof(float) * (size_t)MR * NR);
    if (!Ap || !Ct) {
      #pragma omp atomic write
      oom = 1;
    }
    for (int kb = 0; kb < nk; kb++) {
      const int k0 = kb * GEMM_KC, kc = K - k0 < GEMM_KC ? K - k0 : GEMM_KC;
      #pragma omp for schedule(static)
      for (int tile = 0; tile < tiles; tile++) {
        if (!Ap || !Ct) continue;
        const int i0 = tile * MR, mr = M - i0 < MR ? M - i0 : MR;
        /* A full tile reads A in place; the last, partial one from a zero-padded packed sliver. */
        const float *As; long sk, sr;
        if (mr == MR) {
          if (ta) { As = A + (size_t)k0 * M + i0; sk = M; sr = 1; }
          else { As = A + (size_t)i0 * K + k0; sk = 1; sr = K; }
        } else {
          /* Pack the A sliver: Ap[k·MR + r] = A(i0 + r, k0 + k), zero rows past M. */
          for (int k = 0; k < kc; k++) {
            float *d = Ap + (size_t)k * MR;
            if (ta) { const float *src = A + (size_t)(k0 + k) * M + i0; for (int r = 0; r < mr; r++) d[r] = src[r]; }
            for (int r = mr; r < MR; r++) d[r] = 0.0f;
          }
          if (!ta) {
            for (int r = 0; r < mr; r++) {
              const float *src = A + (size_t)(i0 + r) * K + k0;
              for (int k = 0; k < kc; k++) Ap[(size_t)k * MR + r] = src[k];
            }
          }
          As = Ap; sk = MR; sr = 1;
        }
        for (int q = 0; q < panels; q++) {
          const int j0 = q * NR, nr = N - j0 < NR ? N - j0 : NR;
          const float *Bq = Bp + (size_t)q * K * NR + (size_t)k0 * NR;
          if (nk == 1 && kc > 0 && mr == MR && nr == NR) {
            /* A whole tile of C: the micro-kernel applies alpha and beta and stores in place. */
            path->micro(kc, As, sk, sr, Bq, C + (size_t)i0 * N + j0, N, GB_CHAIN_FINAL, alpha, beta);
            continue;
          }
          float *acc; int ldc;
          if (nk > 1) { acc = W + (size_t)i0 * Np + (size_t)q * NR; ldc = Np; }
          else { acc = Ct; ldc = NR; }
          if (kc > 0) path->micro(kc, As, sk, sr, Bq, acc, ldc, kb == 0 ? GB_CHAIN_START : GB_CHAIN_RESUME, 1.0f, 0.0f);
          else memset(acc, 0, sizeof(float) * (size_t)MR * NR); /* K = 0: empty chains */
          if (kb == nk - 1) store_tile(acc, ldc, C + (size_t)i0 * N + j0, N, mr, nr, alpha, beta);
        }
      }
    }
    free(Ap); free(Ct);
  }
  free(Bp); free(W);
  return oom ? -1 : 0;
}

/* gemm(transA, transB, M, N, K, alpha, A, B, beta, C) */
static napi_value Gemm(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!get_args(env, info, 10, argv)) return NULL;
  int ta, tb, M, N, K; double alpha, beta; float *A, *B, *C; size_t la, lb, lc;
  if (!get_bool(env, argv[0], &ta) || !get_bool(env, argv[1], &tb) || !get_int(env, argv[2], &M) ||
      !get_int(env, argv[3], &N) || !get_int(env, argv[4], &K) || !get_num(env, argv[5], &alpha) ||
      !get_f32(env, argv[6], &A, &la) || !get_f32(env, argv[7], &B, &lb) || !get_num(env, argv[8], &beta) ||
      !get_f32(env, argv[9], &C, &lc)) return NULL;
  if ((size_t)M * K > la || (size_t)K * N > lb || (size_t)M * N > lc) {
    napi_throw_range_error(env, NULL, "grokbench native: gemm operand too small");
    return NULL;
  }
  if (M == 0 || N == 0) return NULL;
  if (gemm_f32(ta, tb, M, N, K, (float)alpha, A, B, (float)beta, C) != 0) napi_throw_error(env, NULL, "grokbench native: out of memory");
  return NULL;
}

/*
 * mixTokens for `rows` consecutive samples (a, b, w offset to the first; out and pre rows ldo
 * apart): each sample's row through mix_rows, its rows per head [a-row, b-row, "=" row].
 */
static void mix_span(int rows, int H, int p, int width, long ldT, const int32_t *a, const int32_t *b, const float *w,
                     const float *T, const float *base, float *out, long ldo, float *pre, int relu) {
  const float *trows[96];
  for (int r = 0; r < rows; r++) {
    token_rows(T, ldT, H, p, a[r], b[r], trows);
    /* w's row [H, 3] is the weights in trows' order. */
    path->mix_rows(out + (size_t)r * ldo, pre ? pre + (size_t)r * ldo : NULL, base, trows, w + (size_t)r * H * 3, 3 * H, width, relu);
  }
}

/*
 * gemmBatch([[ta, tb, M, N, K, alpha, A, B, beta, C], …]): independent GEMMs (no C is another
 * call's operand or C), each computed as gemm() computes it (the same bits), the calls split across
 * threads, one thread each: the model's per-head products are too small to split one of them.
 */
typedef struct { int ta, tb, M, N, K; float alpha, beta; const float *A, *B; float *C; } GemmCall;
static napi_value GemmBatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  uint32_t n;
  bool isArray;
  if (napi_is_array(env, argv[0], &isArray) != napi_ok || !isArray || napi_get_array_length(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "grokbench native: gemmBatch expects an array of calls");
    return NULL;
  }
  GemmCall *calls = malloc(sizeof(GemmCall) * (n > 0 ? n : 1));
  if (!calls) { napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  for (uint32_t i = 0; i < n; i++) {
    napi_value c, v[10]; uint32_t len = 0;
    if (napi_get_element(env, argv[0], i, &c) != napi_ok || napi_get_array_length(env, c, &len) != napi_ok || len != 10) {
      free(calls); napi_throw_type_error(env, NULL, "grokbench native: gemmBatch call must be [ta, tb, M, N, K, alpha, A, B, beta, C]"); return NULL;
    }
    for (uint32_t j = 0; j < 10; j++) if (napi_get_element(env, c, j, &v[j]) != napi_ok) { free(calls); return NULL; }
    GemmCall *g = &calls[i]; double alpha, beta; float *A, *B, *C; size_t la, lb, lc;
    if (!get_bool(env, v[0], &g->ta) || !get_bool(env, v[1], &g->tb) || !get_int(env, v[2], &g->M) || !get_int(env, v[3], &g->N) ||
        !get_int(env, v[4], &g->K) || !get_num(env, v[5], &alpha) || !get_f32(env, v[6], &A, &la) || !get_f32(env, v[7], &B, &lb) ||
        !get_num(env, v[8], &beta) || !get_f32(env, v[9], &C, &lc)) { free(calls); return NULL; }
    if ((size_t)g->M * g->K > la || (size_t)g->K * g->N > lb || (size_t)g->M * g->N > lc) {
      free(calls); napi_throw_range_error(env, NULL, "grokbench native: gemm operand too small"); return NULL;
    }
    g->alpha = (float)alpha; g->beta = (float)beta; g->A = A; g->B = B; g->C = C;
  }
  int failed = 0;
  #pragma omp parallel for schedule(dynamic, 1) if (n > 1)
  for (uint32_t i = 0; i < n; i++) {
    const GemmCall *g = &calls[i];
    if (g->M == 0 || g->N == 0) continue;
    if (gemm_f32(g->ta, g->tb, g->M, g->N, g->K, g->alpha, g->A, g->B, g->beta, g->C) != 0) {
      #pragma omp atomic write
      failed = 1;
    }
  }
  free(calls);
  if (failed) napi_throw_error(env, NULL, "grokbench native: out of memory");
  return NULL;
}

/* mixTokens(N, H, p, width, a, b, w, tables, base, out, relu, preOut) */
static napi_value MixTokens(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!get_args(env, info, 12, argv)) return NULL;
  int N, H, p, width, relu; int32_t *a, *b; float *w, *T, *base, *out, *pre = NULL;
  size_t la, lb, lw, lT, lbase, lout, lpre = 0;
  if (!get_int(env, argv[0], &N) || !get_int(env, argv[1], &H) || !get_int(env, argv[2], &p) ||
      !get_int(env, argv[3], &width) || !get_i32arr(env, argv[4], &a, &la) || !get_i32arr(env, argv[5], &b, &lb) ||
      !get_f32(env, argv[6], &w, &lw) || !get_f32(env, argv[7], &T, &lT) || !get_f32(env, argv[8], &base, &lbase) ||
      !get_f32(env, argv[9], &out, &lout) || !get_bool(env, argv[10], &relu)) return NULL;
  if (!is_null(env, argv[11]) && !get_f32(env, argv[11], &pre, &lpre)) return NULL;
  const int R = 2 * p + 1;
  if (la < (size_t)N || lb < (size_t)N || lw < (size_t)N * H * 3 || lT < (size_t)H * R * width ||
      lbase < (size_t)width || lout < (size_t)N * width || (pre && lpre < (size_t)N * width)) {
    napi_throw_range_error(env, NULL, "grokbench native: mixTokens operand too small");
    return NULL;
  }
  if (H > 32) { napi_throw_range_error(env, NULL, "grokbench native: mixTokens supports at most 32 heads"); return NULL; }
  if (!check_tokens(env, a, b, N, p, "grokbench native: mixTokens token index out of range")) return NULL;
  /* Whole rows (column blocks, to keep a block of the tables in L2 while the samples stream
   * through it, were slower at every width tried: p=113, width 512, 8939 samples, one thread, AMD
   * Zen 5: blocks of 64 2.9 ms, 128 3.3–4.1 ms, 256 2.2 ms, whole rows 1.9 ms), chunks of 64
   * samples split across threads. */
  const int chunks = (N + 63) / 64;
  #pragma omp parallel for schedule(static) if ((double)N * H * width > PAR_MIN)
  for (int c = 0; c < chunks; c++) {
    const int n0 = c * 64, rows = N - n0 < 64 ? N - n0 : 64;
    mix_span(rows, H, p, width, width, a + n0, b + n0, w + (size_t)n0 * H * 3, T, base, out + (size_t)n0 * width, width,
             pre ? pre + (size_t)n0 * width : NULL, relu);
  }
  return NULL;
}

/* attnWeights(N, H, p, a, b, S, w) */
static napi_value AttnWeights(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_args(env, info, 7, argv)) return NULL;
  int N, H, p; int32_t *a, *b; float *S, *w; size_t la, lb, lS, lw;
  if (!get_int(env, argv[0], &N) || !get_int(env, argv[1], &H) || !get_int(env, argv[2], &p) ||
      !get_i32arr(env, argv[3], &a, &la) || !get_i32arr(env, argv[4], &b, &lb) ||
      !get_f32(env, argv[5], &S, &lS) || !get_f32(env, argv[6], &w, &lw)) return NULL;
  const int R = 2 * p + 1;
  if (la < (size_t)N || lb < (size_t)N || lS < (size_t)H * R || lw < (size_t)N * H * 3) {
    napi_throw_range_error(env, NULL, "grokbench native: attnWeights operand too small");
    return NULL;
  }
  if (!check_tokens(env, a, b, N, p, "grokbench native: attnWeights token index out of range")) return NULL;
  /* Chunks of 64 samples, vectorised over (sample, head) pairs within each. */
  const int chunks = (N + 63) / 64;
  #pragma omp parallel for schedule(static) if ((double)N * H * 64 > PAR_MIN)
  for (int c = 0; c < chunks; c++) {
    const int n0 = c * 64, rows = N - n0 < 64 ? N - n0 : 64;
    path->attn_rows(S, R, p, a + n0, b + n0, rows, H, w + (size_t)n0 * H * 3);
  }
  return NULL;
}

/* s[j] += Σ_i A[i, j] (A [M, N], rows lda apart), each column's sum over the rows in order in float64; threads split the columns (blocks of 64). */
static void col_sums(const float *A, int M, int N, long lda, double *s) {
  const int nb = (N + 63) / 64;
  #pragma omp parallel for schedule(static) if ((double)M * N > PAR_MIN)
  for (int blk = 0; blk < nb; blk++) path->colsum(A, M, lda, blk * 64, blk * 64 + 64 < N ? blk * 64 + 64 : N, s);
}

/*
 * mixTokensBackward after its dot products gd[n, h, j] = dOut[n]·T[h, tok_j(n)]: the softmax
 * backward into dS (serial, in sample order), then dT[h, tok_j(n)] += w·dOut[n].
 */
static void mix_backward_scatter(int N, int H, int p, int width, const int32_t *a, const int32_t *b, const float *w,
                                 const float *dOut, long ldo, const float *gd, float *dT, float *dS) {
  const int R = 2 * p + 1;
  /* Phase 2 (serial, in sample order): the softmax backward into dS. */
  for (int n = 0; n < N; n++) {
    for (int h = 0; h < H; h++) {
      const float *wn = w + ((size_t)n * H + h) * 3, *gn = gd + ((size_t)n * H + h) * 3;
      const float s = wn[0] * gn[0] + wn[1] * gn[1] + wn[2] * gn[2];
      dS[(size_t)h * R + a[n]] += wn[0] * (gn[0] - s);
      dS[(size_t)h * R + p + b[n]] += wn[1] * (gn[1] - s);
      dS[(size_t)h * R + 2 * p] += wn[2] * (gn[2] - s);
    }
  }
  /* Phase 3 (parallel over column blocks of SCATTER_BW, the heads one after another within each,
   * samples in order within each head): dT[h, tok_j(n)] += w·dOut[n]. Consecutive heads stream the
   * same block of dOut's columns. */
  const int nb = (width + SCATTER_BW - 1) / SCATTER_BW;
  #pragma omp parallel for schedule(dynamic, 1) if ((double)N * H * width > PAR_MIN)
  for (int blk = 0; blk < nb; blk++) {
    const int c0 = blk * SCATTER_BW, bw = width - c0 < SCATTER_BW ? width - c0 : SCATTER_BW;
    for (int h = 0; h < H; h++) {
      float *Th = dT + (size_t)h * R * width;
      if (bw == SCATTER_BW) path->scatter_blk(Th, dOut, N, ldo, width, c0, a, b, w, H, h, p);
      else path->scatter_tail(Th, dOut, N, ldo, width, c0, bw, a, b, w, H, h, p);
    }
  }
}

/* mixTokensBackward(N, H, p, width, a, b, w, tables, dOut, dTables, dS) */
static napi_value MixTokensBackward(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!get_args(env, info, 11, argv)) return NULL;
  int N, H, p, width; int32_t *a, *b; float *w, *T, *dOut, *dT, *dS;
  size_t la, lb, lw, lT, ldo, ldT, ldS;
  if (!get_int(env, argv[0], &N) || !get_int(env, argv[1], &H) || !get_int(env, argv[2], &p) ||
      !get_int(env, argv[3], &width) || !get_i32arr(env, argv[4], &a, &la) || !get_i32arr(env, argv[5], &b, &lb) ||
      !get_f32(env, argv[6], &w, &lw) || !get_f32(env, argv[7], &T, &lT) || !get_f32(env, argv[8], &dOut, &ldo) ||
      !get_f32(env, argv[9], &dT, &ldT) || !get_f32(env, argv[10], &dS, &ldS)) return NULL;
  const int R = 2 * p + 1;
  if (la < (size_t)N || lb < (size_t)N || lw < (size_t)N * H * 3 || lT < (size_t)H * R * width ||
      ldo < (size_t)N * width || ldT < (size_t)H * R * width || ldS < (size_t)H * R) {
    napi_throw_range_error(env, NULL, "grokbench native: mixTokensBackward operand too small");
    return NULL;
  }
  if (H > 32) { napi_throw_range_error(env, NULL, "grokbench native: mixTokensBackward supports at most 32 heads"); return NULL; }
  if (!check_tokens(env, a, b, N, p, "grokbench native: mixTokensBackward token index out of range")) return NULL;
  /* Phase 1 (parallel over samples): the dot products g_j = dOut[n]·T[h, tok_j(n)]. */
  float *gd = malloc(sizeof(float) * (size_t)N * H * 3);
  if (!gd) { napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  #pragma omp parallel for schedule(static) if ((double)N * H * width > PAR_MIN)
  for (int n = 0; n < N; n++) {
    const float *g = dOut + (size_t)n * width;
    const float *rows[96];
    token_rows(T, width, H, p, a[n], b[n], rows);
    path->dots(g, rows, 3 * H, width, gd + (size_t)n * H * 3);
  }
  mix_backward_scatter(N, H, p, width, a, b, w, dOut, width, gd, dT, dS);
  free(gd);
  return NULL;
}

/*
 * mlpLoss(N, H, p, m, a, b, S, wOut, P, basePre, postOut, OU, baseU, WoutU, targets, dLogits, scale)
 *   -> [lossSum, correct]
 * The model's forward pass from the attention scores to the loss, fused per tile of rows (see
 * kernels.ts mlpLoss): attention weights, post = relu(mixTokens(P)), logits = mixTokens(OU) +
 * post·WoutU (the gemm's FMA chains over k = 0..m−1, beta = 1), the cross-entropy. Each tile's
 * post-activations and logits stay in cache between the steps instead of going through memory; the
 * operations on every element are those of the separate kernels, so the bits are theirs. wOut and
 * postOut (N×H×3, N×m) receive w and post when given (the backward pass needs them).
 */
static napi_value MlpLoss(napi_env env, napi_callback_info info) {
  napi_value argv[17];
  if (!get_args(env, info, 17, argv)) return NULL;
  int N, H, p, m; int32_t *a, *b, *tg; float *S, *wOut = NULL, *P, *basePre, *postOut = NULL, *OU, *baseU, *WoutU, *dL = NULL;
  size_t la, lb, lS, lw = 0, lP, lbp, lpo = 0, lOU, lbu, lWU, lt, ldL = 0; double scale;
  if (!get_int(env, argv[0], &N) || !get_int(env, argv[1], &H) || !get_int(env, argv[2], &p) || !get_int(env, argv[3], &m) ||
      !get_i32arr(env, argv[4], &a, &la) || !get_i32arr(env, argv[5], &b, &lb) || !get_f32(env, argv[6], &S, &lS)) return NULL;
  if (!is_null(env, argv[7]) && !get_f32(env, argv[7], &wOut, &lw)) return NULL;
  if (!get_f32(env, argv[8], &P, &lP) || !get_f32(env, argv[9], &basePre, &lbp)) return NULL;
  if (!is_null(env, argv[10]) && !get_f32(env, argv[10], &postOut, &lpo)) return NULL;
  if (!get_f32(env, argv[11], &OU, &lOU) || !get_f32(env, argv[12], &baseU, &lbu) || !get_f32(env, argv[13], &WoutU, &lWU) ||
      !get_i32arr(env, argv[14], &tg, &lt)) return NULL;
  if (!is_null(env, argv[15]) && !get_f32(env, argv[15], &dL, &ldL)) return NULL;
  if (!get_num(env, argv[16], &scale)) return NULL;
  const int R = 2 * p + 1, V = p;
  if (N < 0 || H < 1 || p < 1 || m < 1) { napi_throw_range_error(env, NULL, "grokbench native: mlpLoss needs N >= 0 and H, p, m >= 1"); return NULL; }
  if (la < (size_t)N || lb < (size_t)N || lS < (size_t)H * R || (wOut && lw < (size_t)N * H * 3) || lP < (size_t)H * R * m ||
      lbp < (size_t)m || (postOut && lpo < (size_t)N * m) || lOU < (size_t)H * R * V || lbu < (size_t)V || lWU < (size_t)m * V ||
      lt < (size_t)N || (dL && ldL < (size_t)N * V)) {
    napi_throw_range_error(env, NULL, "grokbench native: mlpLoss operand too small");
    return NULL;
  }
  if (H > 32) { napi_throw_range_error(env, NULL, "grokbench native: mlpLoss supports at most 32 heads"); return NULL; }
  if (!check_tokens(env, a, b, N, p, "grokbench native: mlpLoss token index out of range")) return NULL;
  if (!check_targets(env, tg, N, V, "grokbench native: mlpLoss target index out of range")) return NULL;
  const int MR = path->mr, NR = path->nr;
  const int Np = (V + NR - 1) / NR * NR, panels = Np / NR;
  const int RT = MR * ((32 + MR - 1) / MR); /* rows per tile: a whole number of micro-kernel tiles */
  const int tiles = (N + RT - 1) / RT;
  /* P (copied) and the local post tile have rows 64 bytes longer than m floats: with rows m·4 =
   * 2 kB apart, the same column of every row the mix reads and writes falls in the same few L1
   * sets (12 rows per sample already fill a set's 12 ways) and the post stores alias the table
   * loads 4 kB apart (see mlpBackward). The train pass copies each post row out to postOut. */
  const long ldt = m + 16;
  float *Pp = aligned_alloc(64, sizeof(float) * (((size_t)H * R * ldt + 15) / 16 * 16));
  float *Bp = aligned_alloc(64, sizeof(float) * (((size_t)m * Np + 15) / 16 * 16));
  double *rowLoss = malloc(sizeof(double) * (size_t)(N > 0 ? N : 1));
  int *rowOk = malloc(sizeof(int) * (size_t)(N > 0 ? N : 1));
  if (!Bp || !Pp || !rowLoss || !rowOk) { free(Bp); free(Pp); free(rowLoss); free(rowOk); napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  int oom = 0;
  #pragma omp parallel if ((double)N * m * V > PAR_MIN)
  {
    /* Pack WoutU (m×V) in NR-column panels, zero padded, as gemm_f32 packs op(B); copy P's rows ldt apart. */
    #pragma omp for schedule(static) nowait
    for (int q = 0; q < panels; q++) pack_panel(0, V, m, WoutU, q, Bp + (size_t)q * m * NR);
    #pragma omp for schedule(static)
    for (int r = 0; r < H * R; r++) memcpy(Pp + (size_t)r * ldt, P + (size_t)r * m, sizeof(float) * m);
    float *wt = wOut ? NULL : malloc(sizeof(float) * (size_t)RT * H * 3);
    float *pt = aligned_alloc(64, sizeof(float) * (((size_t)RT * ldt + 15) / 16 * 16));
    float *lt = aligned_alloc(64, sizeof(float) * (size_t)RT * Np);
    float *Ap = aligned_alloc(64, sizeof(float) * (((size_t)MR * m + 15) / 16 * 16));
    float *Ct = aligned_alloc(64, sizeof(float) * (size_t)MR * NR);
    double *e = aligned_alloc(64, sizeof(double) * (((size_t)V + 7) / 8 * 8));
    const int ok = (wOut || wt) && pt && lt && Ap && Ct && e;
    if (!ok) {
      #pragma omp atomic write
      oom = 1;
    } else memset(lt, 0, sizeof(float) * (size_t)RT * Np);
    #pragma omp for schedule(dynamic, 2)
    for (int tile = 0; tile < tiles; tile++) {
      if (!ok) continue;
      const int i0 = tile * RT, rows = N - i0 < RT ? N - i0 : RT;
      float *w = wOut ? wOut + (size_t)i0 * H * 3 : wt;
      float *post = pt;
      path->attn_rows(S, R, p, a + i0, b + i0, rows, H, w);
      mix_span(rows, H, p, m, ldt, a + i0, b + i0, w, Pp, basePre, post, ldt, NULL, 1);
      mix_span(rows, H, p, V, V, a + i0, b + i0, w, OU, baseU, lt, Np, NULL, 0);
      /* logits += post·WoutU (columns up to the padded width Np are scratch). */
      rows_by_panels(post, ldt, rows, m, Bp, V, Np, lt, Np, 1.0f, 1.0f, Ap, Ct);
      for (int r = 0; r < rows; r++) {
        const int n = i0 + r;
        rowLoss[n] = path->ce_row(lt + (size_t)r * Np, V, tg[n], dL ? dL + (size_t)n * V : NULL, scale, e, &rowOk[n]);
        if (postOut) memcpy(postOut + (size_t)n * m, post + (size_t)r * ldt, sizeof(float) * m);
      }
    }
    free(wt); free(pt); free(lt); free(Ap); free(Ct); free(e);
  }
  free(Bp); free(Pp);
  if (oom) { free(rowLoss); free(rowOk); napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  return loss_result(env, N, rowLoss, rowOk);
}

/* dX[i] = pre[i] > 0 ? dX[i] : 0 for i < n (reluBackward). */
static void relu_mask(const float *restrict pre, float *restrict dX, size_t n) {
  for (size_t i = 0; i < n; i++) dX[i] = pre[i] > 0.0f ? dX[i] : 0.0f;
}

/*
 * mlpBackward(N, H, p, m, a, b, w, P, post, dLogits, WoutU, dpre|null, dP, dS, dBasePre)
 * The MLP's share of the backward pass (see kernels.ts mlpBackward), bit for bit:
 *   gemm(false, true, N, m, p, 1, dLogits, WoutU, 0, dpre); reluBackward(N·m, post, dpre);
 *   mixTokensBackward(N, H, p, m, a, b, w, P, dpre, dP, dS); colSum(N, m, dpre, dBasePre, false)
 * with the GEMM, the relu mask and the dot products of mixTokensBackward fused per tile of rows
 * (the tile of dpre stays in cache between them).
 */
static napi_value MlpBackward(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!get_args(env, info, 15, argv)) return NULL;
  int N, H, p, m; int32_t *a, *b; float *w, *P, *post, *dl, *WoutU, *dpre = NULL, *dP, *dS, *dBasePre;
  size_t la, lb, lw, lP, lpo, ldl, lWU, ldp = 0, ldP, ldS, ldb;
  if (!get_int(env, argv[0], &N) || !get_int(env, argv[1], &H) || !get_int(env, argv[2], &p) || !get_int(env, argv[3], &m) ||
      !get_i32arr(env, argv[4], &a, &la) || !get_i32arr(env, argv[5], &b, &lb) || !get_f32(env, argv[6], &w, &lw) ||
      !get_f32(env, argv[7], &P, &lP) || !get_f32(env, argv[8], &post, &lpo) || !get_f32(env, argv[9], &dl, &ldl) ||
      !get_f32(env, argv[10], &WoutU, &lWU) || (!is_null(env, argv[11]) && !get_f32(env, argv[11], &dpre, &ldp)) || !get_f32(env, argv[12], &dP, &ldP) ||
      !get_f32(env, argv[13], &dS, &ldS) || !get_f32(env, argv[14], &dBasePre, &ldb)) return NULL;
  const int R = 2 * p + 1;
  if (N < 0 || H < 1 || p < 1 || m < 1) { napi_throw_range_error(env, NULL, "grokbench native: mlpBackward needs N >= 0 and H, p, m >= 1"); return NULL; }
  if (la < (size_t)N || lb < (size_t)N || lw < (size_t)N * H * 3 || lP < (size_t)H * R * m || lpo < (size_t)N * m ||
      ldl < (size_t)N * p || lWU < (size_t)m * p || (dpre && ldp < (size_t)N * m) || ldP < (size_t)H * R * m || ldS < (size_t)H * R || ldb < (size_t)m) {
    napi_throw_range_error(env, NULL, "grokbench native: mlpBackward operand too small");
    return NULL;
  }
  if (H > 32) { napi_throw_range_error(env, NULL, "grokbench native: mlpBackward supports at most 32 heads"); return NULL; }
  if (!check_tokens(env, a, b, N, p, "grokbench native: mlpBackward token index out of range")) return NULL;
  const int MR = path->mr, NR = path->nr, panels = (m + NR - 1) / NR;
  const int RT = MR * ((32 + MR - 1) / MR);
  const int tiles = (N + RT - 1) / RT;
  float *Bp = aligned_alloc(64, sizeof(float) * (((size_t)p * panels * NR + 15) / 16 * 16));
  float *gd = malloc(sizeof(float) * ((size_t)N * H * 3 + 1));
  /* dpre in a scratch whose rows are 64 bytes longer than m floats: rows m·4 = 2 kB apart put every
   * row's same column at the same 4 kB offset as the table rows the scatter updates, and loads
   * of dpre then wait on unrelated stores to the tables (4 kB aliasing). */
  const long ldq = m + 16;
  float *dq = aligned_alloc(64, sizeof(float) * (((size_t)(N > 0 ? N : 1) * ldq + 15) / 16 * 16));
  double *s = calloc((size_t)m, sizeof(double));
  if (!Bp || !gd || !s || !dq) { free(Bp); free(gd); free(s); free(dq); napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  int oom = 0;
  #pragma omp parallel if ((double)N * m * p > PAR_MIN)
  {
    /* op(B) = WoutUᵀ (p×m), packed as gemm_f32 packs it. */
    #pragma omp for schedule(static)
    for (int q = 0; q < panels; q++) pack_panel(1, m, p, WoutU, q, Bp + (size_t)q * p * NR);
    float *Ap = aligned_alloc(64, sizeof(float) * (((size_t)MR * p + 15) / 16 * 16));
    float *Ct = aligned_alloc(64, sizeof(float) * (size_t)MR * NR);
    if (!Ap || !Ct) {
      #pragma omp atomic write
      oom = 1;
    }
    #pragma omp for schedule(dynamic, 2)
    for (int tile = 0; tile < tiles; tile++) {
      if (!Ap || !Ct) continue;
      const int i0 = tile * RT, rows = N - i0 < RT ? N - i0 : RT;
      float *dp = dq + (size_t)i0 * ldq;
      rows_by_panels(dl + (size_t)i0 * p, p, rows, p, Bp, m, m, dp, ldq, 1.0f, 0.0f, Ap, Ct);
      for (int r = 0; r < rows; r++) relu_mask(post + (size_t)(i0 + r) * m, dp + (size_t)r * ldq, (size_t)m);
      for (int r = 0; r < rows; r++) {
        const int n = i0 + r;
        const float *trows[96];
        token_rows(P, m, H, p, a[n], b[n], trows);
        path->dots(dp + (size_t)r * ldq, trows, 3 * H, m, gd + (size_t)n * H * 3);
      }
    }
    free(Ap); free(Ct);
  }
  free(Bp);
  if (oom) { free(gd); free(s); free(dq); napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  mix_backward_scatter(N, H, p, m, a, b, w, dq, ldq, gd, dP, dS);
  free(gd);
  col_sums(dq, N, m, ldq, s);
  if (dpre) for (int n = 0; n < N; n++) memcpy(dpre + (size_t)n * m, dq + (size_t)n * ldq, sizeof(float) * m);
  free(dq);
  for (int j = 0; j < m; j++) dBasePre[j] = (float)s[j];
  free(s);
  return NULL;
}

/* addRow(M, N, A, row) */
static napi_value AddRow(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  int M, N; float *A, *row; size_t lA, lr;
  if (!get_int(env, argv[0], &M) || !get_int(env, argv[1], &N) || !get_f32(env, argv[2], &A, &lA) ||
      !get_f32(env, argv[3], &row, &lr)) return NULL;
  if (lA < (size_t)M * N || lr < (size_t)N) { napi_throw_range_error(env, NULL, "grokbench native: addRow operand too small"); return NULL; }
  for (int i = 0; i < M; i++) { float *o = A + (size_t)i * N; for (int j = 0; j < N; j++) o[j] += row[j]; }
  return NULL;
}

/* reluBackward(n, pre, dX) */
static napi_value ReluBackward(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  int n; float *pre, *dX; size_t lp, ld;
  if (!get_int(env, argv[0], &n) || !get_f32(env, argv[1], &pre, &lp) || !get_f32(env, argv[2], &dX, &ld)) return NULL;
  if (lp < (size_t)n || ld < (size_t)n) { napi_throw_range_error(env, NULL, "grokbench native: reluBackward operand too small"); return NULL; }
  #pragma omp parallel for schedule(static) if (n > PAR_MIN)
  for (int i = 0; i < n; i++) dX[i] = pre[i] > 0.0f ? dX[i] : 0.0f;
  return NULL;
}

/* crossEntropy(N, V, logits, targets, dLogits, scale) -> [lossSum, correct] */
static napi_value CrossEntropy(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv)) return NULL;
  int N, V; float *L, *dL = NULL; int32_t *tg; double scale; size_t lL, lt, ldL = 0;
  if (!get_int(env, argv[0], &N) || !get_int(env, argv[1], &V) || !get_f32(env, argv[2], &L, &lL) ||
      !get_i32arr(env, argv[3], &tg, &lt) || !get_num(env, argv[5], &scale)) return NULL;
  if (!is_null(env, argv[4]) && !get_f32(env, argv[4], &dL, &ldL)) return NULL;
  if (V < 1) { napi_throw_range_error(env, NULL, "grokbench native: crossEntropy needs at least one class"); return NULL; }
  if (lL < (size_t)N * V || lt < (size_t)N || (dL && ldL < (size_t)N * V)) {
    napi_throw_range_error(env, NULL, "grokbench native: crossEntropy operand too small");
    return NULL;
  }
  if (!check_targets(env, tg, N, V, "grokbench native: crossEntropy target index out of range")) return NULL;
  /* Row losses go to an array and are added in row order afterwards, so the sum is the same for
   * every thread count; the number correct is an integer. Scratch is per thread, on the heap. */
  double *rowLoss = malloc(sizeof(double) * (size_t)(N > 0 ? N : 1));
  int *rowOk = malloc(sizeof(int) * (size_t)(N > 0 ? N : 1));
  if (!rowLoss || !rowOk) { free(rowLoss); free(rowOk); napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  int oom = 0;
  #pragma omp parallel if ((double)N * V > PAR_MIN / 8)
  {
    double *e = aligned_alloc(64, sizeof(double) * (((size_t)V + 7) / 8 * 8));
    if (!e) {
      #pragma omp atomic write
      oom = 1;
    }
    #pragma omp for schedule(static)
    for (int n = 0; n < N; n++) {
      if (!e) continue;
      rowLoss[n] = path->ce_row(L + (size_t)n * V, V, tg[n], dL ? dL + (size_t)n * V : NULL, scale, e, &rowOk[n]);
    }
    free(e);
  }
  if (oom) { free(rowLoss); free(rowOk); napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  return loss_result(env, N, rowLoss, rowOk);
}

/* colSum(M, N, A, out, accumulate) */
static napi_value ColSum(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  int M, N, acc; float *A, *out; size_t lA, lo;
  if (!get_int(env, argv[0], &M) || !get_int(env, argv[1], &N) || !get_f32(env, argv[2], &A, &lA) ||
      !get_f32(env, argv[3], &out, &lo) || !get_bool(env, argv[4], &acc)) return NULL;
  if (lA < (size_t)M * N || lo < (size_t)N) { napi_throw_range_error(env, NULL, "grokbench native: colSum operand too small"); return NULL; }
  double *s = calloc((size_t)N, sizeof(double));
  if (!s) { napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  col_sums(A, M, N, N, s);
  for (int j = 0; j < N; j++) out[j] = acc ? (float)(out[j] + s[j]) : (float)s[j];
  free(s);
  return NULL;
}

/* adamw(ranges, param, grad, m, v, lr, beta1, beta2, eps, wd, step): torch.optim.AdamW, float32 ops. */
static napi_value AdamW(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!get_args(env, info, 11, argv)) return NULL;
  int32_t *ranges; float *P, *G, *Mm, *Vv; size_t lr_, lP, lG, lM, lV; double lr, b1, b2, eps, wd; int step;
  if (!get_i32arr(env, argv[0], &ranges, &lr_) || !get_f32(env, argv[1], &P, &lP) || !get_f32(env, argv[2], &G, &lG) ||
      !get_f32(env, argv[3], &Mm, &lM) || !get_f32(env, argv[4], &Vv, &lV) || !get_num(env, argv[5], &lr) ||
      !get_num(env, argv[6], &b1) || !get_num(env, argv[7], &b2) || !get_num(env, argv[8], &eps) ||
      !get_num(env, argv[9], &wd) || !get_int(env, argv[10], &step)) return NULL;
  const double bc1 = 1 - pow(b1, step), bc2 = 1 - pow(b2, step);
  const float decay = (float)(1 - lr * wd), omb1 = (float)(1 - b1), fb2 = (float)b2, omb2 = (float)(1 - b2);
  const float stepSize = (float)(lr / bc1), bc2Sqrt = (float)sqrt(bc2), feps = (float)eps;
  for (size_t r = 0; r + 1 < lr_; r += 2) {
    const size_t s = (size_t)ranges[r], e = (size_t)ranges[r + 1];
    if (e > lP || e > lG || e > lM || e > lV || s > e) { napi_throw_range_error(env, NULL, "grokbench native: adamw range out of bounds"); return NULL; }
    /* Element-wise: chunks of 4096 split across threads. */
    const long nch = (long)((e - s + 4095) / 4096);
    #pragma omp parallel for schedule(static) if (e - s > 200000)
    for (long ch = 0; ch < nch; ch++) {
      const size_t cs = s + (size_t)ch * 4096, ce = cs + 4096 < e ? cs + 4096 : e;
      path->adamw_range(P, G, Mm, Vv, cs, ce, decay, omb1, fb2, omb2, stepSize, bc2Sqrt, feps);
    }
  }
  return NULL;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int n;
  if (!get_int(env, argv[0], &n)) return NULL;
  if (n < 1 || n > GROKBENCH_MAX_THREADS) {
    napi_throw_range_error(env, NULL, "grokbench native: threads must be between 1 and " GROKBENCH_STR(GROKBENCH_MAX_THREADS));
    return NULL;
  }
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  int n = 1;
#ifdef _OPENMP
  n = omp_get_max_threads();
#endif
  CHECK(napi_create_int32(env, n, &r));
  return r;
}

#include <time.h>
static double now_s(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

/*
 * clockGHz(): the core clock measured with a chain of dependent integer adds (one cycle each on
 * every x86-64 core), the best of 40 runs of ~1.5 ms (short, so that some run is not preempted on
 * a busy machine); 0 where not measurable (not x86-64).
 */
static napi_value ClockGHz(napi_env env, napi_callback_info info) {
  (void)info;
  double best = 0;
#if defined(__x86_64__)
  for (int run = 0; run < 40; run++) {
    uint64_t x = 0, n = 50000;
    const double t0 = now_s();
    __asm__ volatile(
      "1:\n\t"
      ".rept 100\n\tadd %[one], %[x]\n\t.endr\n\t"
      "dec %[n]\n\tjnz 1b\n\t"
      : [x] "+r"(x), [n] "+r"(n) : [one] "r"((uint64_t)1) : "cc");
    const double ghz = 100.0 * 50000 / (now_s() - t0) / 1e9;
    if (ghz > best) best = ghz;
  }
#endif
  napi_value r;
  CHECK(napi_create_double(env, best, &r));
  return r;
}

/* fmaPeak(iters) -> [GFLOP/s, lanes]: one thread, 12 independent FMA chains in registers, this path's width. */
static napi_value FmaPeak(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  double iters;
  if (!get_num(env, argv[0], &iters)) return NULL;
  /* The best of 20 trials of iters/20 rounds each. */
  double gflops = 0;
  for (int trial = 0; trial < 20; trial++) {
    const double t0 = now_s();
    volatile double sink = path->fma_peak((long)(iters / 20));
    (void)sink;
    const double g = iters / 20 * 12 * 2 * path->lanes / (now_s() - t0) / 1e9;
    if (g > gflops) gflops = g;
  }
  napi_value res, x, y;
  CHECK(napi_create_array_with_length(env, 2, &res));
  CHECK(napi_create_double(env, gflops, &x));
  CHECK(napi_create_int32(env, path->lanes, &y));
  CHECK(napi_set_element(env, res, 0, x));
  CHECK(napi_set_element(env, res, 1, y));
  return res;
}

/* kernelsInfo() -> [path, reason] */
static napi_value KernelsInfo(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value res, x, y;
  CHECK(napi_create_array_with_length(env, 2, &res));
  CHECK(napi_create_string_utf8(env, path->name, NAPI_AUTO_LENGTH, &x));
  CHECK(napi_create_string_utf8(env, path_reason, NAPI_AUTO_LENGTH, &y));
  CHECK(napi_set_element(env, res, 0, x));
  CHECK(napi_set_element(env, res, 1, y));
  return res;
}

static napi_value Init(napi_env env, napi_value exports) {
  path_error = choose_path();
  if (path_error) { napi_throw_error(env, NULL, path_error); return NULL; }
  napi_property_descriptor d[] = {
    {"gemm", NULL, Gemm, NULL, NULL, NULL, napi_default, NULL},
    {"gemmBatch", NULL, GemmBatch, NULL, NULL, NULL, napi_default, NULL},
    {"mixTokens", NULL, MixTokens, NULL, NULL, NULL, napi_default, NULL},
    {"attnWeights", NULL, AttnWeights, NULL, NULL, NULL, napi_default, NULL},
    {"mixTokensBackward", NULL, MixTokensBackward, NULL, NULL, NULL, napi_default, NULL},
    {"addRow", NULL, AddRow, NULL, NULL, NULL, napi_default, NULL},
    {"reluBackward", NULL, ReluBackward, NULL, NULL, NULL, napi_default, NULL},
    {"crossEntropy", NULL, CrossEntropy, NULL, NULL, NULL, napi_default, NULL},
    {"mlpLoss", NULL, MlpLoss, NULL, NULL, NULL, napi_default, NULL},
    {"mlpBackward", NULL, MlpBackward, NULL, NULL, NULL, napi_default, NULL},
    {"colSum", NULL, ColSum, NULL, NULL, NULL, napi_default, NULL},
    {"adamw", NULL, AdamW, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
    {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_default, NULL},
    {"clockGHz", NULL, ClockGHz, NULL, NULL, NULL, napi_default, NULL},
    {"fmaPeak", NULL, FmaPeak, NULL, NULL, NULL, napi_default, NULL},
    {"kernelsInfo", NULL, KernelsInfo, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
