/*
 * The kernel paths (avx512, avx2, portable): the same source (path.inc) compiled once per path
 * with its own target attribute (`#pragma GCC target`), the rest of the engine built for baseline
 * x86-64; and which path is in use. The path is chosen at load time from CPUID feature bits
 * (never from a table of CPU models) or forced with GROKBENCH_KERNELS (gb_select_path, called by
 * addon.c with that variable's value). Every path gives the same bits (the determinism contract
 * in src/engine/kernels.ts). Also the thread count (OpenMP).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"

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

/* The path in use and why (gb_select_path; GROKBENCH_KERNELS=auto|avx512|avx2|portable). */
const Path *gb_path = &path_portable;
static char path_reason[256] = "";

const char *gb_path_name(void) { return gb_path->name; }
const char *gb_path_reason(void) { return path_reason; }
int gb_path_lanes(void) { return gb_path->lanes; }

#if defined(__x86_64__)
static int cpu_has_avx512(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}
static int cpu_has_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif

/* Sets the path and why. */
static const char *use(const Path *p, const char *reason) {
  gb_path = p;
  snprintf(path_reason, sizeof path_reason, "%s", reason);
  return NULL;
}

/*
 * Chooses the path from CPUID feature bits (libgcc's __builtin_cpu_supports, which also checks
 * that the OS saves the vector registers) or as forced by want. Returns an error message (for a
 * forced path the CPU lacks, or an unknown value) or NULL.
 */
const char *gb_select_path(const char *want) {
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
    if (has512) return use(&path_avx512, "auto: CPUID reports AVX-512 F/VL/BW/DQ");
    if (has2) return use(&path_avx2, "auto: CPUID reports AVX2 and FMA, no AVX-512");
    return use(&path_portable, "auto: CPUID reports neither AVX-512 nor AVX2+FMA");
#else
    return use(&path_portable, "auto: not an x86-64 build");
#endif
  }
  if (strcmp(want, "portable") == 0) return use(&path_portable, "GROKBENCH_KERNELS=portable");
#if defined(__x86_64__)
  if (strcmp(want, "avx512") == 0 && has512) return use(&path_avx512, "GROKBENCH_KERNELS=avx512");
  if (strcmp(want, "avx2") == 0 && has2) return use(&path_avx2, "GROKBENCH_KERNELS=avx2");
#endif
  if (strcmp(want, "avx512") == 0 || strcmp(want, "avx2") == 0) {
    snprintf(err, sizeof err, "GROKBENCH_KERNELS=%s but this CPU does not support %s", want,
             strcmp(want, "avx512") == 0 ? "AVX-512 F/VL/BW/DQ" : "AVX2 and FMA");
    return err;
  }
  snprintf(err, sizeof err, "GROKBENCH_KERNELS must be auto, avx512, avx2 or portable, got '%s'", want);
  return err;
}

void gb_set_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  (void)n;
#endif
}

int gb_get_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
