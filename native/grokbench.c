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

/*
 * exp(x) in float64 for x <= 0, deterministic and vectorisable (issue 9): x = n·ln2 + r with
 * n = round(x·log2 e) (the 1.5·2^52 trick), r by Cody–Waite with fdlibm's split of ln2
 * (|r| <= 0.347), e^r by its degree-13 Taylor polynomial in Horner form (truncation < 5e-18,
 * about 1e-16 relative in all), and 2^n through the exponent bits. Arguments below -708 give 0.
 * Every operation is a separately rounded IEEE multiply or add (the file is compiled with
 * -ffp-contract=off), so the scalar and vector versions and the TypeScript reference
 * (src/engine/reference.ts exp64) give the same bits.
 */
#define EXP64_MIN (-708.0)
#define EXP64_SHIFT 6755399441055744.0 /* 1.5·2^52 */
#define EXP64_LOG2E 1.4426950408889634
#define EXP64_LN2HI 6.93147180369123816490e-01
#define EXP64_LN2LO 1.90821492927058770002e-10
#define EXP64_POLY(p, r) do { \
  p = r * (1.0 / 6227020800.0) + 1.0 / 479001600.0; p = p * r + 1.0 / 39916800.0; \
  p = p * r + 1.0 / 3628800.0; p = p * r + 1.0 / 362880.0; p = p * r + 1.0 / 40320.0; \
  p = p * r + 1.0 / 5040.0; p = p * r + 1.0 / 720.0; p = p * r + 1.0 / 120.0; \
  p = p * r + 1.0 / 24.0; p = p * r + 1.0 / 6.0; p = p * r + 0.5; p = p * r + 1.0; p = p * r + 1.0; \
} while (0)

static inline double exp64(double x) {
  if (x < EXP64_MIN) return 0.0;
  const double t = x * EXP64_LOG2E + EXP64_SHIFT;
  const double n = t - EXP64_SHIFT;
  const double r = (x - n * EXP64_LN2HI) - n * EXP64_LN2LO;
  double p;
  EXP64_POLY(p, r);
  union { double d; int64_t i; } u = { .d = t }, sh = { .d = EXP64_SHIFT }, s;
  s.i = (u.i - sh.i + 1023) << 52;
  return p * s.d;
}

typedef double v8d __attribute__((vector_size(64), aligned(8)));
typedef int64_t v8l __attribute__((vector_size(64), aligned(8)));
typedef float v8f __attribute__((vector_size(32), aligned(4)));

static inline v8d exp64x8(v8d x) {
  const v8l under = x < EXP64_MIN;
  x = (v8d)((v8l)x & ~under);
  const v8d t = x * EXP64_LOG2E + EXP64_SHIFT;
  const v8d n = t - EXP64_SHIFT;
  const v8d r = (x - n * EXP64_LN2HI) - n * EXP64_LN2LO;
  v8d p;
  EXP64_POLY(p, r);
  union { double d; int64_t i; } sh = { .d = EXP64_SHIFT };
  v8l ti; memcpy(&ti, &t, sizeof ti);
  const v8l si = (ti - sh.i + 1023) << 52;
  v8d s; memcpy(&s, &si, sizeof s);
  return (v8d)((v8l)(p * s) & ~under);
}

/* e[j] = exp64((double)x[j] − shift) for j < n: the vector body and the scalar tail give the same bits. */
static void exp64_shifted(const float *restrict x, double *restrict e, int n, double shift) {
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    const v8d xd = __builtin_convertvector(*(const v8f *)(x + j), v8d);
    *(v8d *)(e + j) = exp64x8(xd - shift);
  }
  for (; j < n; j++) e[j] = exp64((double)x[j] - shift);
}

/* Σ e[j] in a fixed order: 8 interleaved lanes over whole blocks of 8, the lanes in order, then the tail. */
static double sum8(const double *restrict e, int n) {
  v8d acc = {0};
  int j = 0;
  for (; j + 8 <= n; j += 8) acc += *(const v8d *)(e + j);
  double s = 0;
  for (int l = 0; l < 8; l++) s += acc[l];
  for (; j < n; j++) s += e[j];
  return s;
}

/*
 * One row of the cross-entropy (see kernels.ts): returns the row's loss; *correct = argmax == t.
 * e is scratch of V doubles.
 */
static double ce_row(const float *restrict o, int V, int t, float *restrict d, double scale, double *restrict e, int *correct) {
  const float mx = row_max(o, V);
  int arg = 0;
  while (arg < V - 1 && o[arg] != mx) arg++; /* the first maximum wins */
  *correct = arg == t;
  exp64_shifted(o, e, V, (double)mx);
  const double et = e[t];
  e[t] = 0.0;
  const double rest = sum8(e, V); /* Σ_{j≠t} e_j, summed directly */
  e[t] = et;
  const double z = rest + et;
  const double loss = et == 1.0 ? log1p(rest) : log(z) - ((double)o[t] - (double)mx);
  if (d) {
    const double s = scale / z;
    int j = 0;
    for (; j + 8 <= V; j += 8) *(v8f *)(d + j) = __builtin_convertvector(*(const v8d *)(e + j) * s, v8f);
    for (; j < V; j++) d[j] = (float)(e[j] * s);
    d[t] = (float)(-rest * s);
  }
  return loss;
}

/* 16 floats as one value; aligned(4) lets it load from any float address. */
typedef float v16f __attribute__((vector_size(64), aligned(4)));

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
  if (!check_tokens(env, a, b, N, p, "grokbench native: mixTokens token index out of range")) return NULL;
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
  if (!check_tokens(env, a, b, N, p, "grokbench native: attnWeights token index out of range")) return NULL;
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
  if (!check_tokens(env, a, b, N, p, "grokbench native: mixTokensBackward token index out of range")) return NULL;
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
  if (V < 1) { napi_throw_range_error(env, NULL, "grokbench native: crossEntropy needs at least one class"); return NULL; }
  if (lL < (size_t)N * V || lt < (size_t)N || (dL && ldL < (size_t)N * V)) {
    napi_throw_range_error(env, NULL, "grokbench native: crossEntropy operand too small");
    return NULL;
  }
  for (int n = 0; n < N; n++) {
    if (tg[n] < 0 || tg[n] >= V) { napi_throw_range_error(env, NULL, "grokbench native: crossEntropy target index out of range"); return NULL; }
  }
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
      rowLoss[n] = ce_row(L + (size_t)n * V, V, tg[n], dL ? dL + (size_t)n * V : NULL, scale, e, &rowOk[n]);
    }
    free(e);
  }
  if (oom) { free(rowLoss); free(rowOk); napi_throw_error(env, NULL, "grokbench native: out of memory"); return NULL; }
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
  if (n < 1 || n > GROKBENCH_MAX_THREADS) {
    napi_throw_range_error(env, NULL, "grokbench native: threads must be between 1 and " GROKBENCH_STR(GROKBENCH_MAX_THREADS));
    return NULL;
  }
  openblas_set_num_threads(1);
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
