/**
 * Weight norms (Omnigrok's lens, Liu et al. 2023: grokking as the slow decay of the weight norm
 * under weight decay once the training set is fitted). For each parameter tensor W its Frobenius
 * norm ‖W‖_F = √(Σᵢ wᵢ²), and the norm of all parameters together √(Σ_W ‖W‖_F²), the quantity
 * AdamW's weight decay shrinks. Sums in float64.
 */
import { PARAM_NAMES, type ParamName, type Params } from '../../model/params.js';

export interface WeightNorms {
  /** ‖W‖_F of every parameter tensor, in state-dict order (biases are 0 while frozen). */
  perTensor: Record<ParamName, number>;
  /** √(Σ ‖W‖_F²) over every parameter. */
  total: number;
}

export function weightNorms(params: Params): WeightNorms {
  const perTensor = {} as Record<ParamName, number>;
  let all = 0;
  for (const name of PARAM_NAMES) {
    const v = params.t[name];
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * v[i];
    perTensor[name] = Math.sqrt(s);
    all += s;
  }
  return { perTensor, total: Math.sqrt(all) };
}
