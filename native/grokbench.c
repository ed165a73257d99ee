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

extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "grokbench native: N-API call failed: " #call); return NULL; } } while (0)

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "grokbench native: wrong number of arguments");
    return 0;
  }
  return 1;
}

static int get_f32(napi_env env, napi_value v, float **out, size_t *len) {
  napi_typedarray_type t; size_t n; void *data; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off) != napi_ok || t != napi_float32_array) {
    napi_throw_type_error(env, NULL, "grokbench native: expected a Float32Array");
    return 0;
  }
  *out = (float *)data; if (len) *len = n;
  return 1;
}

static int get_i32arr(napi_env env, napi_value v, int32_t **out, size_t *len) {
  napi_typedarray_type t; size_t n; void *data; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off) != napi_ok || t != napi_int32_array) {
    napi_throw_type_error(env, NULL, "grokbench native: expected an Int32Array");
    return 0;
  }
  *out = (int32_t *)data; if (len) *len = n;
  return 1;
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
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K,
              (float)alpha, A, ta ? M : K, B, tb ? K : N, (float)beta, C, N);
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
  for (int n = 0; n < N; n++) {
    float *o = out + (size_t)n * width;
    memcpy(o, base, sizeof(float) * width);
    for (int h = 0; h < H; h++) {
      const float *wn = w + ((size_t)n * H + h) * 3;
      const float w0 = wn[0], w1 = wn[1], w2 = wn[2];
      const float *t0 = T + ((size_t)h * R + a[n]) * width;
      const float *t1 = T + ((size_t)h * R + p + b[n]) * width;
      const float *t2 = T + ((size_t)h * R + 2 * p) * width;
      for (int c = 0; c < width; c++) o[c] += w0 * t0[c] + w1 * t1[c] + w2 * t2[c];
    }
    if (pre) memcpy(pre + (size_t)n * width, o, sizeof(float) * width);
    if (relu) for (int c = 0; c < width; c++) o[c] = o[c] > 0.0f ? o[c] : 0.0f;
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
  for (int n = 0; n < N; n++) {
    const float *g = dOut + (size_t)n * width;
    for (int h = 0; h < H; h++) {
      const float *wn = w + ((size_t)n * H + h) * 3;
      const float w0 = wn[0], w1 = wn[1], w2 = wn[2];
      const size_t r0 = (size_t)h * R + a[n], r1 = (size_t)h * R + p + b[n], r2 = (size_t)h * R + 2 * p;
      const float *t0 = T + r0 * width, *t1 = T + r1 * width, *t2 = T + r2 * width;
      float *d0p = dT + r0 * width, *d1p = dT + r1 * width, *d2p = dT + r2 * width;
      float d0 = 0, d1 = 0, d2 = 0;
      for (int c = 0; c < width; c++) {
        const float gc = g[c];
        d0 += gc * t0[c]; d1 += gc * t1[c]; d2 += gc * t2[c];
        d0p[c] += w0 * gc; d1p[c] += w1 * gc; d2p[c] += w2 * gc;
      }
      const float s = w0 * d0 + w1 * d1 + w2 * d2;
      dS[r0] += w0 * (d0 - s);
      dS[r1] += w1 * (d1 - s);
      dS[r2] += w2 * (d2 - s);
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
  if (lL < (size_t)N * V || lt < (size_t)N || (dL && ldL < (size_t)N * V)) {
    napi_throw_range_error(env, NULL, "grokbench native: crossEntropy operand too small");
    return NULL;
  }
  double lossSum = 0; int correct = 0;
  for (int n = 0; n < N; n++) {
    const float *o = L + (size_t)n * V;
    float mx = -INFINITY; int arg = 0;
    for (int j = 0; j < V; j++) if (o[j] > mx) { mx = o[j]; arg = j; }
    double z = 0;
    for (int j = 0; j < V; j++) z += exp((double)o[j] - mx);
    const double lz = log(z) + mx;
    lossSum += lz - o[tg[n]];
    if (arg == tg[n]) correct++;
    if (dL) {
      float *d = dL + (size_t)n * V;
      for (int j = 0; j < V; j++) d[j] = (float)(exp((double)o[j] - lz) * scale);
      d[tg[n]] -= (float)scale;
    }
  }
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
  openblas_set_num_threads(n < 1 ? 1 : n);
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &r));
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
