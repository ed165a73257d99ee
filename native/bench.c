/*
 * The bench's machine measurements (no part of training): the core clock and one thread's FMA
 * throughput in the path's registers.
 */
#include <stdint.h>
#include <time.h>
#include "internal.h"

/* Runs of the clock measurement: the best of GB_CLOCK_RUNS runs of GB_CLOCK_ROUNDS rounds of
 * GB_CLOCK_ADDS dependent adds (~1.5 ms each, short, so that some run is not preempted on a busy
 * machine); trials of the FMA peak: the best of GB_FMA_TRIALS; GB_FMA_CHAINS chains in registers
 * (path.inc fma_peak). */
#define GB_CLOCK_RUNS 40
#define GB_CLOCK_ROUNDS 50000
#define GB_CLOCK_ADDS 100
#define GB_FMA_TRIALS 20
#define GB_FMA_CHAINS 12
#define GB_STR2(x) #x
#define GB_STR(x) GB_STR2(x)

static double now_s(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

/* A chain of dependent integer adds (one cycle each on every x86-64 core). */
double gb_clock_ghz(void) {
  double best = 0;
#if defined(__x86_64__)
  for (int run = 0; run < GB_CLOCK_RUNS; run++) {
    uint64_t x = 0, n = GB_CLOCK_ROUNDS;
    const double t0 = now_s();
    __asm__ volatile(
      "1:\n\t"
      ".rept " GB_STR(GB_CLOCK_ADDS) "\n\tadd %[one], %[x]\n\t.endr\n\t"
      "dec %[n]\n\tjnz 1b\n\t"
      : [x] "+r"(x), [n] "+r"(n) : [one] "r"((uint64_t)1) : "cc");
    const double ghz = (double)GB_CLOCK_ADDS * GB_CLOCK_ROUNDS / (now_s() - t0) / 1e9;
    if (ghz > best) best = ghz;
  }
#endif
  return best;
}

double gb_fma_peak(double iters) {
  double gflops = 0;
  for (int trial = 0; trial < GB_FMA_TRIALS; trial++) {
    const double t0 = now_s();
    volatile double sink = gb_path->fma_peak((long)(iters / GB_FMA_TRIALS));
    (void)sink;
    const double g = iters / GB_FMA_TRIALS * GB_FMA_CHAINS * 2 * gb_path->lanes / (now_s() - t0) / 1e9;
    if (g > gflops) gflops = g;
  }
  return gflops;
}
