/**
 * Reusable scratch buffers. Analysing a checkpoint at p=113 touches ~80 MB of temporaries; on
 * this machine first-touching fresh memory costs about as much as the GEMMs themselves, so a
 * long-lived caller (a pipeline worker) keeps one Scratch and passes it to every call. Without
 * one, each call allocates afresh. Buffers are handed out by name and are valid until the next
 * request of the same name.
 */
import type { Kernels, Vec } from '../../engine/kernels.js';

export class Scratch {
  private readonly bufs = new Map<string, Vec>();

  /** A buffer of `n` values in the engine's precision (contents unspecified). */
  vec(k: Kernels, name: string, n: number): Vec {
    const key = `${k.precision}:${name}`;
    let b = this.bufs.get(key);
    if (!b || b.length < n) {
      b = k.alloc(n);
      this.bufs.set(key, b);
    }
    return b.length === n ? b : b.subarray(0, n);
  }
}
