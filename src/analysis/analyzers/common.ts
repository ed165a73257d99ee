/** Small helpers the analyzers share when they build their artifacts and summaries. */
import type { TensorInput } from '../../io/safetensors.js';

/** An artifact tensor of float32 values (from float64 results). */
export function f32Tensor(x: ArrayLike<number>, shape: number[]): TensorInput {
  return { dtype: 'F32', shape, data: Float32Array.from(x) };
}

/** 1-based index of the largest value (a frequency k from an array indexed k−1); the first wins ties. */
export function argmax1(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best + 1;
}
