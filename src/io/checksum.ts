/**
 * SHA-256 checksums beside the files grokbench writes (checkpoints, resume states, analysis
 * artifacts): `<file>.sha256`, in `sha256sum` format (`<hex>  <name>`), so `sha256sum -c` checks
 * them too. Reading a file that has one verifies it; a file without one (written by PyTorch, by
 * MIScope, or by grokbench before 0.3) is read unchecked.
 *
 * A write is several atomic renames, so a kill can fall between them. To keep every instant
 * consistent the checksum file is written first, listing the new hash (and the old one, when the
 * file is replaced), then the file, then, for a replacement, the checksum file with the new hash
 * alone: a reader accepts any listed hash, no instant has a file grokbench wrote without its
 * checksum beside it, and none has a file whose only listed hash is that of other bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { failure } from '../core/errors.js';

/** The checksum file beside `path`. */
export function checksumPath(path: string): string {
  return `${path}.sha256`;
}

/** SHA-256 of bytes, as 64 lower-case hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The hashes listed beside `path` (null: no checksum file). A line that is not `<64 hex>  <name>` is ignored. */
export function readChecksums(path: string): string[] | null {
  let text: string;
  try {
    text = readFileSync(checksumPath(path), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw failure(`cannot read ${checksumPath(path)}: ${(err as Error).message}`);
  }
  return text.split('\n').map((l) => /^([0-9a-f]{64}) [ *]/.exec(l)?.[1]).filter((h): h is string => h !== undefined);
}

/** Write `bytes` to `path` atomically with its checksum beside it (see the module comment). Returns the hash. */
export function writeFileWithChecksum(path: string, bytes: Uint8Array): string {
  const hash = sha256Hex(bytes);
  const line = (h: string) => `${h}  ${basename(path)}\n`;
  const old = readChecksums(path) ?? [];
  // The checksum file first, so no instant has the file without its hash beside it (a new file's
  // hash alone; an overwrite's old and new), then the file, then the new hash alone.
  const both = [hash, ...old.filter((h) => h !== hash)];
  if (!(old.length === 1 && old[0] === hash)) writeFileAtomic(checksumPath(path), both.map(line).join(''));
  writeFileAtomic(path, bytes);
  if (both.length > 1) writeFileAtomic(checksumPath(path), line(hash));
  return hash;
}

/** What a check of a file against its checksum found. */
export type ChecksumState = 'ok' | 'unchecked' | 'damaged';

/** Check bytes read from `path` against the checksums beside it. */
export function checksumState(path: string, bytes: Uint8Array): ChecksumState {
  const listed = readChecksums(path);
  if (listed === null) return 'unchecked';
  if (listed.length === 0) return 'damaged';
  return listed.includes(sha256Hex(bytes)) ? 'ok' : 'damaged';
}

/** Throw a one-line `failure` when bytes read from `path` do not match the checksum beside it. */
export function verifyChecksum(path: string, bytes: Uint8Array): void {
  if (checksumState(path, bytes) === 'damaged') {
    throw failure(`${path} is damaged: its SHA-256 is not the one recorded when it was written (${checksumPath(path)}); grokbench verify lists every damaged file`);
  }
}

/** Remove a file and its checksum (a missing one is not an error). */
export function removeWithChecksum(path: string): void {
  rmSync(path, { force: true });
  rmSync(checksumPath(path), { force: true });
}
