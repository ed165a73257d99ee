/*
 * Bias and activation: adding a bias row (forward) and its gradient, the column sums (backward);
 * the ReLU's backward mask.
 */
#include <stdlib.h>
#include "internal.h"

void gb_add_row(int M, int N, float *A, const float *row) {
  for (int i = 0; i < M; i++) { float *o = A + (size_t)i * N; for (int j = 0; j < N; j++) o[j] += row[j]; }
}

/* s[j] += Σ_i A[i, j] (A [M, N], rows lda apart), each column's sum over the rows in order in
 * float64; threads split the columns (blocks of GB_COL_BLOCK). */
void gb_col_sums(const float *A, int M, int N, long lda, double *s) {
  const int nb = (N + GB_COL_BLOCK - 1) / GB_COL_BLOCK;
  #pragma omp parallel for schedule(static) if ((double)M * N > GB_PAR_MIN)
  for (int blk = 0; blk < nb; blk++)
    gb_path->colsum(A, M, lda, blk * GB_COL_BLOCK, blk * GB_COL_BLOCK + GB_COL_BLOCK < N ? blk * GB_COL_BLOCK + GB_COL_BLOCK : N, s);
}

int gb_col_sum(int M, int N, const float *A, float *out, int acc) {
  double *s = calloc((size_t)N, sizeof(double));
  if (!s) return GB_ENOMEM;
  gb_col_sums(A, M, N, N, s);
  for (int j = 0; j < N; j++) out[j] = acc ? (float)(out[j] + s[j]) : (float)s[j];
  free(s);
  return GB_OK;
}

void gb_relu_backward(int n, const float *pre, float *dX) {
  #pragma omp parallel for schedule(static) if (n > GB_PAR_MIN)
  for (int i = 0; i < n; i++) dX[i] = pre[i] > 0.0f ? dX[i] : 0.0f;
}
