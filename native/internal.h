/*
 * What the kernel files share and the outside does not see: the per-CPU path table (Path, the
 * functions of path.inc for one ISA; paths.c builds one per path and points gb_path at the one in
 * use), the GEMM micro-kernel's modes, and the helpers one layer's kernels borrow from another's.
 */
#ifndef GROKBENCH_INTERNAL_H
#define GROKBENCH_INTERNAL_H

#include <stdlib.h>
#include "kernels.h"

/* The GEMM micro-kernel's modes (path.inc micro). */
#define GB_CHAIN_START 0  /* start the chains from 0 and store their values */
#define GB_CHAIN_RESUME 1 /* resume the chains from the tile's stored values, store them */
#define GB_CHAIN_FINAL 2  /* start from 0, store alpha·acc (+ beta·C) in place */

/* One path's kernels (path.inc documents each). */
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

/* The path in use (paths.c; gb_select_path sets it). */
extern const Path *gb_path;

/* n floats (doubles) of scratch, GB_ALIGN-aligned, the size rounded up to whole GB_ALIGN bytes. */
static inline float *gb_alloc_f32(size_t n) {
  const size_t per = GB_ALIGN / sizeof(float);
  return aligned_alloc(GB_ALIGN, sizeof(float) * ((n + per - 1) / per * per));
}
static inline double *gb_alloc_f64(size_t n) {
  const size_t per = GB_ALIGN / sizeof(double);
  return aligned_alloc(GB_ALIGN, sizeof(double) * ((n + per - 1) / per * per));
}

/*
 * The rows of a per-token table T ([H, R, ·], rows ldT apart) that sample (an, bn) mixes, in
 * the kernels' order: per head h, [a-row, b-row, "=" row] at rows[3h], rows[3h + 1], rows[3h + 2]
 * (rows holds GB_MAX_TOKEN_ROWS; H <= GB_MAX_HEADS).
 */
static inline void gb_token_rows(const float *T, long ldT, int H, int p, int an, int bn, const float **rows) {
  const size_t R = 2 * (size_t)p + 1;
  for (int h = 0; h < H; h++) {
    rows[GB_TOKENS * h] = T + (h * R + an) * ldT;
    rows[GB_TOKENS * h + 1] = T + (h * R + p + bn) * ldT;
    rows[GB_TOKENS * h + 2] = T + (h * R + 2 * p) * ldT;
  }
}

/* gemm.c: packing op(B) in NR-column panels and a GEMM over some rows from the packed panels. */
void gb_pack_panel(int tb, int N, int K, const float *B, int q, float *Bp);
void gb_rows_by_panels(const float *A, long lda, int rows, int K, const float *Bp, int N, int Nw, float *C, long ldc,
                       float alpha, float beta, float *Ap, float *Ct);

/* attention.c: mixTokens over a span of samples, and mixTokensBackward after its dot products. */
void gb_mix_span(int rows, int H, int p, int width, long ldT, const int32_t *a, const int32_t *b, const float *w,
                 const float *T, const float *base, float *out, long ldo, float *pre, int relu);
void gb_mix_backward_scatter(int N, int H, int p, int width, const int32_t *a, const int32_t *b, const float *w,
                             const float *dOut, long ldo, const float *gd, float *dT, float *dS);

/* elementwise.c: s[j] += Σ_i A[i, j] in float64 (A [M, N], rows lda apart). */
void gb_col_sums(const float *A, int M, int N, long lda, double *s);

/* loss.c: the cross-entropy's result from per-row losses and hits (Σ loss in row order). */
void gb_loss_sum(int N, const double *rowLoss, const int *rowOk, double *lossSum, int *correct);

#endif
