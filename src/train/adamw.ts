/**
 * AdamW as `torch.optim.AdamW` (decoupled weight decay, bias correction), over the trained
 * ranges of one flat parameter buffer. The arithmetic is the engine's `adamw` kernel.
 */
import type { Kernels, Vec } from '../engine/kernels.js';

export interface AdamWSettings { lr: number; beta1: number; beta2: number; eps: number; wd: number }

export class AdamW {
  /** First and second moment estimates, shaped like the flat parameter buffer. */
  readonly m: Vec;
  readonly v: Vec;
  /** Optimiser steps taken so far. */
  step = 0;

  constructor(private readonly k: Kernels, size: number, private readonly ranges: Int32Array,
              readonly settings: AdamWSettings) {
    this.m = k.alloc(size);
    this.v = k.alloc(size);
  }

  /** One update of `param` from `grad` (both flat buffers). */
  update(param: Vec, grad: Vec): void {
    this.step++;
    const s = this.settings;
    this.k.adamw(this.ranges, param, grad, this.m, this.v, s.lr, s.beta1, s.beta2, s.eps, s.wd, this.step);
  }
}
