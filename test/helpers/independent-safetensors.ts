/**
 * A safetensors writer for tests, written from the format's specification and independent of
 * src/io/safetensors.ts: tests assemble files byte by byte (any dtype, any tensor order,
 * TransformerLens' buffers included) so that import is tested against bytes grokbench did not write.
 */

export interface RawTensor { dtype: string; shape: number[]; bytes: Uint8Array }

/** 8-byte little-endian header length, the JSON header (space-padded to 8), then the data. */
export function assembleSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) { // insertion order, not sorted
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] };
    parts.push(t.bytes);
    off += t.bytes.length;
  }
  let json = JSON.stringify(header);
  while (Buffer.byteLength(json) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeUInt32LE(Buffer.byteLength(json), 0);
  return Buffer.concat([len, Buffer.from(json), ...parts]);
}

export function f32Bytes(v: ArrayLike<number>): Uint8Array {
  const dv = new DataView(new ArrayBuffer(4 * v.length));
  for (let i = 0; i < v.length; i++) dv.setFloat32(4 * i, v[i], true);
  return new Uint8Array(dv.buffer);
}

export function f64Bytes(v: ArrayLike<number>): Uint8Array {
  const dv = new DataView(new ArrayBuffer(8 * v.length));
  for (let i = 0; i < v.length; i++) dv.setFloat64(8 * i, v[i], true);
  return new Uint8Array(dv.buffer);
}

/** IEEE half precision of values that half precision holds exactly (throws otherwise). */
export function f16Bytes(v: ArrayLike<number>): Uint8Array {
  const dv = new DataView(new ArrayBuffer(2 * v.length));
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    let h = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
    const a = Math.abs(x);
    if (a !== 0) {
      let e = Math.floor(Math.log2(a));
      if (e < -14) e = -14; // subnormal range
      const mant = a / 2 ** e; // in [1, 2) when normal
      const normal = mant >= 1;
      const bits = normal ? (mant - 1) * 1024 : mant * 1024;
      if (!Number.isInteger(bits) || e > 15) throw new Error(`${x} is not exactly a half-precision value`);
      h |= ((normal ? e + 15 : 0) << 10) | bits;
    }
    dv.setUint16(2 * i, h, true);
  }
  return new Uint8Array(dv.buffer);
}

/** bfloat16 (the upper half of a float32) of values it holds exactly (throws otherwise). */
export function bf16Bytes(v: ArrayLike<number>): Uint8Array {
  const f = new DataView(new ArrayBuffer(4));
  const dv = new DataView(new ArrayBuffer(2 * v.length));
  for (let i = 0; i < v.length; i++) {
    f.setFloat32(0, v[i], true);
    const bits = f.getUint32(0, true);
    if ((bits & 0xffff) !== 0 || Math.fround(v[i]) !== v[i]) throw new Error(`${v[i]} is not exactly a bfloat16 value`);
    dv.setUint16(2 * i, bits >>> 16, true);
  }
  return new Uint8Array(dv.buffer);
}

export function i32Bytes(v: ArrayLike<number>): Uint8Array {
  const dv = new DataView(new ArrayBuffer(4 * v.length));
  for (let i = 0; i < v.length; i++) dv.setInt32(4 * i, v[i], true);
  return new Uint8Array(dv.buffer);
}

/** TransformerLens' attention buffers: the causal mask (BOOL or U8, [3, 3]) and IGNORE (F32 scalar). */
export function attentionBuffers(maskDtype: 'BOOL' | 'U8' = 'BOOL'): Record<string, RawTensor> {
  return {
    'blocks.0.attn.mask': { dtype: maskDtype, shape: [3, 3], bytes: Uint8Array.from([1, 0, 0, 1, 1, 0, 1, 1, 1]) },
    'blocks.0.attn.IGNORE': { dtype: 'F32', shape: [], bytes: f32Bytes([-1e5]) },
  };
}
