/**
 * The safetensors format: an 8-byte little-endian u64 header length N, N bytes of JSON header
 * (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {..}}`,
 * padded with spaces), then the data buffer; offsets are relative to the start of the buffer.
 *
 * Writing is deterministic (sorted names, sorted metadata keys). Reading validates the whole
 * header eagerly but converts tensors lazily, so tensors of odd dtypes (TransformerLens' BOOL
 * attention mask) only cause an error if someone asks for them. Every tensor must have a dtype of
 * the specification and exactly the bytes its shape needs, so no conversion allocates more than
 * 4 bytes per byte of the file. Every error is a one-line `badInput` of the form
 * `<source>: <what is wrong>`.
 */
import { readFileSync } from 'node:fs';
import { badInput, failure } from '../core/errors.js';
import { sha256Hex, verifyChecksum, writeFileWithChecksum } from './checksum.js';
import { writeFileAtomic } from '../core/atomic.js';

/** Dtypes this module writes. */
export type WritableDtype = 'F32' | 'F64' | 'I32' | 'I64' | 'U8' | 'BOOL';

/** One tensor to write: its dtype, shape and row-major data. */
export interface TensorInput {
  dtype: WritableDtype;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}

/** A decoded file: metadata plus lazily converted tensors. */
export interface SafetensorsFile {
  metadata: Record<string, string>;
  /** Tensor names, sorted. */
  names(): string[];
  has(name: string): boolean;
  info(name: string): { dtype: string; shape: number[] };
  /** A fresh Float32Array of the tensor (F32, F16, BF16, F64, I32, I64, U8). */
  getFloat32(name: string): Float32Array;
  /** A fresh Int32Array of the tensor (I32, I64 within range, U8, I8, I16, U16). */
  getInt32(name: string): Int32Array;
  /** A fresh Float64Array of the tensor: F64, I32, U32 and I64 (within ±2^53) exactly, any other dtype as getFloat32 reads it. */
  getFloat64(name: string): Float64Array;
}

/** The largest integer magnitude a float64 holds exactly (2^53). */
const MAX_EXACT = 2n ** 53n;

/** Bytes per element of the dtypes of the safetensors specification. */
const DTYPE_SIZE: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
  C64: 8,
};

/** The typed array each writable dtype takes. */
const WRITABLE_ARRAY: Readonly<Record<WritableDtype, { name: string; is: (a: unknown) => boolean }>> = {
  F32: { name: 'Float32Array', is: (a) => a instanceof Float32Array },
  F64: { name: 'Float64Array', is: (a) => a instanceof Float64Array },
  I32: { name: 'Int32Array', is: (a) => a instanceof Int32Array },
  I64: { name: 'BigInt64Array', is: (a) => a instanceof BigInt64Array },
  U8: { name: 'Uint8Array', is: (a) => a instanceof Uint8Array },
  /** One byte per value, 0 or 1 (TransformerLens' attention mask). */
  BOOL: { name: 'Uint8Array', is: (a) => a instanceof Uint8Array },
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The little-endian bytes of a typed array. */
function littleEndianBytes(data: TensorInput['data']): Uint8Array {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return raw;
  const out = new Uint8Array(raw.length);
  const w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < raw.length; i += w) {
    for (let j = 0; j < w; j++) out[i + j] = raw[i + w - 1 - j];
  }
  return out;
}

/**
 * Encode tensors (written in sorted name order) and optional string metadata into safetensors
 * bytes. The same input always gives the same bytes. A tensor whose data does not match its
 * dtype or shape is a programming error: `failure`.
 */
export function encodeSafetensors(
  tensors: Record<string, TensorInput>,
  metadata?: Record<string, string>,
): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const sorted: Record<string, string> = {};
    for (const key of Object.keys(metadata).sort()) {
      const value = metadata[key];
      if (typeof value !== 'string') throw failure(`safetensors metadata ${key} is not a string`);
      sorted[key] = value;
    }
    header.__metadata__ = sorted;
  }
  const names = Object.keys(tensors).sort();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw failure('a tensor cannot be named __metadata__');
    const t = tensors[name];
    const kind = WRITABLE_ARRAY[t.dtype];
    if (!kind) throw failure(`tensor ${name}: cannot write dtype ${String(t.dtype)}`);
    if (!kind.is(t.data)) throw failure(`tensor ${name}: dtype ${t.dtype} needs a ${kind.name}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw failure(`tensor ${name}: bad shape [${t.shape.join(', ')}]`);
    }
    if (elementCount(t.shape) !== t.data.length) {
      throw failure(`tensor ${name}: shape [${t.shape.join(', ')}] does not hold ${t.data.length} elements`);
    }
    const bytes = littleEndianBytes(t.data);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  let jsonBytes = Buffer.from(json, 'utf8');
  const pad = (8 - (jsonBytes.length % 8)) % 8;
  if (pad > 0) {
    json += ' '.repeat(pad);
    jsonBytes = Buffer.from(json, 'utf8');
  }
  const out = Buffer.alloc(8 + jsonBytes.length + offset);
  out.writeBigUInt64LE(BigInt(jsonBytes.length), 0);
  jsonBytes.copy(out, 8);
  let pos = 8 + jsonBytes.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}

/**
 * Encode and write a safetensors file atomically, its SHA-256 beside it (io/checksum.ts), and return
 * the hash. `checksum: false` writes the file alone (a folder in another tool's layout: MIScope's).
 */
export function writeSafetensorsFile(
  path: string,
  tensors: Record<string, TensorInput>,
  metadata?: Record<string, string>,
  opts: { checksum?: boolean } = {},
): string {
  const bytes = encodeSafetensors(tensors, metadata);
  if (opts.checksum === false) { writeFileAtomic(path, bytes); return sha256Hex(bytes); }
  return writeFileWithChecksum(path, bytes);
}

/** A validated header entry. */
interface Entry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate one header entry against the buffer length; returns an error text or the entry. */
function validateEntry(name: string, value: unknown, bufferLength: number): Entry | string {
  if (!isPlainObject(value)) return `tensor ${name} is not an object in the header`;
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') return `tensor ${name} has no dtype`;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return `tensor ${name} has no valid shape`;
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    return `tensor ${name} has no valid data_offsets`;
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > bufferLength) {
    return `tensor ${name} has data_offsets [${begin}, ${end}] outside the ${bufferLength}-byte data buffer`;
  }
  const size = Object.hasOwn(DTYPE_SIZE, dtype) ? DTYPE_SIZE[dtype] : undefined;
  if (size === undefined) {
    return `tensor ${name} has dtype ${JSON.stringify(dtype).slice(0, 40)}, which is not a safetensors dtype (${Object.keys(DTYPE_SIZE).join(', ')})`;
  }
  const dims = shape as number[];
  // Every tensor's size is checked against its bytes, so no later allocation exceeds the file's size.
  if (elementCount(dims) * size !== end - begin) {
    return (
      `tensor ${name} has ${end - begin} bytes but shape [${dims.join(', ')}] of ${dtype} ` +
      `needs ${elementCount(dims) * size}`
    );
  }
  return { dtype, shape: [...dims], begin, end };
}

let f16Table: Float32Array | undefined;

/** Exact value of an IEEE half-precision bit pattern (subnormals, infinities and NaN included). */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** All 65536 half-precision values, built on first use. */
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToNumber(h);
  }
  return f16Table;
}

type Fail = (what: string) => Error;

/** The header's tensor entries (validated against the data's length) and metadata. */
function parseHeader(buf: Buffer, fail: Fail): { entries: Map<string, Entry>; metadata: Record<string, string>; dataStart: number } {
  if (buf.length < 8) {
    throw fail(`truncated file (${buf.length} bytes, shorter than the 8-byte header length)`);
  }
  const headerLen = buf.readBigUInt64LE(0);
  if (headerLen > BigInt(buf.length - 8)) {
    throw fail(`truncated file (header says ${headerLen} bytes, file has ${buf.length})`);
  }
  const n = Number(headerLen);
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8', 8, 8 + n));
  } catch {
    throw fail(`header is not valid JSON (${n} bytes)`);
  }
  if (!isPlainObject(parsed)) throw fail('header is not a JSON object');

  const dataStart = 8 + n;
  const bufferLength = buf.length - dataStart;
  const entries = new Map<string, Entry>();
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (!isPlainObject(value)) throw fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw fail(`__metadata__ value ${k} is not a string`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const entry = validateEntry(name, value, bufferLength);
    if (typeof entry === 'string') throw fail(entry);
    entries.set(name, entry);
  }
  return { entries, metadata, dataStart };
}

/** A tensor's values as float32 (every float dtype, I32, I64 and U8). */
function readFloat32(dv: DataView, e: Entry, name: string, fail: Fail): Float32Array {
  const count = elementCount(e.shape);
  const out = new Float32Array(count);
  switch (e.dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength));
      else for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true);
      break;
    case 'F16': {
      const table = halfTable();
      for (let i = 0; i < count; i++) out[i] = table[dv.getUint16(2 * i, true)];
      break;
    }
    case 'BF16': {
      // A bfloat16 is the upper half of a float32: shift the bits into place.
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
      break;
    }
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(4 * i, true);
      break;
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(8 * i, true));
      break;
    case 'U8':
      for (let i = 0; i < count; i++) out[i] = dv.getUint8(i);
      break;
    default:
      throw fail(`tensor ${name} has dtype ${e.dtype}, which cannot be read as floats`);
  }
  return out;
}

/** A tensor's values as float64: F64 and the integer dtypes exactly (I64 beyond 2^53 refused), other floats through float32. */
function readFloat64(dv: DataView, e: Entry, name: string, fail: Fail): Float64Array {
  const count = elementCount(e.shape);
  const out = new Float64Array(count);
  switch (e.dtype) {
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    case 'U32':
      for (let i = 0; i < count; i++) out[i] = dv.getUint32(4 * i, true);
      return out;
    case 'I64':
      for (let i = 0; i < count; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v < -MAX_EXACT || v > MAX_EXACT) throw fail(`tensor ${name} has value ${v} at index ${i}, beyond 2^53 (not exact as a float64)`);
        out[i] = Number(v);
      }
      return out;
    default:
      out.set(readFloat32(dv, e, name, fail));
      return out;
  }
}

/** A tensor's values as 32-bit integers (integer dtypes; I64 outside the range refused). */
function readInt32(dv: DataView, e: Entry, name: string, fail: Fail): Int32Array {
  const count = elementCount(e.shape);
  const out = new Int32Array(count);
  switch (e.dtype) {
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(4 * i, true);
      break;
    case 'I64':
      for (let i = 0; i < count; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v < -2147483648n || v > 2147483647n) {
          throw fail(`tensor ${name} has value ${v} at index ${i}, outside the 32-bit integer range`);
        }
        out[i] = Number(v);
      }
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(2 * i, true);
      break;
    case 'U16':
      for (let i = 0; i < count; i++) out[i] = dv.getUint16(2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = dv.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < count; i++) out[i] = dv.getUint8(i);
      break;
    default:
      throw fail(`tensor ${name} has dtype ${e.dtype}, which cannot be read as 32-bit integers`);
  }
  return out;
}

/**
 * Decode safetensors bytes. `source` names the bytes in error messages (usually the file path).
 * The whole header is validated now; tensors are converted when asked for.
 */
export function decodeSafetensors(buf: Buffer, source: string): SafetensorsFile {
  // Names come from the file: keep the message on one line.
  const fail = (what: string) => badInput(`${source}: ${what}`.replace(/[\r\n\u2028\u2029]+/g, ' '));
  const { entries, metadata, dataStart } = parseHeader(buf, fail);
  const get = (name: string): Entry => {
    const e = entries.get(name);
    if (!e) throw fail(`no tensor ${name}`);
    return e;
  };
  const view = (e: Entry) => new DataView(buf.buffer, buf.byteOffset + dataStart + e.begin, e.end - e.begin);
  return {
    metadata,
    names: () => [...entries.keys()].sort(),
    has: (name) => entries.has(name),
    info: (name) => {
      const e = get(name);
      return { dtype: e.dtype, shape: [...e.shape] };
    },
    getFloat32: (name) => { const e = get(name); return readFloat32(view(e), e, name, fail); },
    getFloat64: (name) => { const e = get(name); return readFloat64(view(e), e, name, fail); },
    getInt32: (name) => { const e = get(name); return readInt32(view(e), e, name, fail); },
  };
}

/**
 * Read and decode a safetensors file; a missing or unreadable file is `badInput`. A file with a
 * checksum beside it (written by grokbench) is verified first: a damaged one is a one-line `failure`.
 */
export function readSafetensorsFile(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(`${path}: no such file`);
    if (code === 'EISDIR') throw badInput(`${path}: is a directory, not a safetensors file`);
    throw badInput(`${path}: cannot read (${code ?? 'unknown error'})`);
  }
  verifyChecksum(path, buf);
  return decodeSafetensors(buf, path);
}
