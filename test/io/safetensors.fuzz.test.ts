/**
 * Fuzzing the safetensors reader (fast-check): thousands of mutated checkpoints (flipped bytes,
 * truncations, rewritten header fields) each either load or fail with a one-line bad-input error
 * (exit 2); never another exception (a crash, a huge allocation, a RangeError).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GrokbenchError } from '../../src/core/errors.js';
import { paramsFromSafetensors } from '../../src/model/checkpoint.js';
import type { ModelConfig } from '../../src/config/config.js';
import { Params, paramShapes } from '../../src/model/params.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { type RawTensor, assembleSafetensors, attentionBuffers, f32Bytes } from '../helpers/independent-safetensors.js';
import { fillRandom } from '../helpers/plain-model.js';

const CFG: ModelConfig = { p: 5, dModel: 4, nHeads: 1, dHead: 4, dMlp: 8, act: 'relu' };

function baseTensors(): Record<string, RawTensor> {
  const params = Params.zeros(CFG, (n) => new Float32Array(n));
  fillRandom(params.flat, 7, 0.5);
  const out: Record<string, RawTensor> = { ...attentionBuffers() };
  for (const { name, shape } of paramShapes(CFG)) out[name] = { dtype: 'F32', shape, bytes: f32Bytes(params.t[name]) };
  return out;
}
const BASE = baseTensors();
const BASE_BYTES = assembleSafetensors(BASE, { config: JSON.stringify({ act: 'relu' }) });
const NAMES = Object.keys(BASE);

/** Read everything a command could read: the header, every tensor both ways, the parameters. */
function readAll(buf: Buffer): void {
  const f = decodeSafetensors(buf, 'fuzz.safetensors');
  for (const name of f.names()) {
    f.info(name);
    for (const read of [() => f.getFloat32(name), () => f.getInt32(name)]) {
      try { read(); } catch (err) { expectBadInput(err); }
    }
  }
  paramsFromSafetensors(f, 'fuzz.safetensors');
}

function expectBadInput(err: unknown): void {
  if (!(err instanceof GrokbenchError) || err.exitCode !== 2 || /\n/.test(err.message) || !err.message.startsWith('fuzz.safetensors: ')) {
    throw new Error(`not a one-line bad-input error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
}

function loadsOrBadInput(buf: Buffer): boolean {
  try { readAll(buf); } catch (err) { expectBadInput(err); }
  return true;
}

const RUNS = { bytes: 1500, header: 2500 };

test(`${RUNS.bytes} checkpoints with flipped bytes or truncated load or are refused with one line`, () => {
  fc.assert(fc.property(
    fc.array(fc.record({ at: fc.nat(BASE_BYTES.length - 1), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
    fc.option(fc.nat(BASE_BYTES.length), { nil: undefined }),
    (flips, cut) => {
      const buf = Buffer.from(BASE_BYTES);
      for (const { at, byte } of flips) buf[at] = byte;
      return loadsOrBadInput(cut === undefined ? buf : buf.subarray(0, cut));
    }), { numRuns: RUNS.bytes, seed: 12 });
});

/** A header value that a hostile or broken writer might put in a field. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'C64', 'Q4', '__proto__', 'toString', ''),
  fc.array(fc.oneof(fc.integer({ min: -2, max: 70 }), fc.constantFrom(0, 2 ** 31, 2 ** 40 + 1, 2 ** 53, 1e300, 1.5, -0)), { maxLength: 5 }),
  fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.constant(null), fc.object({ maxDepth: 1 }),
);

test(`${RUNS.header} checkpoints with rewritten header fields load or are refused with one line`, () => {
  fc.assert(fc.property(
    fc.array(fc.record({
      name: fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom('__metadata__', 'extra', 'constructor', 'a\nb')),
      field: fc.constantFrom('dtype', 'shape', 'data_offsets', 'whole'),
      value: oddValue,
    }), { minLength: 1, maxLength: 4 }),
    (edits) => {
      const header = JSON.parse(BASE_BYTES.toString('utf8', 8, 8 + Number(BASE_BYTES.readBigUInt64LE(0)))) as Record<string, unknown>;
      for (const { name, field, value } of edits) {
        if (field === 'whole') Object.defineProperty(header, name, { value, enumerable: true, configurable: true, writable: true });
        else {
          const entry = (header[name] !== null && typeof header[name] === 'object' ? header[name] : {}) as Record<string, unknown>;
          Object.defineProperty(header, name, { value: { ...entry, [field]: value }, enumerable: true, configurable: true, writable: true });
        }
      }
      const json = Buffer.from(JSON.stringify(header) ?? '');
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      const data = BASE_BYTES.subarray(8 + Number(BASE_BYTES.readBigUInt64LE(0)));
      return loadsOrBadInput(Buffer.concat([len, json, data]));
    }), { numRuns: RUNS.header, seed: 13 });
});

test('the unmutated checkpoint loads (the fuzzers start from a valid file)', () => {
  assert.doesNotThrow(() => readAll(BASE_BYTES));
});
