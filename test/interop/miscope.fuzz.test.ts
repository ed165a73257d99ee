/**
 * The MIScope folder reader: an activation other than relu is refused (never computed as relu);
 * and fuzzing (fast-check) with a thousand mutated config.json / metadata.json files, each read
 * as import plans it: a valid plan or a one-line bad-input error (exit 2), never another exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { makeSplit } from '../../src/data/dataset.js';
import { GrokbenchError } from '../../src/core/errors.js';
import type { ModelConfig } from '../../src/config/config.js';
import { Params, paramShapes } from '../../src/model/params.js';
import { planImport } from '../../src/interop/import.js';
import { miscopeSettings } from '../../src/interop/miscope.js';
import { type RawTensor, assembleSafetensors, attentionBuffers, f32Bytes } from '../helpers/independent-safetensors.js';
import { fillRandom } from '../helpers/plain-model.js';

const CFG: ModelConfig = { p: 5, dModel: 4, nHeads: 1, dHead: 4, dMlp: 8, act: 'relu' };
const RUNS = 1000;

test('a MIScope config.json with act_fn gelu (or anything but relu) is refused with exit 2', () => {
  for (const act of ['gelu', 'gelu_new', 'silu', 3]) {
    assert.throws(() => miscopeSettings({ prime: 5, act_fn: act }, 'v', 'config.json'), (err: unknown) =>
      err instanceof GrokbenchError && err.exitCode === 2 && /^config\.json: act_fn .* is not supported; grokbench computes relu only$/.test(err.message));
  }
  assert.equal(miscopeSettings({ prime: 5, act_fn: 'relu' }, 'v', 'config.json').act, 'relu');
  assert.equal(miscopeSettings({ prime: 5 }, 'v', 'config.json').act, 'relu');
});

const split = makeSplit(CFG.p, 0.3, 598);
const CONFIG: Record<string, unknown> = {
  n_layers: 1, n_heads: CFG.nHeads, d_model: CFG.dModel, d_head: CFG.dHead, d_mlp: CFG.dMlp, act_fn: 'relu',
  normalization_type: null, d_vocab: CFG.p + 1, d_vocab_out: CFG.p, n_ctx: 3, seed: 1, prime: CFG.p, model_seed: 1,
  data_seed: 598, training_fraction: 0.3,
};
const METADATA: Record<string, unknown> = {
  train_losses: [1.6, 1.5, 1.4, 1.3], test_losses: [1.7, 1.6, 1.6, 1.5], train_indices: Array.from(split.train),
  test_indices: Array.from(split.test), checkpoint_epochs: [0, 3], num_epochs: 4,
};

/** Values a broken or hostile file might hold in place of a field. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, 1, 3, 5, 7, -1, 2 ** 31, 2 ** 53, 1e300, 0.5, 1.5, NaN, 'relu', 'gelu', '5', null, true),
  fc.array(fc.oneof(fc.integer({ min: -3, max: 30 }), fc.constantFrom(null, 'x', 1e300, 0.5)), { maxLength: 8 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const edit = fc.record({
  file: fc.constantFrom('config', 'metadata'),
  key: fc.oneof(fc.constantFrom(...Object.keys(CONFIG), ...Object.keys(METADATA)), fc.constantFrom('__proto__', 'extra')),
  op: fc.constantFrom('set', 'delete', 'element'),
  value: oddValue,
  index: fc.nat(40),
});

test(`${RUNS} mutated MIScope folders are planned or refused with one line (exit 2)`, () => {
  const root = mkdtempSync(join(tmpdir(), 'gb-miscope-fuzz-'));
  try {
    // The checkpoints are shared by every mutated folder (their reader is fuzzed on its own).
    const cps = join(root, 'checkpoints');
    mkdirSync(cps);
    for (const label of [0, 3]) {
      const params = Params.zeros(CFG, (n) => new Float32Array(n));
      fillRandom(params.flat, label + 1, 0.5);
      const t: Record<string, RawTensor> = { ...attentionBuffers() };
      for (const { name, shape } of paramShapes(CFG)) t[name] = { dtype: 'F32', shape, bytes: f32Bytes(params.t[name]) };
      writeFileSync(join(cps, `checkpoint_epoch_0000${label}.safetensors`), assembleSafetensors(t));
    }
    let n = 0, planned = 0;
    fc.assert(fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.boolean(), (edits, pythonNaN) => {
      const files = { config: structuredClone(CONFIG), metadata: structuredClone(METADATA) };
      for (const e of edits) {
        const o = files[e.file as 'config' | 'metadata'];
        if (e.op === 'delete') delete o[e.key];
        else if (e.op === 'set') Object.defineProperty(o, e.key, { value: e.value, enumerable: true, configurable: true, writable: true });
        else if (Array.isArray(o[e.key])) (o[e.key] as unknown[])[e.index % Math.max(1, (o[e.key] as unknown[]).length + 1)] = e.value;
      }
      const dir = join(root, `modulo_addition_1layer_p5_seed1_dseed598_${n++}`);
      mkdirSync(dir);
      symlinkSync(cps, join(dir, 'checkpoints'));
      const text = (v: unknown) => (pythonNaN ? JSON.stringify(v).replace(/null/g, 'NaN') : JSON.stringify(v) ?? 'null');
      writeFileSync(join(dir, 'config.json'), text(files.config));
      writeFileSync(join(dir, 'metadata.json'), text(files.metadata));
      try {
        const plans = planImport([dir]);
        assert.equal(plans.length, 1);
        assert.equal(plans[0].config.act, 'relu');
        planned++;
      } catch (err) {
        if (!(err instanceof GrokbenchError) || err.exitCode !== 2 || /\n/.test(err.message)) {
          throw new Error(`not a one-line bad-input error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }), { numRuns: RUNS, seed: 21 });
    assert.ok(planned > RUNS / 20, `some mutated folders are still valid (${planned})`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
