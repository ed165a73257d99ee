/*
 * The softmax cross-entropy: the loss and, in the same pass, its gradient (kernels.ts crossEntropy
 * defines both, and the flush of float32 gradients below 2^-126 to +0). The per-row arithmetic is
 * path.inc's ce_row.
 */
#include <stdlib.h>
#include "internal.h"

/* Σ rowLoss in row order (the same for every thread count) and the number of hits. */
void gb_loss_sum(int N, const double *rowLoss, const int *rowOk, double *lossSum, int *correct) {
  double s = 0; int c = 0;
  for (int n = 0; n < N; n++) { s += rowLoss[n]; c += rowOk[n]; }
  *lossSum = s; *correct = c;
}

int gb_cross_entropy(int N, int V, const float *L, const int32_t *t, float *dL, double scale,
                     double *lossSum, int *correct) {
  /* Row losses go to an array and are added in row order afterwards, so the sum is the same for
   * every thread count; the number correct is an integer. Scratch is per thread, on the heap. */
  double *rowLoss = malloc(sizeof(double) * (size_t)(N > 0 ? N : 1));
  int *rowOk = malloc(sizeof(int) * (size_t)(N > 0 ? N : 1));
  if (!rowLoss || !rowOk) { free(rowLoss); free(rowOk); return GB_ENOMEM; }
  int oom = 0;
  #pragma omp parallel if ((double)N * V > GB_PAR_MIN / 8)
  {
    double *e = gb_alloc_f64((size_t)V);
    if (!e) {
      #pragma omp atomic write
      oom = 1;
    }
    #pragma omp for schedule(static)
    for (int n = 0; n < N; n++) {
      if (!e) continue;
      rowLoss[n] = gb_path->ce_row(L + (size_t)n * V, V, t[n], dL ? dL + (size_t)n * V : NULL, scale, e, &rowOk[n]);
    }
    free(e);
  }
  if (!oom) gb_loss_sum(N, rowLoss, rowOk, lossSum, correct);
  free(rowLoss); free(rowOk);
  return oom ? GB_ENOMEM : GB_OK;
}
