/*
 * grokbench's native engine: an N-API addon over OpenBLAS with the model's fused element-wise
 * kernels (float32). Every function mirrors one method of the TypeScript kernel interface
 * (src/engine/kernels.ts), whose doc comments define the semantics; src/engine/reference.ts is
 * the oracle the tests compare against. Reductions run in a fixed order (deterministic).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

/*
 * exp(x) for x <= 0 in float32, vectorisable: x = n·ln2 + r with |r| <= ln2/2, a degree-7
 * Taylor polynomial for e^r (relative error < 2e-7), and 2^n through the exponent bits.
 * Arguments below -87 give 0.
 */
static inline float exp_approx(float x) {
  const float xc = x < -87.0f ? -87.0f : x;
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (xc - n * 0.693145751953125f) - n * 1.42860682030941723e-6f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union { int32_t i; float f; } u;
  u.i = ((int32_t)n + 127) << 23;
  return x < -87.0f ? 0.0f : p * u.f;
}

/* Largest element (vectorisable; NaN-free input assumed, as NaN logits mean divergence anyway). */
static float row_max(const float *restrict x, int n) {
  float m[16];
  int j = 0;
  for (int l = 0; l < 16; l++) m[l] = -INFINITY;
  for (; j + 16 <= n; j += 16)
    for (int l = 0; l < 16; l++) m[l] = x[j + l] > m[l] ? x[j + l] : m[l];
  float r = -INFINITY;
  for (int l = 0; l < 16; l++) r = m[l] > r ? m[l] : r;
  for (; j < n; j++) r = x[j] > r ? x[j] : r;
  return r;
}

/* Sum of floats accumulated in double over 8 interleaved lanes (fixed order: deterministic). */
static double sum_f64(const float *restrict x, int n) {
  double acc[8] = {0};
  int j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) acc[l] += (double)x[j + l];
  double s = 0;
  for (int l = 0; l < 8; l++) s += acc[l];
  for (; j < n; j++) s += x[j];
  return s;
}

/* 16 floats as one value; aligned(4) lets it load from any float address. */
typedef float v16f __attribute__((vector_size(64), aligned(4)));
typedef int32_t v16i __attribute__((vector_size(64)));

/* exp_approx over 16 lanes at once (the same arithmetic as the scalar version). */
static inline v16f exp16(v16f x) {
  const v16f lo = {-87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f,
                   -87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f};
  const v16i under = x < lo;
  const v16f xc = (v16f)(((v16i)lo & under) | ((v16i)x & ~under));
  /* round to nearest through the 1.5·2^23 trick (|y| < 2^22) */
  const v16f n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const v16f r = (xc - n * 0.693145751953125f) - n * 1.42860682030941723e-6f;
  v16f p = r * (1.0f / 5040.0f) + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const v16i bits = (__builtin_convertvector(n, v16i) + 127) << 23;
  v16f scale;
  memcpy(&scale, &bits, sizeof scale);
  return (v16f)((v16i)(p * scale) & ~under);
}

static void exp_shifted(const float *restrict x, float *restrict out, int n, float shift) {
  int j = 0;
  for (; j + 16 <= n; j += 16) *(v16f *)(out + j) = exp16(*(const v16f *)(x + j) - shift);
  for (; j < n; j++) out[j] = exp_approx(x[j] - shift);
}


/* out = base + Σ_i ws[i]·rows[i], 16 columns at a time in registers (each output written once). */
static void mix_rows(float *restrict out, const float *restrict base, const float *const *rows, const float *ws,
                     int nrows, int width) {
  int c = 0;
  /* Four independent accumulators hide the latency of the multiply-add chain. */
  for (; c + 64 <= width; c += 64) {
    v16f a0 = *(const v16f *)(base + c), a1 = *(const v16f *)(base + c + 16);
    v16f a2 = *(const v16f *)(base + c + 32), a3 = *(const v16f *)(base + c + 48);
    for (int i = 0; i < nrows; i++) {
      const float *t = rows[i] + c;
      const float wi = ws[i];
      a0 += wi * *(const v16f *)t; a1 += wi * *(const v16f *)(t + 16);
      a2 += wi * *(const v16f *)(t + 32); a3 += wi * *(const v16f *)(t + 48);
    }
    *(v16f *)(out + c) = a0; *(v16f *)(out + c + 16) = a1;
    *(v16f *)(out + c + 32) = a2; *(v16f *)(out + c + 48) = a3;
  }
  for (; c + 16 <= width; c += 16) {
    v16f acc = *(const v16f *)(base + c);
    for (int i = 0; i < nrows; i++) acc += ws[i] * *(const v16f *)(rows[i] + c);
    *(v16f *)(out + c) = acc;
  }
  for (; c < width; c++) {
    float acc = base[c];
    for (int i = 0; i < nrows; i++) acc += ws[i] * rows[i][c];
    out[c] = acc;
  }
}

/* d += w·g over `width` columns. */
static void axpy(float *restrict d, const float *restrict g, float w, int width) {
  for (int c = 0; c < width; c++) d[c] += w * g[c];
}

/* Dot product in a fixed order: 16 interleaved partial sums, then their sum (vectorisable, deterministic). */
static float dot(const float *restrict x, const float *restrict y, int n) {
  float acc[16] = {0};
  int c = 0;
  for (; c + 16 <= n; c += 16)
    for (int l = 0; l < 16; l++) acc[l] += x[c + l] * y[c + l];
  float s = 0;
  for (int l = 0; l < 16; l++) s += acc[l];
  for (; c < n; c++) s += x[c] * y[c];
  return s;
}

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
  if (K == 0) { /* C = beta*C */
    for (size_t i = 0; i < (size_t)M * N; i++) C[i] = beta == 0 ? 0.0f : (float)(beta * C[i]);
    return NULL;
  }
  /* OpenBLAS runs single-threaded; the OpenMP threads split C by rows (or by columns when it has
   * few rows), so one pool of threads serves the GEMMs and the element-wise kernels alike. */
  const int lda = ta ? M : K, ldb = tb ? K : N;
  const CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  int nt = 1;
#ifdef _OPENMP
  nt = omp_get_max_threads();
#endif
  const double work = 2.0 * M * N * K;
  if (nt <= 1 || work < 16 * PAR_MIN) {
    cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, (float)alpha, A, lda, B, ldb, (float)beta, C, N);
    return NULL;
  }
  const int byRows = M >= N || M >= 64 * nt;
  #pragma omp parallel num_threads(nt)
  {
    int t = 0;
#ifdef _OPENMP
    t = omp_get_thread_num();
#endif
    const int total = byRows ? M : N;
    /* Slices rounded to 16 so that every thread's block keeps the kernels' full width. */
    int chunk = (total + nt - 1) / nt;
    chunk = (chunk + 15) / 16 * 16;
    const int s0 = t * chunk, s1 = s0 + chunk < total ? s0 + chunk : total;
    if (s0 < s1) {
      if (byRows) {
        const float *As = ta ? A + s0 : A + (size_t)s0 * K;
        cblas_sgemm(CblasRowMajor, TA, TB, s1 - s0, N, K, (float)alpha, As, lda, B, ldb, (float)beta, C + (size_t)s0 * N, N);
      } else {
        const float *Bs = tb ? B + (size_t)s0 * K : B + s0;
        cblas_sgemm(CblasRowMajor, TA, TB, M, s1 - s0, K, (float)alpha, A, lda, Bs, ldb, (float)beta, C + s0, N);
      }
    }
  }
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
  /* Column blocks of 128 keep the block of the tables (H·R rows × 512 bytes) in L2 while all
   * samples stream through it; rows are gathered per sample. */
  const int BLOCK = 128;
  for (int c0 = 0; c0 < width; c0 += BLOCK) {
    const int bw = width - c0 < BLOCK ? width - c0 : BLOCK;
    #pragma omp parallel for schedule(static) if ((double)N * H * bw > PAR_MIN)
    for (int n = 0; n < N; n++) {
      const float *rows[96]; float ws[96];
      float *o = out + (size_t)n * width + c0;
      for (int h = 0; h < H; h++) {
        const float *wn = w + ((size_t)n * H + h) * 3;
        rows[3 * h] = T + ((size_t)h * R + a[n]) * width + c0;
        rows[3 * h + 1] = T + ((size_t)h * R + p + b[n]) * width + c0;
        rows[3 * h + 2] = T + ((size_t)h * R + 2 * p) * width + c0;
        ws[3 * h] = wn[0]; ws[3 * h + 1] = wn[1]; ws[3 * h + 2] = wn[2];
      }
      mix_rows(o, base + c0, rows, ws, 3 * H, bw);
      if (pre) memcpy(pre + (size_t)n * width + c0, o, sizeof(float) * bw);
      if (relu) for (int c = 0; c < bw; c++) o[c] = o[c] > 0.0f ? o[c] : 0.0f;
    }
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
  #pragma omp parallel for schedule(static) if ((double)N * H * 64 > PAR_MIN)
  for (int n = 0; n < N; n++) {
    for (int h = 0; h < H; h++) {
      const double x0 = S[h * R + a[n]], x1 = S[h * R + p + b[n]], x2 = S[h * R + 2 * p];
      const double mx = fmax(x0, fmax(x1, x2));
      const double e0 = exp(x0 - mx), e1 = exp(x1 - mx), e2 = exp(x2 - mx);
      const double z = e0 + e1 + e2;
      float *o = w + ((size_t)n * H + h) * 3;
      o[0] = (float)(e0 / z); o[1] = (float)(e1 / z); o[2] = (float)(e2 / z);
    }
  }
  return NULL;
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
  /* Phase 1 (parallel over samples): the dot products g_j = dOut[n]·T[h, tok_j(n)]. */
  float *gd = malloc(sizeof(float) * (size_t)N * H * 3);
  if (!gd) { napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
  #pragma omp parallel for schedule(static) if ((double)N * H * width > PAR_MIN)
  for (int n = 0; n < N; n++) {
    const float *g = dOut + (size_t)n * width;
    for (int h = 0; h < H; h++) {
      float *o = gd + ((size_t)n * H + h) * 3;
      o[0] = dot(g, T + ((size_t)h * R + a[n]) * width, width);
      o[1] = dot(g, T + ((size_t)h * R + p + b[n]) * width, width);
      o[2] = dot(g, T + ((size_t)h * R + 2 * p) * width, width);
    }
  }
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
  free(gd);
  /* Phase 3 (parallel over column blocks, samples in order within each): dT[h, tok_j(n)] += w·dOut[n]. */
  const int BLOCK = 64;
  const int nb = (width + BLOCK - 1) / BLOCK;
  #pragma omp parallel for schedule(static) if ((double)N * H * width > PAR_MIN)
  for (int blk = 0; blk < nb; blk++) {
    const int c0 = blk * BLOCK, bw = width - c0 < BLOCK ? width - c0 : BLOCK;
    for (int n = 0; n < N; n++) {
      const float *g = dOut + (size_t)n * width + c0;
      for (int h = 0; h < H; h++) {
        const float *wn = w + ((size_t)n * H + h) * 3;
        axpy(dT + ((size_t)h * R + a[n]) * width + c0, g, wn[0], bw);
        axpy(dT + ((size_t)h * R + p + b[n]) * width + c0, g, wn[1], bw);
        axpy(dT + ((size_t)h * R + 2 * p) * width + c0, g, wn[2], bw);
      }
    }
  }
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
  if (V > 4096) { napi_throw_range_error(env, NULL, "grokbench native: crossEntropy supports at most 4096 classes"); return NULL; }
  if (lL < (size_t)N * V || lt < (size_t)N || (dL && ldL < (size_t)N * V)) {
    napi_throw_range_error(env, NULL, "grokbench native: crossEntropy operand too small");
    return NULL;
  }
  /* Per-thread partial sums over fixed static chunks, added in thread order. */
  double partLoss[64] = {0}; int partCorrect[64] = {0}; int nthreads = 1;
  #pragma omp parallel if ((double)N * V > PAR_MIN / 8)
  {
    int tid = 0;
#ifdef _OPENMP
    tid = omp_get_thread_num();
    #pragma omp single
    nthreads = omp_get_num_threads();
#endif
    float e[4096];
    double ls = 0; int cr = 0;
    #pragma omp for schedule(static)
    for (int n = 0; n < N; n++) {
      const float *o = L + (size_t)n * V;
      const float mx = row_max(o, V);
      int arg = 0;
      while (arg < V - 1 && o[arg] != mx) arg++; /* the first maximum wins */
      exp_shifted(o, e, V, mx);
      const double z = sum_f64(e, V);
      ls += log(z) - ((double)o[tg[n]] - mx);
      if (arg == tg[n]) cr++;
      if (dL) {
        float *d = dL + (size_t)n * V;
        const float s = (float)(scale / z);
        for (int j = 0; j < V; j++) d[j] = e[j] * s;
        d[tg[n]] -= (float)scale;
      }
    }
    if (tid < 64) { partLoss[tid] = ls; partCorrect[tid] = cr; }
  }
  double lossSum = 0; int correct = 0;
  for (int t = 0; t < nthreads && t < 64; t++) { lossSum += partLoss[t]; correct += partCorrect[t]; }
  napi_value res, x, y;
  CHECK(napi_create_array_with_length(env, 2, &res));
  CHECK(napi_create_double(env, lossSum, &x));
  CHECK(napi_create_int32(env, correct, &y));
  CHECK(napi_set_element(env, res, 0, x));
  CHECK(napi_set_element(env, res, 1, y));
  return res;
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
  for (int i = 0; i < M; i++) { const float *r = A + (size_t)i * N; for (int j = 0; j < N; j++) s[j] += r[j]; }
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
    for (size_t i = s; i < e; i++) {
      const float g = G[i];
      P[i] = P[i] * decay;
      Mm[i] = Mm[i] + omb1 * (g - Mm[i]);
      Vv[i] = Vv[i] * fb2 + omb2 * g * g;
      const float denom = sqrtf(Vv[i]) / bc2Sqrt + feps;
      P[i] = P[i] - stepSize * Mm[i] / denom;
    }
  }
  return NULL;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int n;
  if (!get_int(env, argv[0], &n)) return NULL;
  openblas_set_num_threads(1);
#ifdef _OPENMP
  omp_set_num_threads(n < 1 ? 1 : n);
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

static napi_value BlasInfo(napi_env env, napi_callback_info info) {
  (void)info;
  char buf[512];
  snprintf(buf, sizeof buf, "%s (%s)", openblas_get_config(), openblas_get_corename());
  napi_value r;
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &r));
  return r;
}

static napi_value Init(napi_env env, napi_value exports) {
  openblas_set_num_threads(1);
  napi_property_descriptor d[] = {
    {"gemm", NULL, Gemm, NULL, NULL, NULL, napi_default, NULL},
    {"mixTokens", NULL, MixTokens, NULL, NULL, NULL, napi_default, NULL},
    {"attnWeights", NULL, AttnWeights, NULL, NULL, NULL, napi_default, NULL},
    {"mixTokensBackward", NULL, MixTokensBackward, NULL, NULL, NULL, napi_default, NULL},
    {"addRow", NULL, AddRow, NULL, NULL, NULL, napi_default, NULL},
    {"reluBackward", NULL, ReluBackward, NULL, NULL, NULL, napi_default, NULL},
    {"crossEntropy", NULL, CrossEntropy, NULL, NULL, NULL, napi_default, NULL},
    {"colSum", NULL, ColSum, NULL, NULL, NULL, napi_default, NULL},
    {"adamw", NULL, AdamW, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
    {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_default, NULL},
    {"blasInfo", NULL, BlasInfo, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
