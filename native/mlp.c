/*
 * The MLP and the unembedding, fused per tile of rows with the attention mixing before them and
 * the loss after them: gb_mlp_loss (the forward pass from the attention scores to the loss) and
 * gb_mlp_backward (the MLP's share of the backward pass). Each is exactly the sequence of separate
 * kernels in its kernels.h comment, element by element; only where intermediate values live
 * (a tile in cache instead of a whole array in memory) and which thread computes which rows differ.
 *
 * Scratch rows that the steps stream through are GB_ROW_PAD floats (64 bytes) longer than m: with
 * rows m·4 = 2 kB apart, the same column of every row the mix reads and writes falls in the same
 * few L1 sets (12 rows per sample already fill a set's 12 ways), and stores to them alias the
 * table loads 4 kB apart (loads then wait on unrelated stores).
 */
#include <string.h>
#include "internal.h"

/* Rows per fused tile: GB_TILE_ROWS rounded up to whole micro-kernel tiles of MR rows. */
static int tile_rows(int MR) { return MR * ((GB_TILE_ROWS + MR - 1) / MR); }

/* ---- Forward: attention weights, post = relu(mix(P)), logits = mix(OU) + post·WoutU, loss ---- */

/* gb_mlp_loss's operands and shared scratch, as its threads see them. */
typedef struct {
  int H, p, m, V, R, Np, RT;
  long ldt;                   /* row stride of Pp and the post tile: m + GB_ROW_PAD */
  const int32_t *a, *b, *t;
  const float *S, *Pp, *Bp;   /* Pp: P's rows ldt apart; Bp: WoutU packed in NR-column panels */
  const float *basePre, *OU, *baseU;
  float *wOut, *postOut, *dL;
  double scale, *rowLoss;
  int *rowOk;
} LossJob;

/* One thread's scratch: w (when wOut is not kept), the post and logits tiles, the GEMM's A sliver
 * and C tile, the cross-entropy's exp row. */
typedef struct { float *wt, *pt, *lt, *Ap, *Ct; double *e; } LossScratch;

static int loss_scratch(const LossJob *j, LossScratch *s) {
  const int MR = gb_path->mr, NR = gb_path->nr;
  s->wt = j->wOut ? NULL : malloc(sizeof(float) * (size_t)j->RT * j->H * GB_TOKENS);
  s->pt = gb_alloc_f32((size_t)j->RT * j->ldt);
  s->lt = gb_alloc_f32((size_t)j->RT * j->Np);
  s->Ap = gb_alloc_f32((size_t)MR * j->m);
  s->Ct = gb_alloc_f32((size_t)MR * NR);
  s->e = gb_alloc_f64((size_t)j->V);
  const int ok = (j->wOut || s->wt) && s->pt && s->lt && s->Ap && s->Ct && s->e;
  /* The logits tile's columns past V (to Np) are the GEMM's scratch: start them defined. */
  if (ok) memset(s->lt, 0, sizeof(float) * (size_t)j->RT * j->Np);
  return ok;
}

static void free_loss_scratch(LossScratch *s) { free(s->wt); free(s->pt); free(s->lt); free(s->Ap); free(s->Ct); free(s->e); }

/* The forward pass of rows [i0, i0 + rows) (rows <= RT) through the thread's tiles. */
static void loss_tile(const LossJob *j, const LossScratch *s, int i0, int rows) {
  const int H = j->H, p = j->p, m = j->m, V = j->V, Np = j->Np;
  float *w = j->wOut ? j->wOut + (size_t)i0 * H * GB_TOKENS : s->wt;
  float *post = s->pt;
  gb_path->attn_rows(j->S, j->R, p, j->a + i0, j->b + i0, rows, H, w);
  gb_mix_span(rows, H, p, m, j->ldt, j->a + i0, j->b + i0, w, j->Pp, j->basePre, post, j->ldt, NULL, 1);
  gb_mix_span(rows, H, p, V, V, j->a + i0, j->b + i0, w, j->OU, j->baseU, s->lt, Np, NULL, 0);
  /* logits += post·WoutU (columns up to the padded width Np are scratch). */
  gb_rows_by_panels(post, j->ldt, rows, m, j->Bp, V, Np, s->lt, Np, 1.0f, 1.0f, s->Ap, s->Ct);
  for (int r = 0; r < rows; r++) {
    const int n = i0 + r;
    j->rowLoss[n] = gb_path->ce_row(s->lt + (size_t)r * Np, V, j->t[n], j->dL ? j->dL + (size_t)n * V : NULL, j->scale, s->e,
                                    &j->rowOk[n]);
    if (j->postOut) memcpy(j->postOut + (size_t)n * m, post + (size_t)r * j->ldt, sizeof(float) * m);
  }
}

int gb_mlp_loss(int N, int H, int p, int m, const int32_t *a, const int32_t *b, const float *S, float *wOut,
                const float *P, const float *basePre, float *postOut, const float *OU, const float *baseU,
                const float *WoutU, const int32_t *t, float *dL, double scale, double *lossSum, int *correct) {
  if (H > GB_MAX_HEADS) return GB_ELIMIT;
  const int R = 2 * p + 1, V = p, NR = gb_path->nr;
  const int Np = (V + NR - 1) / NR * NR, panels = Np / NR, RT = tile_rows(gb_path->mr), tiles = (N + RT - 1) / RT;
  const long ldt = m + GB_ROW_PAD;
  float *Pp = gb_alloc_f32((size_t)H * R * ldt), *Bp = gb_alloc_f32((size_t)m * Np);
  double *rowLoss = malloc(sizeof(double) * (size_t)(N > 0 ? N : 1));
  int *rowOk = malloc(sizeof(int) * (size_t)(N > 0 ? N : 1));
  if (!Bp || !Pp || !rowLoss || !rowOk) { free(Bp); free(Pp); free(rowLoss); free(rowOk); return GB_ENOMEM; }
  const LossJob j = { .H = H, .p = p, .m = m, .V = V, .R = R, .Np = Np, .RT = RT, .ldt = ldt, .a = a, .b = b, .t = t, .S = S,
                      .Pp = Pp, .Bp = Bp, .basePre = basePre, .OU = OU, .baseU = baseU, .wOut = wOut, .postOut = postOut,
                      .dL = dL, .scale = scale, .rowLoss = rowLoss, .rowOk = rowOk };
  int oom = 0;
  #pragma omp parallel if ((double)N * m * V > GB_PAR_MIN)
  {
    /* Pack WoutU ([m, V]) in NR-column panels, zero padded, as gb_gemm packs op(B); copy P's rows ldt apart. */
    #pragma omp for schedule(static) nowait
    for (int q = 0; q < panels; q++) gb_pack_panel(0, V, m, WoutU, q, Bp + (size_t)q * m * NR);
    #pragma omp for schedule(static)
    for (int r = 0; r < H * R; r++) memcpy(Pp + (size_t)r * ldt, P + (size_t)r * m, sizeof(float) * m);
    LossScratch s;
    const int ok = loss_scratch(&j, &s);
    if (!ok) {
      #pragma omp atomic write
      oom = 1;
    }
    #pragma omp for schedule(dynamic, 2)
    for (int tile = 0; tile < tiles; tile++) {
      if (!ok) continue;
      const int i0 = tile * RT;
      loss_tile(&j, &s, i0, N - i0 < RT ? N - i0 : RT);
    }
    free_loss_scratch(&s);
  }
  free(Bp); free(Pp);
  if (!oom) gb_loss_sum(N, rowLoss, rowOk, lossSum, correct);
  free(rowLoss); free(rowOk);
  return oom ? GB_ENOMEM : GB_OK;
}

/* ---- Backward: dpre = relu'(post) ⊙ dL·WoutUᵀ, then mixTokensBackward(P) and the bias's colSum ---- */

/* dX[i] = pre[i] > 0 ? dX[i] : 0 for i < n (reluBackward). */
static void relu_mask(const float *restrict pre, float *restrict dX, size_t n) {
  for (size_t i = 0; i < n; i++) dX[i] = pre[i] > 0.0f ? dX[i] : 0.0f;
}

/* gb_mlp_backward's operands and shared scratch, as its threads see them. */
typedef struct {
  int H, p, m, RT;
  long ldq;                  /* row stride of dq: m + GB_ROW_PAD */
  const int32_t *a, *b;
  const float *P, *post, *dL, *Bp; /* Bp: WoutUᵀ packed as gb_gemm packs op(B) */
  float *dq, *gd;            /* dpre ([N, ldq]); the dot products [N, H, 3] */
} GradJob;

/* Rows [i0, i0 + rows) of dpre = relu'(post)·(dL·WoutUᵀ) and their dot products with the P rows
 * they mix (mixTokensBackward's phase 1), through the thread's Ap (MR×p) and Ct (MR×NR). */
static void grad_tile(const GradJob *j, int i0, int rows, float *Ap, float *Ct) {
  const int H = j->H, p = j->p, m = j->m;
  float *dp = j->dq + (size_t)i0 * j->ldq;
  gb_rows_by_panels(j->dL + (size_t)i0 * p, p, rows, p, j->Bp, m, m, dp, j->ldq, 1.0f, 0.0f, Ap, Ct);
  for (int r = 0; r < rows; r++) relu_mask(j->post + (size_t)(i0 + r) * m, dp + (size_t)r * j->ldq, (size_t)m);
  for (int r = 0; r < rows; r++) {
    const int n = i0 + r;
    const float *trows[GB_MAX_TOKEN_ROWS];
    gb_token_rows(j->P, m, H, p, j->a[n], j->b[n], trows);
    gb_path->dots(dp + (size_t)r * j->ldq, trows, GB_TOKENS * H, m, j->gd + (size_t)n * H * GB_TOKENS);
  }
}

/* The fused part of gb_mlp_backward: dq and gd for all N rows, split across threads by tiles. */
static int grad_rows(int N, const GradJob *j, const float *WoutU, float *Bp) {
  const int MR = gb_path->mr, NR = gb_path->nr, panels = (j->m + NR - 1) / NR, tiles = (N + j->RT - 1) / j->RT;
  int oom = 0;
  #pragma omp parallel if ((double)N * j->m * j->p > GB_PAR_MIN)
  {
    /* op(B) = WoutUᵀ ([p, m]), packed as gb_gemm packs it. */
    #pragma omp for schedule(static)
    for (int q = 0; q < panels; q++) gb_pack_panel(1, j->m, j->p, WoutU, q, Bp + (size_t)q * j->p * NR);
    float *Ap = gb_alloc_f32((size_t)MR * j->p), *Ct = gb_alloc_f32((size_t)MR * NR);
    if (!Ap || !Ct) {
      #pragma omp atomic write
      oom = 1;
    }
    #pragma omp for schedule(dynamic, 2)
    for (int tile = 0; tile < tiles; tile++) {
      if (!Ap || !Ct) continue;
      const int i0 = tile * j->RT;
      grad_tile(j, i0, N - i0 < j->RT ? N - i0 : j->RT, Ap, Ct);
    }
    free(Ap); free(Ct);
  }
  return oom ? GB_ENOMEM : GB_OK;
}

int gb_mlp_backward(int N, int H, int p, int m, const int32_t *a, const int32_t *b, const float *w, const float *P,
                    const float *post, const float *dL, const float *WoutU, float *dpre, float *dP, float *dS,
                    float *dBasePre) {
  if (H > GB_MAX_HEADS) return GB_ELIMIT;
  const int NR = gb_path->nr, panels = (m + NR - 1) / NR;
  const long ldq = m + GB_ROW_PAD;
  float *Bp = gb_alloc_f32((size_t)p * panels * NR);
  float *gd = malloc(sizeof(float) * ((size_t)N * H * GB_TOKENS + 1));
  float *dq = gb_alloc_f32((size_t)(N > 0 ? N : 1) * ldq);
  double *s = calloc((size_t)m, sizeof(double));
  if (!Bp || !gd || !s || !dq) { free(Bp); free(gd); free(s); free(dq); return GB_ENOMEM; }
  const GradJob j = { .H = H, .p = p, .m = m, .RT = tile_rows(gb_path->mr), .ldq = ldq, .a = a, .b = b, .P = P, .post = post,
                      .dL = dL, .Bp = Bp, .dq = dq, .gd = gd };
  const int rc = grad_rows(N, &j, WoutU, Bp);
  free(Bp);
  if (rc != GB_OK) { free(gd); free(s); free(dq); return rc; }
  gb_mix_backward_scatter(N, H, p, m, a, b, w, dq, ldq, gd, dP, dS);
  free(gd);
  gb_col_sums(dq, N, m, ldq, s);
  if (dpre) for (int n = 0; n < N; n++) memcpy(dpre + (size_t)n * m, dq + (size_t)n * ldq, sizeof(float) * m);
  free(dq);
  for (int jj = 0; jj < m; jj++) dBasePre[jj] = (float)s[jj];
  free(s);
  return GB_OK;
}
