/**
 * Restricted and excluded loss (Nanda et al. 2023, "Progress measures for grokking via mechanistic
 * interpretability", §5.1), as the paper's own code computes them (its Grokking analysis notebook:
 * `trig_loss` for the restricted loss, `calculate_excluded_loss_2D_full` for the excluded loss,
 * `get_cos_coeffs` for the cos(w(a+b−c)) coefficients; helpers `get_component_cos_xpy`,
 * `get_component_sin_xpy`, `test_logits`).
 *
 * Input: the logits L [p², p] at the last position over all pairs (row a·p + b, column c) and the
 * key frequencies w_k = 2πk/p. For each key frequency, the paper projects every output column
 * L[·, c] (a vector over the p² inputs) on the two unit directions of the 2-D Fourier basis over
 * (a, b) that carry cos(w(a+b)) and sin(w(a+b)):
 *   u_k(a, b) = √2/p · cos(w_k(a+b)),  v_k(a, b) = √2/p · sin(w_k(a+b))   (orthonormal, zero-mean),
 *   P_k L[ab, c] = ⟨L[·, c], u_k⟩ u_k(ab) + ⟨L[·, c], v_k⟩ v_k(ab).
 * These are the components α_c cos(w(a+b)) + β_c sin(w(a+b)) of each logit, which contain the
 * algorithm's cos(w(a+b−c)) = cos(w(a+b))cos(wc) + sin(w(a+b))sin(wc) terms.
 *   restricted logits  R = Σ_key P_k L + mean over the p² inputs of L (per c: the paper's bias
 *                      correction, `test_logits(..., bias_correction=True)`); restricted loss is
 *                      their cross-entropy on all p² pairs (the paper's figure, mode 'all'); the
 *                      train and test parts are given too.
 *   excluded logits    E = L − Σ_key P_k L; excluded loss is their cross-entropy on the training
 *                      pairs (mode 'train', no bias correction), and per key frequency alone
 *                      (L − P_k L: the paper's per-frequency excluded loss). The notebook also has
 *                      a 3-D variant that removes only γ_k times the unit cos(w_k(a+b−c)) over the
 *                      p³ cube (`excluded_loss_3D_full`, not in the paper's figures): excluded_loss_3d.
 * Both depend on (a, b) only through s = (a + b) mod p for the removed or kept part, so everything
 * is computed from S[s, c] = Σ_{a+b≡s} L[ab, c] (p² values) plus one pass over the training rows.
 *
 * Shares of the logit variance (no counterpart in the paper's code; definitions here): the
 * variance is that of the doubly centred logits L_dc = L − (row mean over c) − (column mean over
 * the inputs) + (grand mean), the part of the logits the softmax sees beyond a per-class bias.
 *   key_logit_fraction   ‖Σ_key P_k L_dc‖² / ‖L_dc‖²: the share the restricted logits keep
 *   trig_sum_fraction    Σ_key (γ_k² + δ_k²) / ‖L_dc‖², with γ_k, δ_k the coefficients of L on
 *                        the unit-norm cos(w_k(a+b−c)) and sin(w_k(a+b−c)) over the p³ cube
 *                        (γ_k is the paper's `cos_coeffs`): the share of the ideal trig-sum form.
 * Cross-entropies are in float64 (log-softmax with the max subtracted; log1p where the target holds
 * the maximum), accuracies take the first maximum.
 */
import { checkOddP, frequencyCount } from '../../math/basis.js';

export interface RestrictedLoss {
  /** Cross-entropy of the logits themselves on all pairs, the training pairs and the test pairs (null without a split). */
  loss: number; train_loss: number | null; test_loss: number | null;
  /** The restricted logits' cross-entropy on all pairs (the paper's), on the training and the test pairs. */
  restricted_loss: number; restricted_loss_train: number | null; restricted_loss_test: number | null;
  restricted_accuracy: number;
  /** The excluded logits' cross-entropy and accuracy on the training pairs (null without a split). */
  excluded_loss: number | null; excluded_accuracy: number | null;
  /** The notebook's 3-D excluded loss: only the key frequencies' cos(w(a+b−c)) terms removed (training pairs). */
  excluded_loss_3d: number | null;
  /** Per key frequency (in the order given): the training loss with that frequency alone removed. */
  excluded_loss_per_key: (number | null)[];
  key_logit_fraction: number | null;
  trig_sum_fraction: number | null;
  /** Per frequency k = 1..(p−1)/2 (index k−1): γ_k and δ_k, the coefficients on unit cos/sin(w_k(a+b−c)). */
  cos_coefficients: Float64Array; sin_coefficients: Float64Array;
}

/** Cross-entropy of one row of logits against target t (float64, stable). */
export function rowCrossEntropy(l: ArrayLike<number>, off: number, p: number, t: number): number {
  let mx = -Infinity;
  for (let j = 0; j < p; j++) if (l[off + j] > mx) mx = l[off + j];
  let rest = 0;
  for (let j = 0; j < p; j++) if (j !== t) rest += Math.exp(l[off + j] - mx);
  const lt = l[off + t] - mx;
  return lt === 0 ? Math.log1p(rest) : Math.log(rest + Math.exp(lt)) - lt;
}

/**
 * Cross-entropy of the row with values l_c − o_c from e_c = exp(l_c − max l) and the factors
 * f_c = exp(−o_c) (f null: o = 0): log(Σ_c e_c f_c) − log(e_t f_t), as log1p(rest / target) while
 * the target's term is a normal number (full relative precision for tiny losses), else in logs.
 * `lt` is l_t − max l and `ot` is o_t.
 */
function lossOf(e: Float64Array, p: number, t: number, lt: number, ot: number, f: Float64Array | null, off: number): number {
  let rest = 0;
  if (f) { for (let c = 0; c < p; c++) if (c !== t) rest += e[c] * f[off + c]; } else for (let c = 0; c < p; c++) if (c !== t) rest += e[c];
  const zt = f ? e[t] * f[off + t] : e[t];
  return zt >= 2.2250738585072014e-308 ? Math.log1p(rest / zt) : Math.log(rest + zt) - (lt - ot);
}

/** Whether the first maximum of a row is at t. */
function rowCorrect(l: ArrayLike<number>, off: number, p: number, t: number): boolean {
  let best = 0;
  for (let j = 1; j < p; j++) if (l[off + j] > l[off + best]) best = j;
  return best === t;
}

/**
 * The measures above. `logits` [p², p] row a·p + b; `keys` 1-based frequencies (distinct, ≤ (p−1)/2);
 * `train` a 0/1 mask over the p² pairs, or null when the run's split is unknown (then every
 * train/test field is null).
 */
export function restrictedLoss(logits: ArrayLike<number>, p: number, keys: readonly number[], train: Uint8Array | null): RestrictedLoss {
  checkOddP(p);
  const N = p * p, nF = frequencyCount(p);
  if (logits.length !== N * p) throw new Error(`restrictedLoss: ${logits.length} logits, expected p³ = ${N * p}`);
  if (train && train.length !== N) throw new Error(`restrictedLoss: train mask of ${train.length}, expected p² = ${N}`);
  for (const k of keys) if (!Number.isInteger(k) || k < 1 || k > nF) throw new Error(`restrictedLoss: key frequency ${k} outside 1..${nF}`);
  if (new Set(keys).size !== keys.length) throw new Error(`restrictedLoss: key frequencies repeat (${keys.join(', ')})`);

  // cos/sin(2π k x / p) by k·x mod p (exact arguments).
  const cosT = new Float64Array(p), sinT = new Float64Array(p);
  for (let x = 0; x < p; x++) { cosT[x] = Math.cos((2 * Math.PI * x) / p); sinT[x] = Math.sin((2 * Math.PI * x) / p); }

  // S[s, c] = Σ_{a+b ≡ s} L[ab, c]; row sums over c; column means over the inputs; Σ L².
  const S = new Float64Array(N), rowMean = new Float64Array(N), colMean = new Float64Array(p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const i = a * p + b, s = (a + b) % p;
    let r = 0;
    for (let c = 0; c < p; c++) { const v = logits[i * p + c]; S[s * p + c] += v; r += v; }
    rowMean[i] = r / p;
  }
  for (let s = 0; s < p; s++) for (let c = 0; c < p; c++) colMean[c] += S[s * p + c] / N;
  let grand = 0;
  for (let c = 0; c < p; c++) grand += colMean[c] / p;
  let varDc = 0;
  for (let i = 0; i < N; i++) for (let c = 0; c < p; c++) {
    const v = logits[i * p + c] - rowMean[i] - colMean[c] + grand;
    varDc += v * v;
  }

  // A[k, c] = Σ_s S[s, c] cos(w_k s), B[k, c] = Σ_s S[s, c] sin(w_k s): ⟨L[·,c], u_k⟩ = √2/p · A.
  const A = new Float64Array(nF * p), B = new Float64Array(nF * p);
  for (let k = 1; k <= nF; k++) for (let s = 0; s < p; s++) {
    const ks = (k * s) % p, cs = cosT[ks], sn = sinT[ks];
    for (let c = 0; c < p; c++) { A[(k - 1) * p + c] += S[s * p + c] * cs; B[(k - 1) * p + c] += S[s * p + c] * sn; }
  }
  // γ_k, δ_k on unit cos/sin(w(s − c)) over the p³ cube (norm² p³/2).
  const cube = Math.sqrt((p * p * p) / 2);
  const gamma = new Float64Array(nF), delta = new Float64Array(nF);
  for (let k = 1; k <= nF; k++) {
    let g = 0, d = 0;
    for (let c = 0; c < p; c++) {
      const kc = (k * c) % p, Ak = A[(k - 1) * p + c], Bk = B[(k - 1) * p + c];
      g += Ak * cosT[kc] + Bk * sinT[kc];
      d += Bk * cosT[kc] - Ak * sinT[kc];
    }
    gamma[k - 1] = g / cube; delta[k - 1] = d / cube;
  }

  // The kept part of one key frequency, per (s, c): P_k L = (2/p²)(A cos(w s) + B sin(w s)).
  const part = (k: number, out: Float64Array, sign: number): void => {
    for (let s = 0; s < p; s++) {
      const ks = (k * s) % p, cs = cosT[ks], sn = sinT[ks];
      for (let c = 0; c < p; c++) out[s * p + c] += (sign * 2 * (A[(k - 1) * p + c] * cs + B[(k - 1) * p + c] * sn)) / N;
    }
  };
  const kept = new Float64Array(N);
  for (const k of keys) part(k, kept, 1);

  let keyShare = 0;
  for (const k of keys) {
    let ma = 0, mb = 0;
    for (let c = 0; c < p; c++) { ma += A[(k - 1) * p + c] / p; mb += B[(k - 1) * p + c] / p; }
    for (let c = 0; c < p; c++) keyShare += (2 / N) * ((A[(k - 1) * p + c] - ma) ** 2 + (B[(k - 1) * p + c] - mb) ** 2);
  }
  let trigShare = 0;
  for (const k of keys) trigShare += gamma[k - 1] ** 2 + delta[k - 1] ** 2;

  // Restricted logits depend on (a, b) only through s, and so does the target: one row per s.
  const R = new Float64Array(N);
  for (let s = 0; s < p; s++) for (let c = 0; c < p; c++) R[s * p + c] = kept[s * p + c] + colMean[c];
  const nTrain = new Float64Array(p);
  if (train) for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) if (train[a * p + b]) nTrain[(a + b) % p]++;
  let rAll = 0, rTrain = 0, rTest = 0, rCorrect = 0, trainCount = 0;
  for (let s = 0; s < p; s++) {
    const ce = rowCrossEntropy(R, s * p, p, s);
    rAll += ce * p;
    rTrain += ce * nTrain[s];
    rTest += ce * (p - nTrain[s]);
    trainCount += nTrain[s];
    if (rowCorrect(R, s * p, p, s)) rCorrect += p;
  }
  const testCount = N - trainCount;

  // The logits themselves, and the excluded logits on the training pairs. A removed part o[s, c]
  // enters a row's softmax as the factor exp(−o[s, c]) on e_c = exp(L_c − max L): one exp per
  // logit and one per (s, c) and removed part, then only products per training row and part.
  // The notebook's 3-D variant (`excluded_loss_3D_full`): only γ_k · unit cos(w_k(a+b−c)) removed.
  const cos3 = new Float64Array(N);
  for (const k of keys) for (let s = 0; s < p; s++) for (let c = 0; c < p; c++) cos3[s * p + c] += (gamma[k - 1] * cosT[(k * ((s - c + p) % p)) % p]) / cube;
  const removed = [kept, cos3, ...keys.map((k) => { const o = new Float64Array(N); part(k, o, 1); return o; })];
  const factor = removed.map((o) => o.map((x) => Math.exp(-x)));
  const sums = new Float64Array(removed.length);
  let lAll = 0, lTrain = 0, eCorrect = 0;
  const e = new Float64Array(p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const i = a * p + b, s = (a + b) % p, off = i * p;
    let mx = -Infinity;
    for (let c = 0; c < p; c++) if (logits[off + c] > mx) mx = logits[off + c];
    for (let c = 0; c < p; c++) e[c] = Math.exp(logits[off + c] - mx);
    const ce = lossOf(e, p, s, logits[off + s] - mx, 0, null, 0);
    lAll += ce;
    if (!train || !train[i]) continue;
    lTrain += ce;
    for (let j = 0; j < removed.length; j++) sums[j] += lossOf(e, p, s, logits[off + s] - mx, removed[j][s * p + s], factor[j], s * p);
    let best = 0;
    for (let c = 1; c < p; c++) if (logits[off + c] - kept[s * p + c] > logits[off + best] - kept[s * p + best]) best = c;
    if (best === s) eCorrect++;
  }
  const eTrain = sums[0], e3Train = sums[1], perKey = Array.from(sums.subarray(2));
  const split = train !== null && trainCount > 0;
  const hasTest = train !== null && testCount > 0;
  return {
    loss: lAll / N,
    train_loss: split ? lTrain / trainCount : null,
    test_loss: hasTest ? (lAll - lTrain) / testCount : null,
    restricted_loss: rAll / N,
    restricted_loss_train: split ? rTrain / trainCount : null,
    restricted_loss_test: hasTest ? rTest / testCount : null,
    restricted_accuracy: rCorrect / N,
    excluded_loss: split ? eTrain / trainCount : null,
    excluded_accuracy: split ? eCorrect / trainCount : null,
    excluded_loss_3d: split ? e3Train / trainCount : null,
    excluded_loss_per_key: perKey.map((x) => (split ? x / trainCount : null)),
    key_logit_fraction: varDc > 0 ? keyShare / varDc : null,
    trig_sum_fraction: varDc > 0 ? trigShare / varDc : null,
    cos_coefficients: gamma, sin_coefficients: delta,
  };
}
