/**
 * Checkpoint files: the model's parameters under TransformerLens names in safetensors, with the
 * resolved config in the metadata. Reading infers p and the dimensions from the tensor shapes, so
 * checkpoints written elsewhere (TransformerLens, the researcher's workbench) load too; tensors
 * that TransformerLens keeps beside the parameters (`blocks.0.attn.mask`, `...IGNORE`) are ignored.
 */
import { badInput } from '../core/errors.js';
import { type SafetensorsFile, readSafetensorsFile, writeSafetensorsFile, type TensorInput } from '../io/safetensors.js';
import type { ModelConfig } from './params.js';
import { PARAM_NAMES, Params, paramShapes } from './params.js';

/** Tensors TransformerLens stores in a state dict that are buffers, not parameters. */
const IGNORED = /^blocks\.\d+\.attn\.(mask|IGNORE)$/;

export interface LoadedCheckpoint {
  config: ModelConfig;
  params: Params<Float32Array>;
  metadata: Record<string, string>;
}

/**
 * The activation a checkpoint's metadata `config` names (`act`, or TransformerLens' `act_fn`).
 * grokbench computes ReLU only: any other activation is refused rather than computed as ReLU.
 * Metadata that is not JSON says nothing about the activation (files written elsewhere).
 */
function checkActivation(f: SafetensorsFile, source: string): void {
  let cfg: unknown;
  try {
    cfg = f.metadata.config ? JSON.parse(f.metadata.config) : {};
  } catch {
    return;
  }
  if (cfg === null || typeof cfg !== 'object') return;
  const { act, act_fn: actFn } = cfg as { act?: unknown; act_fn?: unknown };
  checkRelu(act ?? actFn, source);
}

/** Refuse an activation other than ReLU (absent means ReLU). */
export function checkRelu(act: unknown, source: string): void {
  if (act === undefined || act === null || act === 'relu') return;
  throw badInput(`${source}: activation ${JSON.stringify(act).slice(0, 40)} is not supported; grokbench computes relu only`);
}

/** Model dimensions inferred from the shapes of W_E, W_Q and W_in. */
export function inferModelConfig(f: SafetensorsFile, source: string): ModelConfig {
  const need = (name: string, dims: number): number[] => {
    if (!f.has(name)) throw badInput(`${source}: no tensor ${name} (not a grokbench/TransformerLens checkpoint)`);
    const s = f.info(name).shape;
    if (s.length !== dims) throw badInput(`${source}: tensor ${name} has shape [${s.join(', ')}], expected ${dims} dimensions`);
    // A zero dimension would let the other tensors' shapes (and allocations) grow without bound.
    if (s.some((d) => d < 1)) throw badInput(`${source}: tensor ${name} has shape [${s.join(', ')}], with an empty dimension`);
    return s;
  };
  const [vocab, dModel] = need('embed.W_E', 2);
  const [nHeads, , dHead] = need('blocks.0.attn.W_Q', 3);
  const [, dMlp] = need('blocks.0.mlp.W_in', 2);
  const p = vocab - 1;
  if (p < 3 || p % 2 === 0) throw badInput(`${source}: embed.W_E has ${vocab} rows, so p=${p}, which is not an odd number ≥ 3`);
  checkActivation(f, source);
  return { p, dModel, nHeads, dHead, dMlp, act: 'relu' };
}

/** Parameters from an opened safetensors file; missing biases are zero, shapes must match. */
export function paramsFromSafetensors(f: SafetensorsFile, source: string, config?: ModelConfig): LoadedCheckpoint {
  const cfg = config ?? inferModelConfig(f, source);
  checkRelu(cfg.act, source);
  if (config) checkActivation(f, source);
  const known = new Set<string>(PARAM_NAMES);
  for (const name of f.names()) {
    if (!known.has(name) && !IGNORED.test(name)) throw badInput(`${source}: unknown tensor ${name}`);
  }
  // Every shape is checked before anything is allocated: the weights present bound the biases.
  const present = paramShapes(cfg).filter(({ name, shape }) => {
    if (!f.has(name)) {
      if (name.split('.').pop()!.startsWith('b_')) return false; // biases default to zero
      throw badInput(`${source}: no tensor ${name}`);
    }
    const got = f.info(name).shape;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw badInput(`${source}: tensor ${name} has shape [${got.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return true;
  });
  const params = Params.zeros(cfg, (n) => new Float32Array(n));
  for (const { name } of present) {
    const data = f.getFloat32(name);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw badInput(`${source}: tensor ${name} holds a non-finite value`);
    }
    params.t[name].set(data);
  }
  return { config: cfg, params, metadata: f.metadata };
}

export function loadCheckpoint(path: string, config?: ModelConfig): LoadedCheckpoint {
  return paramsFromSafetensors(readSafetensorsFile(path), path, config);
}

/** Tensors of every parameter (float32, TransformerLens names). */
export function paramTensors(params: Params): Record<string, TensorInput> {
  const out: Record<string, TensorInput> = {};
  for (const { name, shape } of paramShapes(params.config)) {
    const v = params.t[name];
    out[name] = { dtype: 'F32', shape, data: v instanceof Float32Array ? v : Float32Array.from(v) };
  }
  return out;
}

/** Write a checkpoint atomically. */
export function saveCheckpoint(path: string, params: Params, metadata: Record<string, string>): void {
  writeSafetensorsFile(path, paramTensors(params), metadata);
}
