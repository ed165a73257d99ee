/*
 * grokbench's native engine as an N-API addon: the glue between JavaScript and the pure kernels
 * (kernels.h). Every function here mirrors one method of the TypeScript kernel interface
 * (src/engine/kernels.ts): it unpacks the arguments (typed arrays, numbers), checks their types,
 * the array lengths, the index ranges and the limits, throwing a TypeError or RangeError before
 * anything is written, then calls the kernel and turns its status into a result or an error. No
 * arithmetic on the data happens here.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

#include "kernels.h"

#define GB_STR2(x) #x
#define GB_STR(x) GB_STR2(x)

/* The most arguments of any method (mlpLoss). */
#define ADDON_MAX_ARGS 17
/* The elements of one gemmBatch call: [ta, tb, M, N, K, alpha, A, B, beta, C]. */
#define GEMM_CALL_ARGS 10

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "grokbench native: N-API call failed: " #call); return NULL; } } while (0)

static int get_typed(napi_env env, napi_value v, napi_typedarray_type want, const char *what, void **out, size_t *len) {
  napi_typedarray_type t; size_t n; void *data; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off) != napi_ok || t != want) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  *out = data; *len = n;
  return 1;
}

static int is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

/* One argument by its format letter (see unpack); the pointers it fills come from ap. */
static int get_one(napi_env env, napi_value v, char f, va_list *ap) {
  switch (f) {
    case 'i': {
      int32_t x;
      if (napi_get_value_int32(env, v, &x) != napi_ok) { napi_throw_type_error(env, NULL, "grokbench native: expected an integer"); return 0; }
      *va_arg(*ap, int *) = x; return 1;
    }
    case 'd':
      if (napi_get_value_double(env, v, va_arg(*ap, double *)) != napi_ok) { napi_throw_type_error(env, NULL, "grokbench native: expected a number"); return 0; }
      return 1;
    case 'b': {
      bool x;
      if (napi_get_value_bool(env, v, &x) != napi_ok) { napi_throw_type_error(env, NULL, "grokbench native: expected a boolean"); return 0; }
      *va_arg(*ap, int *) = x; return 1;
    }
    case 'f': case 'F': {
      float **p = va_arg(*ap, float **); size_t *n = va_arg(*ap, size_t *); void *data;
      if (f == 'F' && is_null(env, v)) { *p = NULL; *n = 0; return 1; }
      if (!get_typed(env, v, napi_float32_array, "grokbench native: expected a Float32Array", &data, n)) return 0;
      *p = data; return 1;
    }
    case 'I': {
      int32_t **p = va_arg(*ap, int32_t **); size_t *n = va_arg(*ap, size_t *); void *data;
      if (!get_typed(env, v, napi_int32_array, "grokbench native: expected an Int32Array", &data, n)) return 0;
      *p = data; return 1;
    }
  }
  napi_throw_error(env, NULL, "grokbench native: bad argument format");
  return 0;
}

static int get_all(napi_env env, const napi_value *argv, const char *fmt, va_list *ap) {
  for (size_t i = 0; fmt[i]; i++) if (!get_one(env, argv[i], fmt[i], ap)) return 0;
  return 1;
}

/*
 * Unpacks the call's arguments by fmt, one letter per argument, in order: i an int32 (int *),
 * d a number (double *), b a boolean (int *), f a Float32Array (float **, size_t * for its
 * length), F the same or null/undefined (then NULL and 0), I an Int32Array (int32_t **, size_t *).
 * Throws a TypeError and returns 0 on too few arguments or a mismatch.
 */
static int unpack(napi_env env, napi_callback_info info, const char *fmt, ...) {
  napi_value argv[ADDON_MAX_ARGS];
  size_t want = strlen(fmt), argc = want;
  if (want > ADDON_MAX_ARGS) { napi_throw_error(env, NULL, "grokbench native: too many arguments to unpack"); return 0; }
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "grokbench native: wrong number of arguments");
    return 0;
  }
  va_list ap; va_start(ap, fmt);
  const int ok = get_all(env, argv, fmt, &ap);
  va_end(ap);
  return ok;
}

/* unpack's conversions for values already in hand (the elements of a gemmBatch call). */
static int unpack_values(napi_env env, const napi_value *argv, const char *fmt, ...) {
  va_list ap; va_start(ap, fmt);
  const int ok = get_all(env, argv, fmt, &ap);
  va_end(ap);
  return ok;
}

static napi_value range_error(napi_env env, const char *method, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "grokbench native: %s %s", method, what);
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

/* Throws for a kernel's error status (a limit is checked here before the call, so only
 * GB_ENOMEM is expected); NULL, the N-API functions' "no result". */
static napi_value status(napi_env env, int rc) {
  if (rc == GB_ENOMEM) napi_throw_error(env, NULL, "grokbench native: out of memory");
  else if (rc != GB_OK) napi_throw_range_error(env, NULL, "grokbench native: at most " GB_STR(GB_MAX_HEADS) " heads");
  return NULL;
}

/* H <= GB_MAX_HEADS (the per-sample row buffers' size); throws a RangeError. */
static int check_heads(napi_env env, int H, const char *method) {
  if (H <= GB_MAX_HEADS) return 1;
  range_error(env, method, "supports at most " GB_STR(GB_MAX_HEADS) " heads");
  return 0;
}

/* Token indices: a[n] and b[n] must lie in [0, p) (they index table rows); throws a RangeError. */
static int check_tokens(napi_env env, const int32_t *a, const int32_t *b, int N, int p, const char *method) {
  for (int n = 0; n < N; n++) {
    if (a[n] < 0 || a[n] >= p || b[n] < 0 || b[n] >= p) { range_error(env, method, "token index out of range"); return 0; }
  }
  return 1;
}

/* Targets: t[n] must lie in [0, V) (a class index); throws a RangeError. */
static int check_targets(napi_env env, const int32_t *t, int N, int V, const char *method) {
  for (int n = 0; n < N; n++) {
    if (t[n] < 0 || t[n] >= V) { range_error(env, method, "target index out of range"); return 0; }
  }
  return 1;
}

/* [a double, an int32], or [a string, a string]: the methods' two-element results. */
static napi_value pair(napi_env env, napi_value x, napi_value y) {
  napi_value res;
  CHECK(napi_create_array_with_length(env, 2, &res));
  CHECK(napi_set_element(env, res, 0, x));
  CHECK(napi_set_element(env, res, 1, y));
  return res;
}
static napi_value num_int_pair(napi_env env, double x, int y) {
  napi_value a, b;
  CHECK(napi_create_double(env, x, &a));
  CHECK(napi_create_int32(env, y, &b));
  return pair(env, a, b);
}


/* ---- GEMM ---- */

/* gemm(transA, transB, M, N, K, alpha, A, B, beta, C) */
static napi_value Gemm(napi_env env, napi_callback_info info) {
  int ta, tb, M, N, K; double alpha, beta; float *A, *B, *C; size_t la, lb, lc;
  if (!unpack(env, info, "bbiiidffdf", &ta, &tb, &M, &N, &K, &alpha, &A, &la, &B, &lb, &beta, &C, &lc)) return NULL;
  if ((size_t)M * K > la || (size_t)K * N > lb || (size_t)M * N > lc) return range_error(env, "gemm", "operand too small");
  return status(env, gb_gemm(ta, tb, M, N, K, (float)alpha, A, B, (float)beta, C));
}

/* gemmBatch's element i, [ta, tb, M, N, K, alpha, A, B, beta, C], into g; throws and returns 0 if malformed. */
static int gemm_call(napi_env env, napi_value calls, uint32_t i, gb_gemm_call *g) {
  napi_value c, v[GEMM_CALL_ARGS]; uint32_t len = 0;
  if (napi_get_element(env, calls, i, &c) != napi_ok || napi_get_array_length(env, c, &len) != napi_ok || len != GEMM_CALL_ARGS) {
    napi_throw_type_error(env, NULL, "grokbench native: gemmBatch call must be [ta, tb, M, N, K, alpha, A, B, beta, C]");
    return 0;
  }
  for (uint32_t j = 0; j < GEMM_CALL_ARGS; j++) if (napi_get_element(env, c, j, &v[j]) != napi_ok) return 0;
  double alpha, beta; float *A, *B, *C; size_t la, lb, lc;
  if (!unpack_values(env, v, "bbiiidffdf", &g->ta, &g->tb, &g->M, &g->N, &g->K, &alpha, &A, &la, &B, &lb, &beta, &C, &lc)) return 0;
  if ((size_t)g->M * g->K > la || (size_t)g->K * g->N > lb || (size_t)g->M * g->N > lc) {
    range_error(env, "gemm", "operand too small");
    return 0;
  }
  g->alpha = (float)alpha; g->beta = (float)beta; g->A = A; g->B = B; g->C = C;
  return 1;
}

/*
 * gemmBatch([[ta, tb, M, N, K, alpha, A, B, beta, C], …]): independent GEMMs (no C is another
 * call's operand or C), each computed as gemm() computes it (the same bits), the calls split across
 * threads, one thread each: the model's per-head products are too small to split one of them.
 */
static napi_value GemmBatch(napi_env env, napi_callback_info info) {
  napi_value argv[1]; size_t argc = 1; uint32_t n; bool isArray;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "grokbench native: wrong number of arguments");
    return NULL;
  }
  if (napi_is_array(env, argv[0], &isArray) != napi_ok || !isArray || napi_get_array_length(env, argv[0], &n) != napi_ok || n > INT32_MAX) {
    napi_throw_type_error(env, NULL, "grokbench native: gemmBatch expects an array of calls");
    return NULL;
  }
  gb_gemm_call *calls = malloc(sizeof(gb_gemm_call) * (n > 0 ? n : 1));
  if (!calls) return status(env, GB_ENOMEM);
  for (uint32_t i = 0; i < n; i++) if (!gemm_call(env, argv[0], i, &calls[i])) { free(calls); return NULL; }
  const int rc = gb_gemm_batch(calls, (int)n);
  free(calls);
  return status(env, rc);
}

/* ---- Attention ---- */

/* attnWeights(N, H, p, a, b, S, w) */
static napi_value AttnWeights(napi_env env, napi_callback_info info) {
  int N, H, p; int32_t *a, *b; float *S, *w; size_t la, lb, lS, lw;
  if (!unpack(env, info, "iiiIIff", &N, &H, &p, &a, &la, &b, &lb, &S, &lS, &w, &lw)) return NULL;
  const int R = 2 * p + 1;
  if (la < (size_t)N || lb < (size_t)N || lS < (size_t)H * R || lw < (size_t)N * H * GB_TOKENS)
    return range_error(env, "attnWeights", "operand too small");
  if (!check_tokens(env, a, b, N, p, "attnWeights")) return NULL;
  gb_attn_weights(N, H, p, a, b, S, w);
  return NULL;
}

/* mixTokens(N, H, p, width, a, b, w, tables, base, out, relu, preOut) */
static napi_value MixTokens(napi_env env, napi_callback_info info) {
  int N, H, p, width, relu; int32_t *a, *b; float *w, *T, *base, *out, *pre;
  size_t la, lb, lw, lT, lbase, lout, lpre;
  if (!unpack(env, info, "iiiiIIffffbF", &N, &H, &p, &width, &a, &la, &b, &lb, &w, &lw, &T, &lT, &base, &lbase,
              &out, &lout, &relu, &pre, &lpre)) return NULL;
  const int R = 2 * p + 1;
  if (la < (size_t)N || lb < (size_t)N || lw < (size_t)N * H * GB_TOKENS || lT < (size_t)H * R * width ||
      lbase < (size_t)width || lout < (size_t)N * width || (pre && lpre < (size_t)N * width))
    return range_error(env, "mixTokens", "operand too small");
  if (!check_heads(env, H, "mixTokens") || !check_tokens(env, a, b, N, p, "mixTokens")) return NULL;
  return status(env, gb_mix_tokens(N, H, p, width, a, b, w, T, base, out, relu, pre));
}

/* mixTokensBackward(N, H, p, width, a, b, w, tables, dOut, dTables, dS) */
static napi_value MixTokensBackward(napi_env env, napi_callback_info info) {
  int N, H, p, width; int32_t *a, *b; float *w, *T, *dOut, *dT, *dS;
  size_t la, lb, lw, lT, ldo, ldT, ldS;
  if (!unpack(env, info, "iiiiIIfffff", &N, &H, &p, &width, &a, &la, &b, &lb, &w, &lw, &T, &lT, &dOut, &ldo,
              &dT, &ldT, &dS, &ldS)) return NULL;
  const int R = 2 * p + 1;
  if (la < (size_t)N || lb < (size_t)N || lw < (size_t)N * H * GB_TOKENS || lT < (size_t)H * R * width ||
      ldo < (size_t)N * width || ldT < (size_t)H * R * width || ldS < (size_t)H * R)
    return range_error(env, "mixTokensBackward", "operand too small");
  if (!check_heads(env, H, "mixTokensBackward") || !check_tokens(env, a, b, N, p, "mixTokensBackward")) return NULL;
  return status(env, gb_mix_tokens_backward(N, H, p, width, a, b, w, T, dOut, dT, dS));
}

/* ---- Loss ---- */

/* crossEntropy(N, V, logits, targets, dLogits, scale) -> [lossSum, correct] */
static napi_value CrossEntropy(napi_env env, napi_callback_info info) {
  int N, V; float *L, *dL; int32_t *tg; double scale; size_t lL, lt, ldL;
  if (!unpack(env, info, "iifIFd", &N, &V, &L, &lL, &tg, &lt, &dL, &ldL, &scale)) return NULL;
  if (V < 1) return range_error(env, "crossEntropy", "needs at least one class");
  if (lL < (size_t)N * V || lt < (size_t)N || (dL && ldL < (size_t)N * V)) return range_error(env, "crossEntropy", "operand too small");
  if (!check_targets(env, tg, N, V, "crossEntropy")) return NULL;
  double lossSum; int correct;
  const int rc = gb_cross_entropy(N, V, L, tg, dL, scale, &lossSum, &correct);
  return rc == GB_OK ? num_int_pair(env, lossSum, correct) : status(env, rc);
}

/* ---- MLP ---- */

/*
 * mlpLoss(N, H, p, m, a, b, S, wOut, P, basePre, postOut, OU, baseU, WoutU, targets, dLogits, scale)
 *   -> [lossSum, correct]
 */
static napi_value MlpLoss(napi_env env, napi_callback_info info) {
  int N, H, p, m; int32_t *a, *b, *tg; float *S, *wOut, *P, *basePre, *postOut, *OU, *baseU, *WoutU, *dL;
  size_t la, lb, lS, lw, lP, lbp, lpo, lOU, lbu, lWU, lt, ldL; double scale;
  if (!unpack(env, info, "iiiiIIfFffFfffIFd", &N, &H, &p, &m, &a, &la, &b, &lb, &S, &lS, &wOut, &lw, &P, &lP, &basePre, &lbp,
              &postOut, &lpo, &OU, &lOU, &baseU, &lbu, &WoutU, &lWU, &tg, &lt, &dL, &ldL, &scale)) return NULL;
  const int R = 2 * p + 1, V = p;
  if (N < 0 || H < 1 || p < 1 || m < 1) return range_error(env, "mlpLoss", "needs N >= 0 and H, p, m >= 1");
  if (la < (size_t)N || lb < (size_t)N || lS < (size_t)H * R || (wOut && lw < (size_t)N * H * GB_TOKENS) || lP < (size_t)H * R * m ||
      lbp < (size_t)m || (postOut && lpo < (size_t)N * m) || lOU < (size_t)H * R * V || lbu < (size_t)V || lWU < (size_t)m * V ||
      lt < (size_t)N || (dL && ldL < (size_t)N * V))
    return range_error(env, "mlpLoss", "operand too small");
  if (!check_heads(env, H, "mlpLoss") || !check_tokens(env, a, b, N, p, "mlpLoss") || !check_targets(env, tg, N, V, "mlpLoss")) return NULL;
  double lossSum; int correct;
  const int rc = gb_mlp_loss(N, H, p, m, a, b, S, wOut, P, basePre, postOut, OU, baseU, WoutU, tg, dL, scale, &lossSum, &correct);
  return rc == GB_OK ? num_int_pair(env, lossSum, correct) : status(env, rc);
}

/* mlpBackward(N, H, p, m, a, b, w, P, post, dLogits, WoutU, dpre|null, dP, dS, dBasePre) */
static napi_value MlpBackward(napi_env env, napi_callback_info info) {
  int N, H, p, m; int32_t *a, *b; float *w, *P, *post, *dl, *WoutU, *dpre, *dP, *dS, *dBasePre;
  size_t la, lb, lw, lP, lpo, ldl, lWU, ldp, ldP, ldS, ldb;
  if (!unpack(env, info, "iiiiIIfffffFfff", &N, &H, &p, &m, &a, &la, &b, &lb, &w, &lw, &P, &lP, &post, &lpo, &dl, &ldl,
              &WoutU, &lWU, &dpre, &ldp, &dP, &ldP, &dS, &ldS, &dBasePre, &ldb)) return NULL;
  const int R = 2 * p + 1;
  if (N < 0 || H < 1 || p < 1 || m < 1) return range_error(env, "mlpBackward", "needs N >= 0 and H, p, m >= 1");
  if (la < (size_t)N || lb < (size_t)N || lw < (size_t)N * H * GB_TOKENS || lP < (size_t)H * R * m || lpo < (size_t)N * m ||
      ldl < (size_t)N * p || lWU < (size_t)m * p || (dpre && ldp < (size_t)N * m) || ldP < (size_t)H * R * m || ldS < (size_t)H * R ||
      ldb < (size_t)m)
    return range_error(env, "mlpBackward", "operand too small");
  if (!check_heads(env, H, "mlpBackward") || !check_tokens(env, a, b, N, p, "mlpBackward")) return NULL;
  return status(env, gb_mlp_backward(N, H, p, m, a, b, w, P, post, dl, WoutU, dpre, dP, dS, dBasePre));
}

/* ---- Bias and activation ---- */

/* addRow(M, N, A, row) */
static napi_value AddRow(napi_env env, napi_callback_info info) {
  int M, N; float *A, *row; size_t lA, lr;
  if (!unpack(env, info, "iiff", &M, &N, &A, &lA, &row, &lr)) return NULL;
  if (lA < (size_t)M * N || lr < (size_t)N) return range_error(env, "addRow", "operand too small");
  gb_add_row(M, N, A, row);
  return NULL;
}

/* colSum(M, N, A, out, accumulate) */
static napi_value ColSum(napi_env env, napi_callback_info info) {
  int M, N, acc; float *A, *out; size_t lA, lo;
  if (!unpack(env, info, "iiffb", &M, &N, &A, &lA, &out, &lo, &acc)) return NULL;
  if (lA < (size_t)M * N || lo < (size_t)N) return range_error(env, "colSum", "operand too small");
  return status(env, gb_col_sum(M, N, A, out, acc));
}

/* reluBackward(n, pre, dX) */
static napi_value ReluBackward(napi_env env, napi_callback_info info) {
  int n; float *pre, *dX; size_t lp, ld;
  if (!unpack(env, info, "iff", &n, &pre, &lp, &dX, &ld)) return NULL;
  if (lp < (size_t)n || ld < (size_t)n) return range_error(env, "reluBackward", "operand too small");
  gb_relu_backward(n, pre, dX);
  return NULL;
}

/* ---- Optimiser ---- */

/* adamw(ranges, param, grad, m, v, lr, beta1, beta2, eps, wd, step): torch.optim.AdamW, float32 ops.
 * Every range is checked before any is updated. */
static napi_value AdamW(napi_env env, napi_callback_info info) {
  int32_t *ranges; float *P, *G, *Mm, *Vv; size_t lr_, lP, lG, lM, lV; double lr, b1, b2, eps, wd; int step;
  if (!unpack(env, info, "Iffffdddddi", &ranges, &lr_, &P, &lP, &G, &lG, &Mm, &lM, &Vv, &lV, &lr, &b1, &b2, &eps, &wd, &step)) return NULL;
  for (size_t r = 0; r + 1 < lr_; r += 2) {
    const size_t s = (size_t)ranges[r], e = (size_t)ranges[r + 1];
    if (e > lP || e > lG || e > lM || e > lV || s > e) return range_error(env, "adamw", "range out of bounds");
  }
  gb_adamw(ranges, lr_ / 2, P, G, Mm, Vv, lr, b1, b2, eps, wd, step);
  return NULL;
}

/* ---- Threads, the path, the bench's measurements ---- */

/* setThreads(n), 1 <= n <= GB_MAX_THREADS */
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  int n;
  if (!unpack(env, info, "i", &n)) return NULL;
  if (n < 1 || n > GB_MAX_THREADS) {
    napi_throw_range_error(env, NULL, "grokbench native: threads must be between 1 and " GB_STR(GB_MAX_THREADS));
    return NULL;
  }
  gb_set_threads(n);
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_int32(env, gb_get_threads(), &r));
  return r;
}

/* clockGHz(): the core clock (bench.c); 0 where not measurable. */
static napi_value ClockGHz(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_double(env, gb_clock_ghz(), &r));
  return r;
}

/* fmaPeak(iters) -> [GFLOP/s, lanes]: one thread, 12 independent FMA chains in registers, this path's width. */
static napi_value FmaPeak(napi_env env, napi_callback_info info) {
  double iters;
  if (!unpack(env, info, "d", &iters)) return NULL;
  return num_int_pair(env, gb_fma_peak(iters), gb_path_lanes());
}

/* kernelsInfo() -> [path, reason] */
static napi_value KernelsInfo(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value x, y;
  CHECK(napi_create_string_utf8(env, gb_path_name(), NAPI_AUTO_LENGTH, &x));
  CHECK(napi_create_string_utf8(env, gb_path_reason(), NAPI_AUTO_LENGTH, &y));
  return pair(env, x, y);
}

static napi_value Init(napi_env env, napi_value exports) {
  const char *err = gb_select_path(getenv("GROKBENCH_KERNELS"));
  if (err) { napi_throw_error(env, NULL, err); return NULL; }
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
