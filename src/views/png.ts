/**
 * A small PNG encoder for palette (indexed, 8-bit) images: one byte per pixel instead of three,
 * which keeps the heatmaps inlined in report.html small. Each scanline gets the PNG filter (None,
 * Sub or Up) with the smallest sum of absolute values, the usual heuristic.
 */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/**
 * Encode an indexed image. `pixels` holds width·height palette indices (row-major, top row
 * first); `palette` holds 3 bytes (RGB) per entry, at most 256 entries.
 */
export function encodeIndexedPng(width: number, height: number, pixels: Uint8Array, palette: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`bad PNG size ${width}×${height}`);
  if (pixels.length !== width * height) throw new RangeError(`PNG needs ${width * height} pixels, got ${pixels.length}`);
  if (palette.length % 3 !== 0 || palette.length === 0 || palette.length > 768) throw new RangeError('PNG palette must hold 1..256 RGB entries');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: palette
  ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const raw = Buffer.alloc((width + 1) * height);
  const sub = new Uint8Array(width), up = new Uint8Array(width);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * width, (y + 1) * width);
    let sNone = 0, sSub = 0, sUp = 0;
    for (let x = 0; x < width; x++) {
      const v = row[x];
      const s = (v - (x > 0 ? row[x - 1] : 0)) & 255;
      const u = (v - (y > 0 ? pixels[(y - 1) * width + x] : 0)) & 255;
      sub[x] = s; up[x] = u;
      sNone += v < 128 ? v : 256 - v;
      sSub += s < 128 ? s : 256 - s;
      sUp += u < 128 ? u : 256 - u;
    }
    const o = y * (width + 1);
    if (sSub <= sNone && sSub <= sUp) { raw[o] = 1; raw.set(sub, o + 1); }
    else if (sUp <= sNone) { raw[o] = 2; raw.set(up, o + 1); }
    else { raw[o] = 0; raw.set(row, o + 1); }
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('PLTE', Buffer.from(palette.buffer, palette.byteOffset, palette.length)),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function pngDataUri(png: Buffer): string {
  return 'data:image/png;base64,' + png.toString('base64');
}
