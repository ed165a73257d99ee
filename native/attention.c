/*
 * The attention layer of the 3-token model at its last position: the weights (a softmax over the
 * sample's three tokens per head), mixing the per-token tables by them (forward), and the
 * backward of the mixing into the tables and, through the softmax, the scores. The per-row
 * arithmetic is path.inc's (attn_rows, mix_rows, dots, scatter_blk, scatter_tail).
 */
#include <stdlib.h>
#include "internal.h"

/* w [N, H, 3] = softmax over each sample's three scores per head (kernels.h). */
void gb_attn_weights(int N, int H, int p, const int32_t *a, const int32_t *b, const float *S, float *w) {
  const int R = 2 * p + 1;
  /* Chunks of GB_SAMPLE_CHUNK samples, vectorised over (sample, head) pairs within each. */
  const int chunks = (N + GB_SAMPLE_CHUNK - 1) / GB_SAMPLE_CHUNK;
  #pragma omp parallel for schedule(static) if ((double)N * H * GB_ATTN_PAIR_COST > GB_PAR_MIN)
  for (int c = 0; c < chunks; c++) {
    const int n0 = c * GB_SAMPLE_CHUNK, rows = N - n0 < GB_SAMPLE_CHUNK ? N - n0 : GB_SAMPLE_CHUNK;
    gb_path->attn_rows(S, R, p, a + n0, b + n0, rows, H, w + (size_t)n0 * H * GB_TOKENS);
  }
}

/*
 * mixTokens for `rows` consecutive samples (a, b, w offset to the first; T's rows ldT apart, out
 * and pre rows ldo apart): each sample's row through mix_rows, its rows per head [a-row, b-row,
 * "=" row]. H <= GB_MAX_HEADS.
 */
void gb_mix_span(int rows, int H, int p, int width, long ldT, const int32_t *a, const int32_t *b, const float *w,
                 const float *T, const float *base, float *out, long ldo, float *pre, int relu) {
  const float *trows[GB_MAX_TOKEN_ROWS];
  for (int r = 0; r < rows; r++) {
    gb_token_rows(T, ldT, H, p, a[r], b[r], trows);
    /* w's row [H, 3] is the weights in trows' order. */
    gb_path->mix_rows(out + (size_t)r * ldo, pre ? pre + (size_t)r * ldo : NULL, base, trows, w + (size_t)r * H * GB_TOKENS,
                      GB_TOKENS * H, width, relu);
  }
}

int gb_mix_tokens(int N, int H, int p, int width, const int32_t *a, const int32_t *b, const float *w,
                  const float *T, const float *base, float *out, int relu, float *pre) {
  if (H > GB_MAX_HEADS) return GB_ELIMIT;
  /* Whole rows (column blocks, to keep a block of the tables in L2 while the samples stream
   * through it, were slower at every width tried: p=113, width 512, 8939 samples, one thread, AMD
   * Zen 5: blocks of 64 2.9 ms, 128 3.3–4.1 ms, 256 2.2 ms, whole rows 1.9 ms), chunks of
   * GB_SAMPLE_CHUNK samples split across threads. */
  const int chunks = (N + GB_SAMPLE_CHUNK - 1) / GB_SAMPLE_CHUNK;
  #pragma omp parallel for schedule(static) if ((double)N * H * width > GB_PAR_MIN)
  for (int c = 0; c < chunks; c++) {
    const int n0 = c * GB_SAMPLE_CHUNK, rows = N - n0 < GB_SAMPLE_CHUNK ? N - n0 : GB_SAMPLE_CHUNK;
    gb_mix_span(rows, H, p, width, width, a + n0, b + n0, w + (size_t)n0 * H * GB_TOKENS, T, base, out + (size_t)n0 * width,
                width, pre ? pre + (size_t)n0 * width : NULL, relu);
  }
  return GB_OK;
}

/*
 * mixTokensBackward after its dot products gd[n, h, j] = dOut[n]·T[h, tok_j(n)] (dOut's rows ldo
 * apart): the softmax backward into dS (serial, in sample order), then dT[h, tok_j(n)] += w·dOut[n].
 */
void gb_mix_backward_scatter(int N, int H, int p, int width, const int32_t *a, const int32_t *b, const float *w,
                             const float *dOut, long ldo, const float *gd, float *dT, float *dS) {
  const int R = 2 * p + 1;
  /* Phase 2 (serial, in sample order): the softmax backward into dS. */
  for (int n = 0; n < N; n++) {
    for (int h = 0; h < H; h++) {
      const float *wn = w + ((size_t)n * H + h) * GB_TOKENS, *gn = gd + ((size_t)n * H + h) * GB_TOKENS;
      const float s = wn[0] * gn[0] + wn[1] * gn[1] + wn[2] * gn[2];
      dS[(size_t)h * R + a[n]] += wn[0] * (gn[0] - s);
      dS[(size_t)h * R + p + b[n]] += wn[1] * (gn[1] - s);
      dS[(size_t)h * R + 2 * p] += wn[2] * (gn[2] - s);
    }
  }
  /* Phase 3 (parallel over column blocks of GB_SCATTER_BW, the heads one after another within
   * each, samples in order within each head): dT[h, tok_j(n)] += w·dOut[n]. Consecutive heads
   * stream the same block of dOut's columns. */
  const int nb = (width + GB_SCATTER_BW - 1) / GB_SCATTER_BW;
  #pragma omp parallel for schedule(dynamic, 1) if ((double)N * H * width > GB_PAR_MIN)
  for (int blk = 0; blk < nb; blk++) {
    const int c0 = blk * GB_SCATTER_BW, bw = width - c0 < GB_SCATTER_BW ? width - c0 : GB_SCATTER_BW;
    for (int h = 0; h < H; h++) {
      float *Th = dT + (size_t)h * R * width;
      if (bw == GB_SCATTER_BW) gb_path->scatter_blk(Th, dOut, N, ldo, width, c0, a, b, w, H, h, p);
      else gb_path->scatter_tail(Th, dOut, N, ldo, width, c0, bw, a, b, w, H, h, p);
    }
  }
}

int gb_mix_tokens_backward(int N, int H, int p, int width, const int32_t *a, const int32_t *b, const float *w,
                           const float *T, const float *dOut, float *dT, float *dS) {
  if (H > GB_MAX_HEADS) return GB_ELIMIT;
  /* Phase 1 (parallel over samples): the dot products g_j = dOut[n]·T[h, tok_j(n)]. */
  float *gd = malloc(sizeof(float) * (size_t)N * H * GB_TOKENS);
  if (!gd) return GB_ENOMEM;
  #pragma omp parallel for schedule(static) if ((double)N * H * width > GB_PAR_MIN)
  for (int n = 0; n < N; n++) {
    const float *g = dOut + (size_t)n * width;
    const float *rows[GB_MAX_TOKEN_ROWS];
    gb_token_rows(T, width, H, p, a[n], b[n], rows);
    gb_path->dots(g, rows, GB_TOKENS * H, width, gd + (size_t)n * H * GB_TOKENS);
  }
  gb_mix_backward_scatter(N, H, p, width, a, b, w, dOut, width, gd, dT, dS);
  free(gd);
  return GB_OK;
}
