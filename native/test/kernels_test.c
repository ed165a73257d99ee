/*
 * The native kernels (kernels.h) called directly, without Node, on every path this CPU supports,
 * against independent straightforward computations written here:
 *   - gemm: bit for bit against the determinism contract's FMA chain (fmaf over k in order, then
 *     alpha and beta as float32 operations), and within a tolerance of a float64 product; every
 *     transpose, partial tiles, K = 0, K past the K block, a threaded size; gemmBatch = gemm.
 *   - crossEntropy: loss and accuracy against a float64 log-softmax, the gradient against
 *     scale·(softmax − onehot) in float64, and the flush: a gradient value below 2^-126 in
 *     magnitude is +0 (the bits 0, also for the negative target entry), a normal one is kept.
 *   - attnWeights, mixTokens (relu, pre, H = GB_MAX_HEADS), mixTokensBackward against float64 loops.
 *   - the ReLU MLP: mlpLoss and mlpBackward bit for bit against the separate kernels they fuse,
 *     and within a tolerance of a float64 forward and backward written out here, whose backward is
 *     itself checked against central finite differences of that float64 forward.
 *   - colSum (bit for bit: float64 sums in row order), addRow, reluBackward, AdamW (float64
 *     torch formula; untouched outside the ranges; 1 and 3 threads alike).
 *   - the limits: H = GB_MAX_HEADS + 1 is refused (GB_ELIMIT) with nothing written.
 * And every path gives the same bits (a digest of every output). Prints one "ok PATH" line per
 * path run (or "skip PATH: why"), then a summary; exits 1 on any failed check.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels.h"

static const char *cur = "";
static long checks, failures;

#define EXPECT(cond, ...) do { \
  checks++; \
  if (!(cond)) { \
    if (++failures <= 40) { fprintf(stderr, "FAIL [%s] %s:%d: ", cur, __func__, __LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
  } \
} while (0)

/* ---- Inputs and helpers ---- */

static uint64_t rng;
static double urand(void) { /* splitmix64 → [0, 1) */
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; z = (z ^ (z >> 27)) * 0x94d049bb133111ebull; z ^= z >> 31;
  return (double)(z >> 11) / 9007199254740992.0;
}
static float frand(float lo, float hi) { return (float)(lo + (hi - lo) * urand()); }
static float *falloc(size_t n) { float *x = calloc(n ? n : 1, sizeof(float)); if (!x) abort(); return x; }
static double *dalloc(size_t n) { double *x = calloc(n ? n : 1, sizeof(double)); if (!x) abort(); return x; }
static int32_t *ialloc(size_t n) { int32_t *x = calloc(n ? n : 1, sizeof(int32_t)); if (!x) abort(); return x; }
static float *frandv(size_t n, float lo, float hi) { float *x = falloc(n); for (size_t i = 0; i < n; i++) x[i] = frand(lo, hi); return x; }
static float *fcopy(const float *x, size_t n) { float *y = falloc(n); memcpy(y, x, n * sizeof(float)); return y; }
static uint32_t bits(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static int same_bits(const float *x, const float *y, size_t n) { return memcmp(x, y, n * sizeof(float)) == 0; }
static int near(double got, double ref, double mag, double rel) { return fabs(got - ref) <= rel * mag + 1e-300; }
/* A float32 operation's relative rounding error bound, twice (one multiply and one add per term): the
 * tolerances below are this times the number of terms a value sums. */
#define EPS2 (2 * 0x1p-24)

/* FNV-1a over every output, per path: the paths must agree. */
static uint64_t digest;
static void fold(const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) { digest ^= c[i]; digest *= 0x100000001b3ull; }
}
static void foldf(const float *x, size_t n) { fold(x, n * sizeof(float)); }

/* Tokens: a sorted (as a sorted batch runs), b not. */
static void tokens(int N, int p, int32_t *a, int32_t *b) {
  for (int n = 0; n < N; n++) { a[n] = (int32_t)(urand() * p); b[n] = (int32_t)(urand() * p); }
  for (int i = 1; i < N; i++) for (int j = i; j > 0 && a[j - 1] > a[j]; j--) { int32_t t = a[j]; a[j] = a[j - 1]; a[j - 1] = t; }
}
/* Row of token j (0: a, 1: b, 2: "=") of sample n in a table with R = 2p + 1 rows per head. */
static size_t tok(int j, int p, int32_t an, int32_t bn) { return j == 0 ? (size_t)an : j == 1 ? (size_t)(p + bn) : (size_t)(2 * p); }

/* ---- GEMM ---- */

static float opA(int ta, const float *A, int M, int K, int i, int k) { return ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k]; }
static float opB(int tb, const float *B, int K, int N, int k, int j) { return tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j]; }

static void one_gemm(int ta, int tb, int M, int N, int K, float alpha, float beta) {
  float *A = frandv((size_t)M * K, -1, 1), *B = frandv((size_t)K * N, -1, 1), *C0 = frandv((size_t)M * N, -1, 1);
  float *C = fcopy(C0, (size_t)M * N);
  EXPECT(gb_gemm(ta, tb, M, N, K, alpha, A, B, beta, C) == GB_OK, "gemm status");
  int exact = 1, within = 1;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float acc = 0.0f; double ref = 0, mag = 0;
      for (int k = 0; k < K; k++) {
        const float x = opA(ta, A, M, K, i, k), y = opB(tb, B, K, N, k, j);
        acc = fmaf(x, y, acc);
        ref += (double)x * y; mag += fabs((double)x * y);
      }
      const float c0 = C0[(size_t)i * N + j];
      float want = alpha == 1.0f ? acc : alpha * acc;
      if (beta != 0.0f) want = want + beta * c0;
      const float got = C[(size_t)i * N + j];
      exact &= bits(got) == bits(want);
      within &= near(got, alpha * ref + beta * (double)c0, fabs(alpha) * mag + fabs(beta * (double)c0), EPS2 * (K + 2));
    }
  EXPECT(exact, "gemm ta=%d tb=%d %dx%dx%d alpha=%g beta=%g: not the FMA chain's bits", ta, tb, M, N, K, alpha, beta);
  EXPECT(within, "gemm ta=%d tb=%d %dx%dx%d alpha=%g beta=%g: off the float64 product", ta, tb, M, N, K, alpha, beta);
  foldf(C, (size_t)M * N);
  free(A); free(B); free(C0); free(C);
}

static void test_gemm(void) {
  static const int shapes[][3] = { {1, 1, 1}, {5, 7, 3}, {13, 17, 9}, {9, 33, 0}, {37, 45, 600}, {130, 129, 130} };
  static const float alphas[] = { 1.0f, 0.5f }, betas[] = { 0.0f, 1.0f, -0.75f };
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int t = 0; t < 4; t++)
      for (int ia = 0; ia < 2; ia++)
        for (int ib = 0; ib < 3; ib++) {
          if (s == 5 && (ia != 1 || ib != 2)) continue; /* the threaded size once per transpose pair */
          one_gemm(t & 1, t >> 1, shapes[s][0], shapes[s][1], shapes[s][2], alphas[ia], betas[ib]);
        }
  /* The threaded size at 1 thread: the same bits. */
  const int M = 130, N = 129, K = 130;
  float *A = frandv((size_t)M * K, -1, 1), *B = frandv((size_t)K * N, -1, 1);
  float *C1 = falloc((size_t)M * N), *C2 = falloc((size_t)M * N);
  const int threads = gb_get_threads();
  gb_set_threads(1); gb_gemm(0, 1, M, N, K, 1.0f, A, B, 0.0f, C1);
  gb_set_threads(3); gb_gemm(0, 1, M, N, K, 1.0f, A, B, 0.0f, C2);
  gb_set_threads(threads);
  EXPECT(same_bits(C1, C2, (size_t)M * N), "gemm at 1 and 3 threads differ");
  /* gemmBatch: each call gemm's bits. */
  gb_gemm_call calls[3]; float *Cs[3], *Cr[3], *As[3], *Bs[3];
  const int dims[3][3] = { {6, 5, 4}, {17, 33, 20}, {1, 9, 700} };
  for (int i = 0; i < 3; i++) {
    const int m = dims[i][0], n = dims[i][1], k = dims[i][2];
    As[i] = frandv((size_t)m * k, -1, 1); Bs[i] = frandv((size_t)k * n, -1, 1); Cs[i] = frandv((size_t)m * n, -1, 1);
    Cr[i] = fcopy(Cs[i], (size_t)m * n);
    calls[i] = (gb_gemm_call){ .ta = i == 1, .tb = i == 2, .M = m, .N = n, .K = k, .alpha = 0.25f, .beta = 2.0f, .A = As[i], .B = Bs[i], .C = Cs[i] };
    gb_gemm(i == 1, i == 2, m, n, k, 0.25f, As[i], Bs[i], 2.0f, Cr[i]);
  }
  EXPECT(gb_gemm_batch(calls, 3) == GB_OK, "gemmBatch status");
  for (int i = 0; i < 3; i++) {
    EXPECT(same_bits(Cs[i], Cr[i], (size_t)dims[i][0] * dims[i][1]), "gemmBatch call %d is not gemm's bits", i);
    free(As[i]); free(Bs[i]); free(Cs[i]); free(Cr[i]);
  }
  free(A); free(B); free(C1); free(C2);
}

/* ---- Cross-entropy ---- */

#define FLT32_MIN_NORMAL 0x1p-126

static void test_cross_entropy(int V) {
  enum { N = 8 };
  float *L = frandv((size_t)N * V, -3, 3), *d = falloc((size_t)N * V);
  int32_t t[N];
  for (int n = 0; n < N; n++) t[n] = (int32_t)(urand() * V);
  /* Row 0: the target wins by 100 (the rest e^-100: its gradients and the target's −rest·s are
   * below 2^-126). Rows 1 and 2: every wrong class so far below the target that its gradient e^x/8
   * is 0.9·2^-126 (row 1: a subnormal, flushed to +0) or 1.1·2^-126 (row 2: normal, kept), in the
   * vector body and the scalar tail alike. Row 3: a tie for the maximum, the target second (not correct: the first maximum
   * wins). */
  for (int j = 0; j < V; j++) L[j] = frand(-1, 1);
  L[t[0]] = 100.0f;
  for (int j = 0; j < V; j++) { L[V + j] = j == t[1] ? 0.0f : -85.362464f; L[2 * V + j] = j == t[2] ? 0.0f : -85.161793f; }
  if (V > 2) { t[3] = 2; L[3 * V + 1] = 7.0f; L[3 * V + 2] = 7.0f; }
  const double scale = 1.0 / N;
  double lossSum = -1; int correct = -1;
  EXPECT(gb_cross_entropy(N, V, L, t, d, scale, &lossSum, &correct) == GB_OK, "status");
  double refSum = 0; int refOk = 0, gradOk = 1, flushOk = 1, keptOk = 1;
  for (int n = 0; n < N; n++) {
    const float *l = L + (size_t)n * V;
    int arg = 0;
    for (int j = 1; j < V; j++) if (l[j] > l[arg]) arg = j;
    refOk += arg == t[n];
    const double mx = l[arg];
    double rest = 0, z;
    for (int j = 0; j < V; j++) if (j != t[n]) rest += exp((double)l[j] - mx);
    z = rest + exp((double)l[t[n]] - mx);
    const double loss = l[t[n]] == mx ? log1p(rest) : log(z) - ((double)l[t[n]] - mx);
    refSum += loss;
    for (int j = 0; j < V; j++) {
      const double g = j == t[n] ? -scale * rest / z : scale * exp((double)l[j] - mx) / z;
      const float got = d[(size_t)n * V + j];
      if (fabs(g) < 0.5 * FLT32_MIN_NORMAL) flushOk &= bits(got) == 0; /* +0, never −0 or a subnormal */
      else if (fabs(g) > 2 * FLT32_MIN_NORMAL) gradOk &= near(got, g, fabs(g), 1e-6);
      if (fabs(got) > 0) flushOk &= fabs(got) >= FLT32_MIN_NORMAL;
    }
  }
  int row0 = 1, row1 = 1;
  for (int j = 0; j < V; j++) {
    row0 &= bits(d[j]) == 0;
    if (j != t[1]) row1 &= bits(d[V + j]) == 0; /* (its target's −rest·s, (V − 1) of them, is normal) */
    if (j != t[2]) keptOk &= d[2 * V + j] >= 1.09 * FLT32_MIN_NORMAL && d[2 * V + j] <= 1.11 * FLT32_MIN_NORMAL;
  }
  EXPECT(row0, "V=%d row 0: the gradients of a row with loss ~e^-100 (the target's −rest·s too) are not all +0", V);
  EXPECT(V == 1 || row1, "V=%d row 1: a gradient of 0.9·2^-126 is not +0", V);
  EXPECT(keptOk, "V=%d row 2: a gradient of 1.1·2^-126 was not kept", V);
  EXPECT(flushOk, "V=%d: a gradient below 2^-126 is not +0, or a subnormal was written", V);
  EXPECT(gradOk, "V=%d: gradient off scale·(softmax − onehot)", V);
  EXPECT(near(lossSum, refSum, fabs(refSum), 1e-13), "V=%d: loss sum %.17g vs %.17g", V, lossSum, refSum);
  EXPECT(correct == refOk, "V=%d: correct %d vs %d", V, correct, refOk);
  /* Without the gradient: the same loss and accuracy. */
  double l2; int c2;
  EXPECT(gb_cross_entropy(N, V, L, t, NULL, 0, &l2, &c2) == GB_OK && l2 == lossSum && c2 == correct, "V=%d: no-gradient call differs", V);
  fold(&lossSum, sizeof lossSum); fold(&correct, sizeof correct); foldf(d, (size_t)N * V);
  free(L); free(d);
}

/* ---- Attention ---- */

/* w[n, h, :] in float64 (libm exp). */
static void naive_attn(int N, int H, int p, const int32_t *a, const int32_t *b, const double *S, double *w) {
  const int R = 2 * p + 1;
  for (int n = 0; n < N; n++)
    for (int h = 0; h < H; h++) {
      double x[3], mx = -INFINITY, z = 0;
      for (int j = 0; j < 3; j++) { x[j] = S[(size_t)h * R + tok(j, p, a[n], b[n])]; mx = fmax(mx, x[j]); }
      for (int j = 0; j < 3; j++) { x[j] = exp(x[j] - mx); z += x[j]; }
      for (int j = 0; j < 3; j++) w[((size_t)n * H + h) * 3 + j] = x[j] / z;
    }
}

/* out[n] = base + Σ_h Σ_j w·T[h, tok_j(n)] in float64, and its magnitude |base| + Σ|w·T|. */
static void naive_mix(int N, int H, int p, int width, const int32_t *a, const int32_t *b, const double *w, const double *T,
                      const double *base, double *out, double *mag) {
  const size_t R = 2 * (size_t)p + 1;
  for (int n = 0; n < N; n++)
    for (int c = 0; c < width; c++) {
      double s = base[c], g = fabs(base[c]);
      for (int h = 0; h < H; h++)
        for (int j = 0; j < 3; j++) {
          const double v = w[((size_t)n * H + h) * 3 + j] * T[((size_t)h * R + tok(j, p, a[n], b[n])) * width + c];
          s += v; g += fabs(v);
        }
      out[(size_t)n * width + c] = s;
      if (mag) mag[(size_t)n * width + c] = g;
    }
}

static double *todouble(const float *x, size_t n) { double *y = dalloc(n); for (size_t i = 0; i < n; i++) y[i] = x[i]; return y; }

static void test_attn_weights(void) {
  const int N = 37, H = 3, p = 5, R = 2 * p + 1;
  int32_t *a = ialloc(N), *b = ialloc(N);
  tokens(N, p, a, b);
  float *S = frandv((size_t)H * R, -4, 4), *w = falloc((size_t)N * H * 3);
  gb_attn_weights(N, H, p, a, b, S, w);
  double *Sd = todouble(S, (size_t)H * R), *wr = dalloc((size_t)N * H * 3);
  naive_attn(N, H, p, a, b, Sd, wr);
  int ok = 1;
  for (int i = 0; i < N * H * 3; i++) ok &= near(w[i], wr[i], fabs(wr[i]), 1.2e-7);
  EXPECT(ok, "attention weights off the float64 softmax");
  foldf(w, (size_t)N * H * 3);
  free(a); free(b); free(S); free(w); free(Sd); free(wr);
}

static void test_mix_tokens(int N, int H, int p, int width) {
  const size_t R = 2 * (size_t)p + 1;
  int32_t *a = ialloc(N), *b = ialloc(N);
  tokens(N, p, a, b);
  float *w = frandv((size_t)N * H * 3, 0, 1), *T = frandv((size_t)H * R * width, -1, 1), *base = frandv(width, -1, 1);
  float *out = falloc((size_t)N * width), *pre = falloc((size_t)N * width), *lin = falloc((size_t)N * width);
  EXPECT(gb_mix_tokens(N, H, p, width, a, b, w, T, base, out, 1, pre) == GB_OK, "status");
  EXPECT(gb_mix_tokens(N, H, p, width, a, b, w, T, base, lin, 0, NULL) == GB_OK, "status");
  double *wd = todouble(w, (size_t)N * H * 3), *Td = todouble(T, (size_t)H * R * width), *bd = todouble(base, width);
  double *ref = dalloc((size_t)N * width), *mag = dalloc((size_t)N * width);
  naive_mix(N, H, p, width, a, b, wd, Td, bd, ref, mag);
  int ok = 1, relu = 1, same = 1;
  for (int i = 0; i < N * width; i++) {
    ok &= near(pre[i], ref[i], mag[i], EPS2 * (3 * H + 1));
    relu &= bits(out[i]) == bits(pre[i] > 0 ? pre[i] : 0.0f);
    same &= bits(lin[i]) == bits(pre[i]);
  }
  EXPECT(ok, "mixTokens N=%d H=%d width=%d off the float64 sum", N, H, width);
  EXPECT(relu, "mixTokens relu output is not max(0, pre)");
  EXPECT(same, "mixTokens without relu differs from its pre-activations");
  foldf(out, (size_t)N * width); foldf(pre, (size_t)N * width);
  free(a); free(b); free(w); free(T); free(base); free(out); free(pre); free(lin); free(wd); free(Td); free(bd); free(ref); free(mag);
}

static void test_mix_tokens_backward(int N, int H, int p, int width) {
  const size_t R = 2 * (size_t)p + 1;
  int32_t *a = ialloc(N), *b = ialloc(N);
  tokens(N, p, a, b);
  float *w = frandv((size_t)N * H * 3, 0, 1), *T = frandv((size_t)H * R * width, -1, 1), *dOut = frandv((size_t)N * width, -1, 1);
  float *dT = frandv((size_t)H * R * width, -1, 1), *dS = frandv((size_t)H * R, -1, 1);
  double *dTr = todouble(dT, (size_t)H * R * width), *dSr = todouble(dS, (size_t)H * R);
  double *dTm = dalloc((size_t)H * R * width), *dSm = dalloc((size_t)H * R);
  for (size_t i = 0; i < (size_t)H * R * width; i++) dTm[i] = fabs(dTr[i]);
  for (size_t i = 0; i < (size_t)H * R; i++) dSm[i] = fabs(dSr[i]);
  EXPECT(gb_mix_tokens_backward(N, H, p, width, a, b, w, T, dOut, dT, dS) == GB_OK, "status");
  for (int n = 0; n < N; n++)
    for (int h = 0; h < H; h++) {
      const float *wn = w + ((size_t)n * H + h) * 3;
      double g[3], gm[3], s = 0, sm = 0;
      for (int j = 0; j < 3; j++) {
        const size_t row = (size_t)h * R + tok(j, p, a[n], b[n]);
        g[j] = gm[j] = 0;
        for (int c = 0; c < width; c++) {
          const double x = (double)dOut[(size_t)n * width + c];
          g[j] += x * T[row * width + c]; gm[j] += fabs(x * T[row * width + c]);
          dTr[row * width + c] += wn[j] * x; dTm[row * width + c] += fabs(wn[j] * x);
        }
        s += wn[j] * g[j]; sm += wn[j] * gm[j];
      }
      for (int j = 0; j < 3; j++) {
        const size_t row = (size_t)h * R + tok(j, p, a[n], b[n]);
        dSr[row] += wn[j] * (g[j] - s); dSm[row] += wn[j] * (gm[j] + sm);
      }
    }
  int okT = 1, okS = 1;
  for (size_t i = 0; i < (size_t)H * R * width; i++) okT &= near(dT[i], dTr[i], dTm[i], EPS2 * (N + 1));
  for (size_t i = 0; i < (size_t)H * R; i++) okS &= near(dS[i], dSr[i], dSm[i], EPS2 * (N + width + 4));
  EXPECT(okT, "mixTokensBackward N=%d H=%d width=%d: dT off the float64 sums", N, H, width);
  EXPECT(okS, "mixTokensBackward N=%d H=%d width=%d: dS off the float64 softmax backward", N, H, width);
  foldf(dT, (size_t)H * R * width); foldf(dS, (size_t)H * R);
  free(a); free(b); free(w); free(T); free(dOut); free(dT); free(dS); free(dTr); free(dSr); free(dTm); free(dSm);
}

/* ---- The ReLU MLP: the fused kernels ---- */

typedef struct {
  int N, H, p, m;
  int32_t *a, *b, *t;
  float *S, *P, *basePre, *OU, *baseU, *WoutU;
} Model;

static Model model(int N, int H, int p, int m, int zeroOU) {
  const size_t R = 2 * (size_t)p + 1;
  Model md = { N, H, p, m, ialloc(N), ialloc(N), ialloc(N), NULL, NULL, NULL, NULL, NULL, NULL };
  tokens(N, p, md.a, md.b);
  for (int n = 0; n < N; n++) md.t[n] = (md.a[n] + md.b[n]) % p;
  md.S = frandv((size_t)H * R, -2, 2); md.P = frandv((size_t)H * R * m, -1, 1); md.basePre = frandv(m, -0.5f, 0.5f);
  md.OU = frandv((size_t)H * R * p, -1, 1); md.baseU = frandv(p, -0.5f, 0.5f); md.WoutU = frandv((size_t)m * p, -0.5f, 0.5f);
  if (zeroOU) memset(md.OU, 0, sizeof(float) * H * R * p);
  return md;
}
static void free_model(Model *md) { free(md->a); free(md->b); free(md->t); free(md->S); free(md->P); free(md->basePre); free(md->OU); free(md->baseU); free(md->WoutU); }

/* The float64 forward: w, pre ([N, m]), logits ([N, p]); returns Σ loss (plain log-sum-exp). */
static double naive_forward(const Model *md, const double *S, const double *P, const double *bp, const double *OU,
                            const double *bu, const double *WU, double *w, double *pre, double *logits) {
  const int N = md->N, H = md->H, p = md->p, m = md->m;
  naive_attn(N, H, p, md->a, md->b, S, w);
  naive_mix(N, H, p, m, md->a, md->b, w, P, bp, pre, NULL);
  naive_mix(N, H, p, p, md->a, md->b, w, OU, bu, logits, NULL);
  double sum = 0;
  for (int n = 0; n < N; n++) {
    double *l = logits + (size_t)n * p;
    for (int v = 0; v < p; v++)
      for (int c = 0; c < m; c++) l[v] += fmax(pre[(size_t)n * m + c], 0) * WU[(size_t)c * p + v];
    double mx = -INFINITY, z = 0;
    for (int v = 0; v < p; v++) mx = fmax(mx, l[v]);
    for (int v = 0; v < p; v++) z += exp(l[v] - mx);
    sum += log(z) + mx - l[md->t[n]];
  }
  return sum;
}

/* The float64 backward of the MLP's share from dL (the gradient of the logits): dpre, dP (+=),
 * dS (+=), dBasePre, with magnitudes (Σ of absolute terms) for the tolerances when mags. */
typedef struct { double *dpre, *dP, *dS, *db, *mpre, *mP, *mS, *mb; } Grads;
static Grads grads(const Model *md) {
  const size_t R = 2 * (size_t)md->p + 1, nm = (size_t)md->N * md->m, hr = md->H * R;
  Grads g = { dalloc(nm), dalloc(hr * md->m), dalloc(hr), dalloc(md->m), dalloc(nm), dalloc(hr * md->m), dalloc(hr), dalloc(md->m) };
  return g;
}
static void free_grads(Grads *g) { free(g->dpre); free(g->dP); free(g->dS); free(g->db); free(g->mpre); free(g->mP); free(g->mS); free(g->mb); }

static void naive_backward(const Model *md, const double *w, const double *P, const double *post, const double *dL,
                           const double *WU, Grads *g) {
  const int N = md->N, H = md->H, p = md->p, m = md->m;
  const size_t R = 2 * (size_t)p + 1;
  for (int n = 0; n < N; n++)
    for (int c = 0; c < m; c++) {
      double s = 0, sm = 0;
      for (int v = 0; v < p; v++) { s += dL[(size_t)n * p + v] * WU[(size_t)c * p + v]; sm += fabs(dL[(size_t)n * p + v] * WU[(size_t)c * p + v]); }
      const int on = post[(size_t)n * m + c] > 0;
      g->dpre[(size_t)n * m + c] = on ? s : 0; g->mpre[(size_t)n * m + c] = on ? sm : 0;
      g->db[c] += g->dpre[(size_t)n * m + c]; g->mb[c] += g->mpre[(size_t)n * m + c];
    }
  for (int n = 0; n < N; n++)
    for (int h = 0; h < H; h++) {
      const double *wn = w + ((size_t)n * H + h) * 3;
      double gj[3], gm[3], s = 0, sm = 0;
      for (int j = 0; j < 3; j++) {
        const size_t row = (size_t)h * R + tok(j, p, md->a[n], md->b[n]);
        gj[j] = gm[j] = 0;
        for (int c = 0; c < m; c++) {
          const double x = g->dpre[(size_t)n * m + c];
          gj[j] += x * P[row * m + c]; gm[j] += g->mpre[(size_t)n * m + c] * fabs(P[row * m + c]);
          g->dP[row * m + c] += wn[j] * x; g->mP[row * m + c] += wn[j] * g->mpre[(size_t)n * m + c];
        }
        s += wn[j] * gj[j]; sm += wn[j] * gm[j];
      }
      for (int j = 0; j < 3; j++) {
        const size_t row = (size_t)h * R + tok(j, p, md->a[n], md->b[n]);
        g->dS[row] += wn[j] * (gj[j] - s); g->mS[row] += wn[j] * (gm[j] + sm);
      }
    }
}

static void test_mlp(int N, int H, int p, int m) {
  const size_t R = 2 * (size_t)p + 1, V = p;
  Model md = model(N, H, p, m, 0);
  const double scale = 1.0 / N;
  /* The separate kernels. */
  float *w0 = falloc((size_t)N * H * 3), *post0 = falloc((size_t)N * m), *logits = falloc((size_t)N * V), *dl0 = falloc((size_t)N * V);
  double l0; int c0;
  gb_attn_weights(N, H, p, md.a, md.b, md.S, w0);
  gb_mix_tokens(N, H, p, m, md.a, md.b, w0, md.P, md.basePre, post0, 1, NULL);
  gb_mix_tokens(N, H, p, (int)V, md.a, md.b, w0, md.OU, md.baseU, logits, 0, NULL);
  gb_gemm(0, 0, N, (int)V, m, 1.0f, post0, md.WoutU, 1.0f, logits);
  gb_cross_entropy(N, (int)V, logits, md.t, dl0, scale, &l0, &c0);
  /* Fused, with the training outputs and without. */
  float *w1 = falloc((size_t)N * H * 3), *post1 = falloc((size_t)N * m), *dl1 = falloc((size_t)N * V);
  double l1, l2; int c1, c2;
  EXPECT(gb_mlp_loss(N, H, p, m, md.a, md.b, md.S, w1, md.P, md.basePre, post1, md.OU, md.baseU, md.WoutU, md.t, dl1, scale, &l1, &c1) == GB_OK, "status");
  EXPECT(gb_mlp_loss(N, H, p, m, md.a, md.b, md.S, NULL, md.P, md.basePre, NULL, md.OU, md.baseU, md.WoutU, md.t, NULL, 0, &l2, &c2) == GB_OK, "status");
  EXPECT(same_bits(w1, w0, (size_t)N * H * 3) && same_bits(post1, post0, (size_t)N * m) && same_bits(dl1, dl0, (size_t)N * V),
         "mlpLoss N=%d p=%d m=%d: not the separate kernels' w, post, dLogits", N, p, m);
  EXPECT(l1 == l0 && c1 == c0 && l2 == l0 && c2 == c0, "mlpLoss N=%d p=%d m=%d: loss %.17g/%.17g vs %.17g", N, p, m, l1, l2, l0);
  /* The float64 forward. */
  double *Sd = todouble(md.S, H * R), *Pd = todouble(md.P, H * R * m), *bpd = todouble(md.basePre, m), *OUd = todouble(md.OU, H * R * V);
  double *bud = todouble(md.baseU, V), *WUd = todouble(md.WoutU, (size_t)m * V);
  double *wr = dalloc((size_t)N * H * 3), *prer = dalloc((size_t)N * m), *lr = dalloc((size_t)N * V);
  const double lref = naive_forward(&md, Sd, Pd, bpd, OUd, bud, WUd, wr, prer, lr);
  EXPECT(near(l1, lref, fabs(lref), 1e-5), "mlpLoss N=%d p=%d m=%d: loss %.10g vs float64 %.10g", N, p, m, l1, lref);
  /* The backward: separate kernels, fused with dpre kept and without, float64. */
  float *dpre0 = falloc((size_t)N * m), *dP0 = falloc(H * R * m), *dS0 = frandv(H * R, -0.1f, 0.1f), *db0 = falloc(m);
  float *dSinit = fcopy(dS0, H * R);
  gb_gemm(0, 1, N, m, (int)V, 1.0f, dl0, md.WoutU, 0.0f, dpre0);
  gb_relu_backward(N * m, post0, dpre0);
  gb_mix_tokens_backward(N, H, p, m, md.a, md.b, w0, md.P, dpre0, dP0, dS0);
  gb_col_sum(N, m, dpre0, db0, 0);
  for (int keep = 1; keep >= 0; keep--) {
    float *dpre1 = keep ? falloc((size_t)N * m) : NULL, *dP1 = falloc(H * R * m), *dS1 = fcopy(dSinit, H * R), *db1 = falloc(m);
    EXPECT(gb_mlp_backward(N, H, p, m, md.a, md.b, w1, md.P, post1, dl1, md.WoutU, dpre1, dP1, dS1, db1) == GB_OK, "status");
    EXPECT((!keep || same_bits(dpre1, dpre0, (size_t)N * m)) && same_bits(dP1, dP0, H * R * m) && same_bits(dS1, dS0, H * R) &&
           same_bits(db1, db0, m), "mlpBackward N=%d p=%d m=%d keep=%d: not the separate kernels' gradients", N, p, m, keep);
    free(dpre1); free(dP1); free(dS1); free(db1);
  }
  double *w0d = todouble(w0, (size_t)N * H * 3), *post0d = todouble(post0, (size_t)N * m), *dl0d = todouble(dl0, (size_t)N * V);
  Grads g = grads(&md);
  for (size_t i = 0; i < H * R; i++) { g.dS[i] = dSinit[i]; g.mS[i] = fabs(dSinit[i]); }
  naive_backward(&md, w0d, Pd, post0d, dl0d, WUd, &g);
  int okpre = 1, okP = 1, okS = 1, okb = 1;
  for (size_t i = 0; i < (size_t)N * m; i++) okpre &= near(dpre0[i], g.dpre[i], g.mpre[i], EPS2 * (p + 2));
  for (size_t i = 0; i < H * R * m; i++) okP &= near(dP0[i], g.dP[i], g.mP[i], EPS2 * (N + p + 4));
  for (size_t i = 0; i < H * R; i++) okS &= near(dS0[i], g.dS[i], g.mS[i], EPS2 * (N + m + p + 8));
  for (int c = 0; c < m; c++) okb &= near(db0[c], g.db[c], g.mb[c], EPS2 * (N + p + 4));
  EXPECT(okpre && okP && okS && okb, "mlpBackward N=%d p=%d m=%d off the float64 backward (dpre %d, dP %d, dS %d, dBasePre %d)", N, p, m, okpre, okP, okS, okb);
  fold(&l1, sizeof l1); fold(&c1, sizeof c1); foldf(w1, (size_t)N * H * 3); foldf(post1, (size_t)N * m); foldf(dl1, (size_t)N * V);
  foldf(dpre0, (size_t)N * m); foldf(dP0, H * R * m); foldf(dS0, H * R); foldf(db0, m);
  free_grads(&g);
  free(w0); free(post0); free(logits); free(dl0); free(w1); free(post1); free(dl1); free(Sd); free(Pd); free(bpd); free(OUd); free(bud); free(WUd);
  free(wr); free(prer); free(lr); free(dpre0); free(dP0); free(dS0); free(db0); free(dSinit); free(w0d); free(post0d); free(dl0d);
  free_model(&md);
}

/*
 * The float64 backward above is the derivative of the float64 forward: central differences of
 * scale·Σ loss with respect to every basePre, P and S entry (OU = 0, so that S reaches the loss
 * only through the MLP, the part mlpBackward's dS is), then the kernels against it.
 */
static void test_mlp_finite_differences(void) {
  const int N = 9, H = 2, p = 5, m = 8, V = p;
  const size_t R = 2 * (size_t)p + 1;
  Model md = model(N, H, p, m, 1);
  const double scale = 1.0 / N, eps = 1e-5;
  double *S = todouble(md.S, H * R), *P = todouble(md.P, H * R * m), *bp = todouble(md.basePre, m), *OU = todouble(md.OU, H * R * V);
  double *bu = todouble(md.baseU, V), *WU = todouble(md.WoutU, (size_t)m * V);
  double *w = dalloc((size_t)N * H * 3), *pre = dalloc((size_t)N * m), *lg = dalloc((size_t)N * V), *dL = dalloc((size_t)N * V), *post = dalloc((size_t)N * m);
  naive_forward(&md, S, P, bp, OU, bu, WU, w, pre, lg);
  double minpre = INFINITY;
  for (int i = 0; i < N * m; i++) { post[i] = fmax(pre[i], 0); minpre = fmin(minpre, fabs(pre[i])); }
  for (int n = 0; n < N; n++) {
    double mx = -INFINITY, z = 0;
    for (int v = 0; v < V; v++) mx = fmax(mx, lg[(size_t)n * V + v]);
    for (int v = 0; v < V; v++) z += exp(lg[(size_t)n * V + v] - mx);
    for (int v = 0; v < V; v++) dL[(size_t)n * V + v] = scale * (exp(lg[(size_t)n * V + v] - mx) / z - (v == md.t[n]));
  }
  Grads g = grads(&md);
  naive_backward(&md, w, P, post, dL, WU, &g);
  double *tw = dalloc((size_t)N * H * 3), *tp = dalloc((size_t)N * m), *tl = dalloc((size_t)N * V);
  double worst = 0, gmax = 0;
#define FD(arr, i, grad) do { \
    const double keep = arr[i]; \
    arr[i] = keep + eps; const double up = naive_forward(&md, S, P, bp, OU, bu, WU, tw, tp, tl); \
    arr[i] = keep - eps; const double dn = naive_forward(&md, S, P, bp, OU, bu, WU, tw, tp, tl); \
    arr[i] = keep; \
    const double fd = scale * (up - dn) / (2 * eps); \
    worst = fmax(worst, fabs(fd - (grad))); gmax = fmax(gmax, fabs(grad)); \
  } while (0)
  for (int c = 0; c < m; c++) FD(bp, c, g.db[c]);
  for (size_t i = 0; i < H * R * m; i++) FD(P, i, g.dP[i]);
  for (size_t i = 0; i < H * R; i++) FD(S, i, g.dS[i]);
#undef FD
  EXPECT(minpre > 10 * eps, "finite differences: a pre-activation %g is too close to the ReLU's kink for eps %g", minpre, eps);
  EXPECT(worst <= 1e-7 * (1 + gmax), "the float64 backward is off the finite differences of the forward by %g (gradients up to %g)", worst, gmax);
  /* The kernels on the same model against that backward. */
  float *wk = falloc((size_t)N * H * 3), *postk = falloc((size_t)N * m), *dlk = falloc((size_t)N * V);
  float *dPk = falloc(H * R * m), *dSk = falloc(H * R), *dbk = falloc(m);
  double lk; int ck;
  gb_mlp_loss(N, H, p, m, md.a, md.b, md.S, wk, md.P, md.basePre, postk, md.OU, md.baseU, md.WoutU, md.t, dlk, scale, &lk, &ck);
  gb_mlp_backward(N, H, p, m, md.a, md.b, wk, md.P, postk, dlk, md.WoutU, NULL, dPk, dSk, dbk);
  double kw = 0;
  for (int c = 0; c < m; c++) kw = fmax(kw, fabs(dbk[c] - g.db[c]));
  for (size_t i = 0; i < H * R * m; i++) kw = fmax(kw, fabs(dPk[i] - g.dP[i]));
  for (size_t i = 0; i < H * R; i++) kw = fmax(kw, fabs(dSk[i] - g.dS[i]));
  EXPECT(kw <= 1e-5 * (1 + gmax), "the kernels' MLP gradients are off the float64 backward by %g", kw);
  free(wk); free(postk); free(dlk); free(dPk); free(dSk); free(dbk); free(tw); free(tp); free(tl);
  free_grads(&g);
  free(S); free(P); free(bp); free(OU); free(bu); free(WU); free(w); free(pre); free(lg); free(dL); free(post);
  free_model(&md);
}

/* ---- Bias, activation, optimiser ---- */

static void test_elementwise(void) {
  const int M = 23, N = 70;
  float *A = frandv((size_t)M * N, -1, 1), *row = frandv(N, -1, 1), *A0 = fcopy(A, (size_t)M * N);
  gb_add_row(M, N, A, row);
  int ok = 1;
  for (int i = 0; i < M * N; i++) ok &= bits(A[i]) == bits(A0[i] + row[i % N]);
  EXPECT(ok, "addRow is not A + row");
  float *out = frandv(N, -1, 1), *out0 = fcopy(out, N), *out2 = falloc(N);
  EXPECT(gb_col_sum(M, N, A, out, 1) == GB_OK && gb_col_sum(M, N, A, out2, 0) == GB_OK, "colSum status");
  int okacc = 1, okset = 1;
  for (int j = 0; j < N; j++) {
    double s = 0;
    for (int i = 0; i < M; i++) s += A[(size_t)i * N + j];
    okacc &= bits(out[j]) == bits((float)(out0[j] + s));
    okset &= bits(out2[j]) == bits((float)s);
  }
  EXPECT(okacc && okset, "colSum is not the float64 column sums in row order (accumulate %d, set %d)", okacc, okset);
  float *pre = frandv((size_t)M * N, -1, 1), *dX = frandv((size_t)M * N, -1, 1), *dX0 = fcopy(dX, (size_t)M * N);
  pre[0] = 0.0f; pre[1] = -0.0f;
  gb_relu_backward(M * N, pre, dX);
  ok = 1;
  for (int i = 0; i < M * N; i++) ok &= bits(dX[i]) == bits(pre[i] > 0 ? dX0[i] : 0.0f);
  EXPECT(ok, "reluBackward is not the mask pre > 0");
  foldf(A, (size_t)M * N); foldf(out, N); foldf(dX, (size_t)M * N);
  free(A); free(row); free(A0); free(out); free(out0); free(out2); free(pre); free(dX); free(dX0);
}

static void test_adamw(void) {
  const int n = GB_ADAMW_PAR_MIN + 2 * GB_ADAMW_CHUNK + 77;
  const int32_t ranges[] = { 5, 4100, 4200, n };
  const double lr = 1e-3, b1 = 0.9, b2 = 0.98, eps = 1e-8, wd = 1.0;
  const int step = 7;
  float *P = frandv(n, -1, 1), *G = frandv(n, -1, 1), *Mm = frandv(n, -0.1f, 0.1f), *Vv = frandv(n, 0, 0.01f);
  /* Every 7th element: a tiny gradient and no second moment yet, so that eps matters. */
  for (int i = 0; i < n; i += 7) { G[i] = 1e-6f; Vv[i] = 0.0f; }
  float *P0 = fcopy(P, n), *M0 = fcopy(Mm, n), *V0 = fcopy(Vv, n);
  float *P3 = fcopy(P, n), *M3 = fcopy(Mm, n), *V3 = fcopy(Vv, n);
  const int threads = gb_get_threads();
  gb_set_threads(1); gb_adamw(ranges, 2, P, G, Mm, Vv, lr, b1, b2, eps, wd, step);
  gb_set_threads(3); gb_adamw(ranges, 2, P3, G, M3, V3, lr, b1, b2, eps, wd, step);
  gb_set_threads(threads);
  EXPECT(same_bits(P, P3, n) && same_bits(Mm, M3, n) && same_bits(Vv, V3, n), "adamw at 1 and 3 threads differ");
  int ok = 1, untouched = 1;
  for (int i = 0; i < n; i++) {
    const int in = (i >= 5 && i < 4100) || (i >= 4200 && i < n);
    if (!in) { untouched &= bits(P[i]) == bits(P0[i]) && bits(Mm[i]) == bits(M0[i]) && bits(Vv[i]) == bits(V0[i]); continue; }
    const double g = G[i], m = b1 * M0[i] + (1 - b1) * g, v = b2 * V0[i] + (1 - b2) * g * g;
    const double mhat = m / (1 - pow(b1, step)), vhat = v / (1 - pow(b2, step));
    const double p = P0[i] * (1 - lr * wd) - lr * mhat / (sqrt(vhat) + eps);
    ok &= near(Mm[i], m, fabs(M0[i]) + fabs(g), 1e-6) && near(Vv[i], v, V0[i] + g * g, 1e-6) &&
          near(P[i], p, fabs(P0[i]) + lr * fabs(mhat) / (sqrt(vhat) + eps), 1e-6);
  }
  EXPECT(ok, "adamw off torch.optim.AdamW's step in float64");
  EXPECT(untouched, "adamw wrote outside its ranges");
  foldf(P, n); foldf(Mm, n); foldf(Vv, n);
  free(P); free(G); free(Mm); free(Vv); free(P0); free(M0); free(V0); free(P3); free(M3); free(V3);
}

/* ---- Limits ---- */

static void test_limits(void) {
  EXPECT(GB_MAX_TOKEN_ROWS == GB_TOKENS * GB_MAX_HEADS, "the row buffers hold every head's token rows");
  const int N = 4, H = GB_MAX_HEADS + 1, p = 3, m = 8, R = 2 * p + 1;
  int32_t *a = ialloc(N), *b = ialloc(N), *t = ialloc(N);
  float *w = frandv((size_t)N * H * 3, 0, 1), *T = frandv((size_t)H * R * m, -1, 1), *S = frandv((size_t)H * R, -1, 1);
  float *base = frandv(m, -1, 1), *OU = frandv((size_t)H * R * p, -1, 1), *WU = frandv((size_t)m * p, -1, 1), *bu = frandv(p, -1, 1);
  float *out = falloc((size_t)N * m), *dT = falloc((size_t)H * R * m), *dS = falloc((size_t)H * R), *dl = falloc((size_t)N * p);
  float *wo = falloc((size_t)N * H * 3), *db = falloc(m);
  double l; int c;
  EXPECT(gb_mix_tokens(N, H, p, m, a, b, w, T, base, out, 1, NULL) == GB_ELIMIT, "mixTokens takes %d heads", H);
  EXPECT(gb_mix_tokens_backward(N, H, p, m, a, b, w, T, out, dT, dS) == GB_ELIMIT, "mixTokensBackward takes %d heads", H);
  EXPECT(gb_mlp_loss(N, H, p, m, a, b, S, wo, T, base, out, OU, bu, WU, t, dl, 1, &l, &c) == GB_ELIMIT, "mlpLoss takes %d heads", H);
  EXPECT(gb_mlp_backward(N, H, p, m, a, b, w, T, out, dl, WU, out, dT, dS, db) == GB_ELIMIT, "mlpBackward takes %d heads", H);
  int zero = 1;
  for (int i = 0; i < N * m; i++) zero &= out[i] == 0;
  for (int i = 0; i < H * R * m; i++) zero &= dT[i] == 0;
  for (int i = 0; i < H * R; i++) zero &= dS[i] == 0;
  for (int i = 0; i < N * H * 3; i++) zero &= wo[i] == 0;
  for (int i = 0; i < m; i++) zero &= db[i] == 0;
  EXPECT(zero, "a refused call wrote something");
  free(a); free(b); free(t); free(w); free(T); free(S); free(base); free(OU); free(WU); free(bu); free(out); free(dT); free(dS); free(dl); free(wo); free(db);
}

/* ---- Every path ---- */

static void run_path(void) {
  rng = 20240601; digest = 0xcbf29ce484222325ull;
  test_gemm();
  test_cross_entropy(1); test_cross_entropy(13); test_cross_entropy(37);
  test_attn_weights();
  test_mix_tokens(11, 2, 5, 70); test_mix_tokens(3, GB_MAX_HEADS, 3, 20); test_mix_tokens(130, 1, 7, 16);
  test_mix_tokens_backward(11, 2, 5, 70); test_mix_tokens_backward(5, GB_MAX_HEADS, 3, 20); test_mix_tokens_backward(40, 3, 7, 128);
  /* p = 17 and 33: a last logits panel of one column on the avx2 (NR 16), avx512 (NR 32) and portable (NR 4) paths. */
  test_mlp(41, 2, 17, 24); test_mlp(77, 3, 33, 40); test_mlp(9, GB_MAX_HEADS, 5, 20);
  test_mlp_finite_differences();
  test_elementwise();
  test_adamw();
  test_limits();
}

int main(void) {
  static const char *paths[] = { "portable", "avx2", "avx512" };
  uint64_t first = 0; const char *firstPath = NULL; int ran = 0;
  EXPECT(gb_select_path("no-such-path") != NULL && strcmp(gb_path_name(), "portable") == 0, "an unknown path is refused, the path unchanged");
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    const char *err = gb_select_path(paths[i]);
    if (err) { printf("skip %s: %s\n", paths[i], err); continue; }
    cur = paths[i];
    EXPECT(strcmp(gb_path_name(), paths[i]) == 0, "the path in use is %s", gb_path_name());
    const long before = failures, checksBefore = checks;
    run_path();
    ran++;
    if (!firstPath) { first = digest; firstPath = paths[i]; }
    else EXPECT(digest == first, "the %s path's bits differ from the %s path's (digest %016llx vs %016llx)", paths[i], firstPath,
                (unsigned long long)digest, (unsigned long long)first);
    printf("%s %s: %ld checks, digest %016llx\n", failures == before ? "ok" : "FAILED", paths[i], checks - checksBefore, (unsigned long long)digest);
  }
  cur = "auto";
  EXPECT(gb_select_path("auto") == NULL && strncmp(gb_path_reason(), "auto:", 5) == 0, "auto picks a path: %s", gb_path_reason());
  if (failures) { printf("kernels_test: %ld of %ld checks failed\n", failures, checks); return 1; }
  printf("kernels_test: all %ld checks passed on %d path(s)\n", checks, ran);
  return 0;
}
