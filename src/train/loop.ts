/**
 * The trainer's epoch without a store: tables, loss and gradient over the training pairs, the test
 * evaluation, one AdamW step — the same calls in the same order as `train` (trainer.ts), so a state
 * reached here is the state the trainer reaches. For the bench (timing epochs from real late
 * states) and the engine's tests (counting subnormals in late epochs).
 */
import type { Kernels } from '../engine/kernels.js';
import { makeSplit } from '../data/dataset.js';
import type { TrainConfig } from '../config/config.js';
import { initParams } from '../model/init.js';
import { type Batch, type Tables, GradWorkspace, Workspace, computeTables, evaluate, lossAndGrad, makeBatch } from '../model/model.js';
import { Params } from '../model/params.js';
import { AdamW } from './adamw.js';
import { loadResume, saveResume } from './resume.js';

export class EpochLoop {
  readonly params: Params;
  readonly grad: Params;
  readonly opt: AdamW;
  readonly trainB: Batch;
  readonly testB: Batch;
  private readonly ws: Workspace;
  private readonly gw: GradWorkspace;
  private tables: Tables | undefined;
  lastTrain = { loss: NaN, acc: NaN };
  lastTest = { loss: NaN, acc: NaN };

  /** A run of `c` at its seeded initialisation, on the engine `k`. */
  constructor(readonly k: Kernels, readonly c: TrainConfig) {
    const split = makeSplit(c.p, c.fracTrain, c.dataSeed);
    // Samples in pair order, as the trainer sorts them.
    this.trainB = makeBatch(c.p, Int32Array.from(split.train).sort());
    this.testB = makeBatch(c.p, Int32Array.from(split.test).sort());
    this.params = Params.zeros(c, (n) => k.alloc(n));
    this.params.flat.set(initParams(c, c.seed).flat);
    this.grad = Params.zeros(c, (n) => k.alloc(n));
    this.opt = new AdamW(k, this.params.flat.length, this.params.trainedRanges(c.trainBiases), c);
    this.ws = new Workspace(k, this.params, Math.max(this.trainB.n, this.testB.n));
    this.gw = new GradWorkspace(k, this.params, this.trainB.n);
  }

  /** The epochs taken so far (AdamW's step). */
  get epochsDone(): number { return this.opt.step; }

  /** One epoch, on `k` (default: the loop's engine; pass a wrapper of it to observe the calls). */
  epoch(k: Kernels = this.k): void {
    this.tables = computeTables(k, this.params, this.tables);
    this.lastTrain = lossAndGrad(k, this.params, this.tables, this.trainB, this.ws, this.gw, this.grad);
    this.lastTest = evaluate(k, this.params, this.tables, this.testB, this.ws);
    this.opt.update(this.params.flat, this.grad.flat);
  }

  /** Wall ms/epoch and CPU ms/epoch over `n` epochs. */
  time(n: number): { ms: number; cpuMs: number } {
    const c0 = process.cpuUsage(), t0 = performance.now();
    for (let i = 0; i < n; i++) this.epoch();
    const cu = process.cpuUsage(c0);
    return { ms: (performance.now() - t0) / n, cpuMs: (cu.user + cu.system) / 1000 / n };
  }

  /** Writes the state (parameters, AdamW moments, step) as a resume file (train/resume.ts). */
  save(file: string): void { saveResume(file, this.params, this.opt, { config: JSON.stringify(this.c) }); }

  /** Restores a resume file of this config (the loop's own, or a run's `resume.safetensors`). */
  load(file: string): void {
    loadResume(file, this.c, this.params, this.opt);
  }
}
