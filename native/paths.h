/*
 * The kernel paths (avx512, avx2, portable): the same source (path.inc) compiled once per path
 * with its own target attribute (`#pragma GCC target`), the rest of the addon built for baseline
 * x86-64. The path in use is chosen at load time from CPUID feature bits (never from a table of
 * CPU models) or forced with GROKBENCH_KERNELS; see grokbench.c choose_path. Every path gives the
 * same bits (the determinism contract in src/engine/kernels.ts).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef double v8d __attribute__((vector_size(64), aligned(8)));
typedef int64_t v8l __attribute__((vector_size(64), aligned(8)));
typedef float v8f __attribute__((vector_size(32), aligned(4)));
/* 16 floats as one value; aligned(4) lets it load from any float address. */
typedef float v16f __attribute__((vector_size(64), aligned(4)));
typedef int32_t v16i __attribute__((vector_size(64), aligned(4)));

/*
 * exp(x) in float64 for x <= 0, deterministic and vectorisable (issue 9): x = n·ln2 + r with
 * n = round(x·log2 e) (the 1.5·2^52 trick), r by Cody–Waite with fdlibm's split of ln2
 * (|r| <= 0.347), e^r by its degree-13 Taylor polynomial in Horner form (truncation < 5e-18,
 * about 1e-16 relative in all), and 2^n through the exponent bits. Arguments below -708 give 0.
 * Every operation is a separately rounded IEEE multiply or add (-ffp-contract=off), so the scalar
 * and vector versions in every path and the TypeScript reference (reference.ts exp64) agree bit
 * for bit.
 */
#define EXP64_MIN (-708.0)
#define EXP64_SHIFT 6755399441055744.0 /* 1.5·2^52 */
#define EXP64_SHIFT_BITS INT64_C(0x4338000000000000)
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
  int64_t ti; memcpy(&ti, &t, sizeof ti);
  const int64_t si = (ti - EXP64_SHIFT_BITS + 1023) << 52;
  double s; memcpy(&s, &si, sizeof s);
  return p * s;
}

/*
 * The cross-entropy's gradient flush (determinism contract, kernels.ts): a float32 value whose
 * magnitude is below 2^-126 (a subnormal; the smallest normal float32 is FLT_MIN = 2^-126) becomes
 * +0, so no float32 subnormal reaches the backward GEMMs (on Intel cores every FMA reading one
 * takes a microcode assist). Done on the value's bits, the same in every path and the scalar
 * tail, never through the CPU's FTZ/DAZ modes. NaN and infinities pass unchanged.
 */
static inline float flush_tiny(float x) {
  uint32_t u; memcpy(&u, &x, sizeof u);
  return (u & 0x7fffffffu) < 0x00800000u ? 0.0f : x;
}

/* One path's kernels. */
typedef struct {
  const char *name;
  int mr, nr; /* the GEMM micro-kernel's tile */
  void (*micro)(int kc, const float *A, long sk, long sr, const float *Bp, float *C, int ldc, int mode, float alpha, float beta);
  double (*ce_row)(const float *o, int V, int t, float *d, double scale, double *e, int *correct);
  void (*mix_rows)(float *out, float *pre, const float *base, const float *const *rows, const float *ws, int nrows, int width, int relu);
  void (*scatter_blk)(float *Th, const float *dOut, int N, long ldo, int width, int c0, const int32_t *a, const int32_t *b, const float *w, int H, int h, int p);
  void (*scatter_tail)(float *Th, const float *dOut, int N, long ldo, int width, int c0, int bw, const int32_t *a, const int32_t *b, const float *w, int H, int h, int p);
  void (*dots)(const float *x, const float *const *rows, int nrows, int n, float *out);
  void (*adamw_range)(float *P, const float *G, float *Mm, float *Vv, size_t s, size_t e,
                      float decay, float omb1, float fb2, float omb2, float stepSize, float bc2Sqrt, float feps);
  double (*fma_peak)(long iters); /* the bench's peak measurement */
  int lanes;                       /* float32 lanes per vector */
  void (*colsum)(const float *A, int M, long lda, int j0, int j1, double *s);
  void (*attn_rows)(const float *S, int R, int p, const int32_t *a, const int32_t *b, int rows, int H, float *w);
  void (*col_rows)(int rows, int K, const float *A, long lda, const float *Bp, int c, float *C, long ldc, float alpha, float beta);
} Path;

#define GB_PORTABLE 0
#define GB_AVX2 1
#define GB_AVX512 2

#define GB_PATH GB_PORTABLE
#define GB_SUFFIX portable
#define GB_PATH_NAME "portable"
#include "path.inc"
#undef GB_PATH
#undef GB_SUFFIX
#undef GB_PATH_NAME

#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define GB_PATH GB_AVX2
#define GB_SUFFIX avx2
#define GB_PATH_NAME "avx2"
#include "path.inc"
#undef GB_PATH
#undef GB_SUFFIX
#undef GB_PATH_NAME
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")
#define GB_PATH GB_AVX512
#define GB_SUFFIX avx512
#define GB_PATH_NAME "avx512"
#include "path.inc"
#undef GB_PATH
#undef GB_SUFFIX
#undef GB_PATH_NAME
#pragma GCC pop_options
#endif
