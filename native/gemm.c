/*
 * The GEMM (float32, no BLAS) under the determinism contract of kernels.ts: every element's
 * product is one FMA chain from 0 over k = 0..K−1 in order (the K-blocking only stores the chain's
 * float value and resumes it), then C = alpha·acc (skipped when alpha = 1) and, unless beta = 0,
 * + beta·C, each a float32 operation. op(B) is packed once in NR-column panels (zero padded);
 * threads split only the MR-row tiles of C, each packing its own A slivers. The micro-kernel
 * (MR×NR, per path) is path.inc's micro. Also the packing and row helpers mlp.c fuses with.
 */
#include <string.h>
#include "internal.h"

/*
 * Stores an MR×NR accumulator tile t (rows ldt apart), mr rows and nr columns of it, into C (rows
 * ldc apart) as the GEMM's epilogue: C = alpha·t (skipped for alpha = 1), + beta·C unless beta = 0,
 * each a float32 operation (the micro-kernel's GB_CHAIN_FINAL does the same in registers).
 */
static void store_tile(const float *t, long ldt, float *C, long ldc, int mr, int nr, float alpha, float beta) {
  for (int r = 0; r < mr; r++) {
    const float *s = t + (size_t)r * ldt;
    float *o = C + (size_t)r * ldc;
    if (beta == 0.0f) {
      if (alpha == 1.0f) memcpy(o, s, sizeof(float) * nr);
      else for (int c = 0; c < nr; c++) o[c] = alpha * s[c];
    } else if (alpha == 1.0f) {
      for (int c = 0; c < nr; c++) o[c] = s[c] + beta * o[c];
    } else {
      for (int c = 0; c < nr; c++) o[c] = alpha * s[c] + beta * o[c];
    }
  }
}

/* Packs panel q of op(B) ([K, N]; B is [K, N], or [N, K] when tb): Bp[k·NR + c] = op(B)(k, q·NR + c), zero past N. */
void gb_pack_panel(int tb, int N, int K, const float *B, int q, float *Bp) {
  const int NR = gb_path->nr, j0 = q * NR, nr = N - j0 < NR ? N - j0 : NR;
  for (int k = 0; k < K; k++) {
    float *d = Bp + (size_t)k * NR;
    if (tb) for (int c = 0; c < nr; c++) d[c] = B[(size_t)(j0 + c) * K + k];
    else memcpy(d, B + (size_t)k * N + j0, sizeof(float) * nr);
    for (int c = nr; c < NR; c++) d[c] = 0.0f;
  }
}

/*
 * Rows [0, rows) of C (ldc) = alpha·A·op(B) (+ beta·C) for A row-major (lda) and op(B) ([K, N])
 * packed by gb_pack_panel into Bp (panel q at Bp + q·K·NR): gb_gemm's arithmetic for these rows,
 * every chain over all K at once (a K-blocked chain stores its float32 value and resumes it, so it
 * is the same chain). Whole MR×NR tiles are stored by the micro-kernel in place; a last, partial
 * tile goes through Ct (MR×NR) and store_tile, its A rows through Ap (MR×K). C's
 * columns up to Nw ≥ N may be written (scratch past N): a last panel narrower than NR is then
 * stored in place too. A last panel of one column goes through col_rows.
 */
void gb_rows_by_panels(const float *A, long lda, int rows, int K, const float *Bp, int N, int Nw, float *C, long ldc,
                       float alpha, float beta, float *Ap, float *Ct) {
  const int MR = gb_path->mr, NR = gb_path->nr;
  int panels = (N + NR - 1) / NR;
  /* A last panel with one column: that column alone, in scalar chains (col_rows). */
  if (N % NR == 1 && NR > 1) {
    panels--;
    gb_path->col_rows(rows, K, A, lda, Bp + (size_t)panels * K * NR, 0, C + (size_t)panels * NR, ldc, alpha, beta);
  }
  for (int s0 = 0; s0 < rows; s0 += MR) {
    const int mr = rows - s0 < MR ? rows - s0 : MR;
    const float *As; long sk, sr;
    if (mr == MR) { As = A + (size_t)s0 * lda; sk = 1; sr = lda; }
    else {
      for (int k = 0; k < K; k++) {
        float *d = Ap + (size_t)k * MR;
        for (int r = 0; r < mr; r++) d[r] = A[(size_t)(s0 + r) * lda + k];
        for (int r = mr; r < MR; r++) d[r] = 0.0f;
      }
      As = Ap; sk = MR; sr = 1;
    }
    for (int q = 0; q < panels; q++) {
      const int j0 = q * NR, nr = N - j0 < NR ? N - j0 : NR;
      const float *Bq = Bp + (size_t)q * K * NR;
      float *Cq = C + (size_t)s0 * ldc + j0;
      if (mr == MR && j0 + NR <= Nw && K > 0) { gb_path->micro(K, As, sk, sr, Bq, Cq, (int)ldc, GB_CHAIN_FINAL, alpha, beta); continue; }
      if (K > 0) gb_path->micro(K, As, sk, sr, Bq, Ct, NR, GB_CHAIN_START, 1.0f, 0.0f);
      else memset(Ct, 0, sizeof(float) * (size_t)MR * NR);
      store_tile(Ct, NR, Cq, ldc, mr, nr, alpha, beta);
    }
  }
}

/* One gb_gemm call as its threads see it: the operands, op(B) packed (Bp, panels of NR columns,
 * Np = panels·NR wide) and, with nk > 1 K blocks, the chains' workspace W ([tiles·MR, Np]). */
typedef struct {
  int ta, M, N, K, Np, panels, nk;
  float alpha, beta;
  const float *A, *Bp;
  float *C, *W;
} GemmPlan;

/*
 * The A operand of the MR-row tile from row i0 (mr rows) over K block [k0, k0 + kc): a full tile
 * reads A in place; the last, partial one from a zero-padded packed sliver,
 * Ap[k·MR + r] = A(i0 + r, k0 + k). Sets the micro-kernel's strides *sk, *sr.
 */
static const float *a_sliver(const GemmPlan *g, int i0, int mr, int k0, int kc, float *Ap, long *sk, long *sr) {
  const int MR = gb_path->mr, M = g->M, K = g->K;
  const float *A = g->A;
  if (mr == MR) {
    if (g->ta) { *sk = M; *sr = 1; return A + (size_t)k0 * M + i0; }
    *sk = 1; *sr = K; return A + (size_t)i0 * K + k0;
  }
  for (int k = 0; k < kc; k++) {
    float *d = Ap + (size_t)k * MR;
    if (g->ta) { const float *src = A + (size_t)(k0 + k) * M + i0; for (int r = 0; r < mr; r++) d[r] = src[r]; }
    for (int r = mr; r < MR; r++) d[r] = 0.0f;
  }
  if (!g->ta) {
    for (int r = 0; r < mr; r++) {
      const float *src = A + (size_t)(i0 + r) * K + k0;
      for (int k = 0; k < kc; k++) Ap[(size_t)k * MR + r] = src[k];
    }
  }
  *sk = MR; *sr = 1;
  return Ap;
}

/* K block kb of one MR-row tile of C, every panel: the chains started (kb = 0) or resumed, and
 * after the last block stored with alpha and beta. Ap (MR×KC) and Ct (MR×NR) are the thread's. */
static void gemm_tile(const GemmPlan *g, int tile, int kb, float *Ap, float *Ct) {
  const int MR = gb_path->mr, NR = gb_path->nr, N = g->N, K = g->K, nk = g->nk;
  const int k0 = kb * GB_GEMM_KC, kc = K - k0 < GB_GEMM_KC ? K - k0 : GB_GEMM_KC;
  const int i0 = tile * MR, mr = g->M - i0 < MR ? g->M - i0 : MR;
  long sk, sr;
  const float *As = a_sliver(g, i0, mr, k0, kc, Ap, &sk, &sr);
  for (int q = 0; q < g->panels; q++) {
    const int j0 = q * NR, nr = N - j0 < NR ? N - j0 : NR;
    const float *Bq = g->Bp + (size_t)q * K * NR + (size_t)k0 * NR;
    if (nk == 1 && kc > 0 && mr == MR && nr == NR) {
      /* A whole tile of C: the micro-kernel applies alpha and beta and stores in place. */
      gb_path->micro(kc, As, sk, sr, Bq, g->C + (size_t)i0 * N + j0, N, GB_CHAIN_FINAL, g->alpha, g->beta);
      continue;
    }
    float *acc; int ldc;
    if (nk > 1) { acc = g->W + (size_t)i0 * g->Np + (size_t)q * NR; ldc = g->Np; }
    else { acc = Ct; ldc = NR; }
    if (kc > 0) gb_path->micro(kc, As, sk, sr, Bq, acc, ldc, kb == 0 ? GB_CHAIN_START : GB_CHAIN_RESUME, 1.0f, 0.0f);
    else memset(acc, 0, sizeof(float) * (size_t)MR * NR); /* K = 0: empty chains */
    if (kb == nk - 1) store_tile(acc, ldc, g->C + (size_t)i0 * N + j0, N, mr, nr, g->alpha, g->beta);
  }
}

int gb_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, const float *B, float beta, float *C) {
  if (M == 0 || N == 0) return GB_OK;
  const int MR = gb_path->mr, NR = gb_path->nr;
  const int Np = (N + NR - 1) / NR * NR, panels = Np / NR, tiles = (M + MR - 1) / MR;
  const int nk = K == 0 ? 1 : (K + GB_GEMM_KC - 1) / GB_GEMM_KC;
  float *Bp = gb_alloc_f32((size_t)(K > 0 ? K : 1) * Np);
  float *W = nk > 1 ? gb_alloc_f32((size_t)tiles * MR * Np) : NULL;
  if (!Bp || (nk > 1 && !W)) { free(Bp); free(W); return GB_ENOMEM; }
  const GemmPlan g = { .ta = ta, .M = M, .N = N, .K = K, .Np = Np, .panels = panels, .nk = nk, .alpha = alpha, .beta = beta,
                       .A = A, .Bp = Bp, .C = C, .W = W };
  const double work = 2.0 * M * N * K;
  int oom = 0;
  #pragma omp parallel if (work > 4 * GB_PAR_MIN)
  {
    /* Pack op(B): panel q holds B(k, q·NR + c) at Bp[q·K·NR + k·NR + c]. */
    #pragma omp for schedule(static)
    for (int q = 0; q < panels; q++) gb_pack_panel(tb, N, K, B, q, Bp + (size_t)q * K * NR);
    float *Ap = gb_alloc_f32((size_t)MR * GB_GEMM_KC);
    float *Ct = gb_alloc_f32((size_t)MR * NR);
    if (!Ap || !Ct) {
      #pragma omp atomic write
      oom = 1;
    }
    for (int kb = 0; kb < nk; kb++) {
      #pragma omp for schedule(static)
      for (int tile = 0; tile < tiles; tile++) {
        if (!Ap || !Ct) continue;
        gemm_tile(&g, tile, kb, Ap, Ct);
      }
    }
    free(Ap); free(Ct);
  }
  free(Bp); free(W);
  return oom ? GB_ENOMEM : GB_OK;
}

int gb_gemm_batch(const gb_gemm_call *calls, int n) {
  int failed = 0;
  #pragma omp parallel for schedule(dynamic, 1) if (n > 1)
  for (int i = 0; i < n; i++) {
    const gb_gemm_call *g = &calls[i];
    if (gb_gemm(g->ta, g->tb, g->M, g->N, g->K, g->alpha, g->A, g->B, g->beta, g->C) != GB_OK) {
      #pragma omp atomic write
      failed = 1;
    }
  }
  return failed ? GB_ENOMEM : GB_OK;
}
