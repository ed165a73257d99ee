/**
 * `input_trace` (issue 14 §6): input-trace.ts at every checkpoint, on all p² pairs.
 * Artifact tensors: predictions I32 [p²], correct U8 [p²], confidence F32 [p²], split U8 [p²]
 * (1 = train; absent when the run's split is unknown), class_accuracy, test_class_accuracy,
 * train_class_accuracy F32 [p]. Summary: { accuracy, test_accuracy, train_accuracy,
 * mean_confidence, min_class_accuracy, min_test_class_accuracy }. Graduation epochs are
 * cross-checkpoint: input-trace.ts `graduationEpochs` over the stored `correct` tensors.
 */
import type { Analyzer, AnalyzerOutput } from '../protocol/analyzer.js';
import { f32Tensor } from './common.js';
import { inputTrace } from '../library/input-trace.js';
import { evalLogitsFrom, sharedForward } from '../protocol/shared-forward.js';
import { trainIndicesOfRunDir } from '../protocol/train-set.js';
import { dirname } from 'node:path';

export const INPUT_TRACE = 'input_trace';

export interface InputTraceSummary {
  accuracy: number; test_accuracy: number | null; train_accuracy: number | null; mean_confidence: number;
  min_class_accuracy: number; min_test_class_accuracy: number | null;
}

export const inputTraceAnalyzer: Analyzer = {
  tier: 'checkpoint',
  name: INPUT_TRACE,
  version: 1,
  params() { return { version: this.version }; },
  analyseCheckpoint(ctx): AnalyzerOutput {
    const p = ctx.checkpoint.config.p;
    const t = ctx.checkpointPath ? trainIndicesOfRunDir(dirname(dirname(ctx.checkpointPath)), p) : null;
    const logits = evalLogitsFrom(ctx.kernels, ctx.checkpoint.params, sharedForward(ctx), ctx.scratch.vec(ctx.kernels, 'trace.logits', p * p * p));
    const r = inputTrace(ctx.kernels, ctx.checkpoint.params, t ? t.indices : null, logits);
    let conf = 0;
    for (const c of r.confidence) conf += c;
    const summary: InputTraceSummary = {
      accuracy: r.accuracy, test_accuracy: r.testAccuracy, train_accuracy: r.trainAccuracy, mean_confidence: conf / (p * p),
      min_class_accuracy: Math.min(...r.classAccuracy), min_test_class_accuracy: r.testClassAccuracy ? Math.min(...r.testClassAccuracy) : null,
    };
    const f = (x: Float64Array, n: number) => f32Tensor(x, [n]);
    const tensors: AnalyzerOutput['tensors'] = {
      predictions: { dtype: 'I32', shape: [p * p], data: r.predictions }, correct: { dtype: 'U8', shape: [p * p], data: r.correct },
      confidence: f(r.confidence, p * p), class_accuracy: f(r.classAccuracy, p),
    };
    if (r.split) {
      tensors.split = { dtype: 'U8', shape: [p * p], data: r.split };
      tensors.test_class_accuracy = f(r.testClassAccuracy!, p);
      tensors.train_class_accuracy = f(r.trainClassAccuracy!, p);
    }
    return { summary, tensors };
  },
};
