/*
 * The optimiser: one AdamW step (torch.optim.AdamW's order of float32 operations; the per-element
 * arithmetic is path.inc's adamw_range), the step's constants derived in float64 and rounded once.
 */
#include <math.h>
#include "internal.h"

void gb_adamw(const int32_t *ranges, size_t nranges, float *P, const float *G, float *M, float *V,
              double lr, double beta1, double beta2, double eps, double wd, int step) {
  const double bc1 = 1 - pow(beta1, step), bc2 = 1 - pow(beta2, step);
  const float decay = (float)(1 - lr * wd), omb1 = (float)(1 - beta1), fb2 = (float)beta2, omb2 = (float)(1 - beta2);
  const float stepSize = (float)(lr / bc1), bc2Sqrt = (float)sqrt(bc2), feps = (float)eps;
  for (size_t r = 0; r < nranges; r++) {
    const size_t s = (size_t)ranges[2 * r], e = (size_t)ranges[2 * r + 1];
    /* Element-wise: chunks of GB_ADAMW_CHUNK split across threads. */
    const long nch = (long)((e - s + GB_ADAMW_CHUNK - 1) / GB_ADAMW_CHUNK);
    #pragma omp parallel for schedule(static) if (e - s > GB_ADAMW_PAR_MIN)
    for (long ch = 0; ch < nch; ch++) {
      const size_t cs = s + (size_t)ch * GB_ADAMW_CHUNK, ce = cs + GB_ADAMW_CHUNK < e ? cs + GB_ADAMW_CHUNK : e;
      gb_path->adamw_range(P, G, M, V, cs, ce, decay, omb1, fb2, omb2, stepSize, bc2Sqrt, feps);
    }
  }
}
