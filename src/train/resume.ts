/**
 * The resume file `runs/<id>/resume.safetensors`: the latest checkpointed parameters, AdamW's
 * moments and the step count, so that a killed run continues exactly where its last checkpoint was.
 */
import { badInput } from '../core/errors.js';
import { paramsFromSafetensors, paramTensors } from '../model/checkpoint.js';
import type { ModelConfig } from '../config/config.js';
import type { Params } from '../model/params.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../io/safetensors.js';
import type { AdamW } from './adamw.js';

export function saveResume(path: string, params: Params, opt: AdamW, metadata: Record<string, string>): void {
  const f32 = (v: Float32Array | Float64Array): Float32Array => (v instanceof Float32Array ? v : Float32Array.from(v));
  writeSafetensorsFile(path, {
    ...paramTensors(params),
    'optimizer.exp_avg': { dtype: 'F32', shape: [opt.m.length], data: f32(opt.m) },
    'optimizer.exp_avg_sq': { dtype: 'F32', shape: [opt.v.length], data: f32(opt.v) },
  }, { ...metadata, step: String(opt.step) });
}

/** The step a resume file holds (read from its metadata; the tensors are checked by loadResume). */
export function resumeStep(path: string): number {
  const step = Number(readSafetensorsFile(path).metadata.step);
  if (!Number.isSafeInteger(step) || step < 0) throw badInput(`${path}: resume file has no valid step`);
  return step;
}

/** Restores parameters and optimiser state in place; returns the step. Bad files are badInput. */
export function loadResume(path: string, config: ModelConfig, params: Params, opt: AdamW): number {
  const f = readSafetensorsFile(path);
  const step = Number(f.metadata.step);
  if (!Number.isSafeInteger(step) || step < 0) throw badInput(`${path}: resume file has no valid step`);
  for (const name of ['optimizer.exp_avg', 'optimizer.exp_avg_sq']) {
    if (!f.has(name)) throw badInput(`${path}: resume file has no ${name}`);
    const shape = f.info(name).shape;
    if (shape.length !== 1 || shape[0] !== params.flat.length) throw badInput(`${path}: ${name} has the wrong size`);
  }
  const names = f.names().filter((n) => !n.startsWith('optimizer.'));
  const sub = { ...f, names: () => names };
  const loaded = paramsFromSafetensors(sub, path, config);
  params.flat.set(loaded.params.flat);
  opt.m.set(f.getFloat32('optimizer.exp_avg'));
  opt.v.set(f.getFloat32('optimizer.exp_avg_sq'));
  opt.step = step;
  return step;
}
