/**
 * Atomic file writes: a kill at any instant leaves either the old file or the new one, never a
 * half-written file. Data goes to a temp file in the same directory (so the rename cannot cross
 * file systems), is fsynced, renamed over the target, and the directory is fsynced so the rename
 * itself is durable.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { failure } from './errors.js';
import { describeOsError } from './errors.js';

/** Temp files look like `.<target name>.<pid>.<8 hex digits>.tmp`. */
const TEMP_PATTERN = /^\..*\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** The temp file name used for a write of `target` by this process. */
function tempPathFor(target: string): string {
  const rand = randomBytes(4).toString('hex');
  return join(dirname(target), `.${basename(target)}.${process.pid}.${rand}.tmp`);
}

/** The OS error in one line, message and code: `no space left on device, write (ENOSPC)`. */
const describe = describeOsError;

/** fsync a directory so a rename inside it survives a crash (a no-op where unsupported). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Some platforms (Windows) and file systems cannot open or fsync directories.
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EACCES') {
      throw failure(`cannot sync directory ${dir}: ${describe(err)}`);
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Write `data` to `path` atomically (temp file, fsync, rename, fsync of the directory).
 * The directory must exist. Throws `failure` (exit 1) on any I/O error; no temp file is left.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let off = 0;
    while (off < bytes.byteLength) {
      off += writeSync(fd, bytes, off, bytes.byteLength - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw failure(`cannot write ${path}: ${describe(err)}`);
  }
  fsyncDir(dirname(path));
}

/** Whether process `pid` is still running (a process we may not signal counts as running). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return false; // our own writes are synchronous: none is in flight
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Delete the entries of `dir` whose names match `pattern` (group 1: the writing process's pid) and
 * whose process is gone, with `remove` (which may skip an entry by returning false). Entries of a
 * live process are kept, so this is safe while other processes write; with `keepOwn`, so are this
 * process's (a staging folder outlives the call that made it). A missing `dir` is not an error.
 */
function removeStale(dir: string, pattern: RegExp, remove: (path: string) => boolean, keepOwn = false): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw failure(`cannot list ${dir}: ${describe(err)}`);
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || processAlive(Number(m[1])) || (keepOwn && Number(m[1]) === process.pid)) continue;
    try {
      if (remove(join(dir, name))) removed.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw failure(`cannot remove ${join(dir, name)}: ${describe(err)}`);
    }
  }
  return removed;
}

/** Delete temp files left in `dir` by writes that were killed midway (see removeStale). Returns the names removed. */
export function removeStaleTemps(dir: string): string[] {
  return removeStale(dir, TEMP_PATTERN, (path) => { unlinkSync(path); return true; });
}

/** Staging folders look like `.<what>.<pid>.<base-36 stamp>.tmp` (export, import). */
const TEMP_DIR_PATTERN = /^\..*\.(\d+)\.[0-9a-z]+\.tmp$/;

/** Delete staging folders left in `dir` by exports and imports that were killed midway (see removeStale). Returns the names removed. */
export function removeStaleTempDirs(dir: string): string[] {
  return removeStale(dir, TEMP_DIR_PATTERN, (path) => {
    if (!statSync(path).isDirectory()) return false;
    rmSync(path, { recursive: true, force: true });
    return true;
  }, true);
}
