/**
 * Exclusive locks for writers: a lock is a file created with O_EXCL holding the owner's pid and
 * host (`{"pid", "host", "since"}`), so two processes can never both hold it. A lock whose owner
 * is a dead process on this host is taken over; one held by a live process, or by another host
 * (whose processes cannot be checked from here), gives the second writer a one-line error.
 *
 * Taking over a dead owner's lock is itself guarded by a second O_EXCL file (`<lock>.takeover`),
 * so that two processes finding the same stale lock cannot both replace it.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { describeOsError, failure } from '../core/errors.js';

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** A held lock; `release` removes it (only if it is still ours). */
export interface Lock {
  readonly path: string;
  release(): void;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Create `path` exclusively with our owner record; false if it exists. */
function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw failure(`cannot create lock ${path}: ${describeOsError(err)}`);
  }
  try {
    writeSync(fd, JSON.stringify(owner) + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The owner recorded in a lock file; null if it is gone; `undefined` fields if unreadable. */
function readOwner(path: string): Partial<LockOwner> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return null;
    throw failure(`cannot read lock ${path}: ${describeOsError(err)}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? (v as Partial<LockOwner>) : {};
  } catch {
    return {}; // being written right now, or damaged: treated as held
  }
}

/**
 * Whether process `pid` of this host is running (one we may not signal counts as running). A
 * zombie is not: an orphan that exited stays one until init reaps it, which can take seconds.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return errCode(err) === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (not Linux) or unreadable: trust kill(0)
  }
}

/** Sleep the thread for `ms` milliseconds (locks are taken synchronously). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether a recorded owner is certainly gone: a process of this host that no longer runs. */
function ownerDead(o: Partial<LockOwner>): boolean {
  return o.host === hostname() && typeof o.pid === 'number' && Number.isSafeInteger(o.pid) && o.pid > 0 &&
    o.pid !== process.pid && !pidAlive(o.pid);
}

/**
 * Take the lock at `path` for `what` (named in the error), or throw a one-line `failure` naming
 * the live owner. The lock's directory must exist. With `waitMs` > 0, a lock held by a live
 * process of this host is waited for that long (polled every 100 ms) before giving up: a sweep
 * restarted right after a SIGKILL waits for its predecessor's orphaned runs to notice and exit.
 */
export function acquireLock(path: string, what: string, waitMs = 0): Lock {
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, me)) return heldLock(path, me);
    const owner = readOwner(path);
    if (owner === null) continue; // released meanwhile: try again
    if (!ownerDead(owner) && owner.host === hostname() && Date.now() < deadline) {
      sleepSync(100);
      attempt--;
      continue;
    }
    if (!ownerDead(owner)) {
      const who = typeof owner.pid === 'number' ? `process ${owner.pid} on ${String(owner.host)}` : 'another process';
      throw failure(`${what} is in use by ${who} since ${String(owner.since ?? '?')} ` +
        `(lock ${path}; delete it only if that process is gone)`);
    }
    takeOver(path, owner);
  }
  throw failure(`cannot take lock ${path}: it keeps changing hands`);
}

/** Remove a dead owner's lock, unless another process is taking it over at the same time. */
function takeOver(path: string, dead: Partial<LockOwner>): void {
  const guard = `${path}.takeover`;
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  if (!tryCreate(guard, me)) {
    const g = readOwner(guard);
    if (g !== null && ownerDead(g)) removeIf(guard, g); // a taker-over that died midway
    return;
  }
  try {
    const now = readOwner(path);
    // Still the same dead owner (not a fresh lock taken meanwhile): remove it.
    if (now !== null && now.pid === dead.pid && now.host === dead.host && now.since === dead.since) removeIf(path, now);
  } finally {
    removeIf(guard, me);
  }
}

/** Unlink `path` if it still records `owner`. */
function removeIf(path: string, owner: Partial<LockOwner>): void {
  const now = readOwner(path);
  if (now === null || now.pid !== owner.pid || now.host !== owner.host || now.since !== owner.since) return;
  try {
    unlinkSync(path);
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw failure(`cannot remove lock ${path}: ${describeOsError(err)}`);
  }
}

/**
 * Whether the lock at `path` has a holder that may be alive: a live process of this host, or any
 * process of another host (which cannot be checked from here). False when there is no lock file or
 * its owner is a dead process of this host.
 */
export function lockHeld(path: string): boolean {
  const owner = readOwner(path);
  return owner !== null && !(owner.host === hostname() && typeof owner.pid === 'number' && owner.pid !== process.pid && !pidAlive(owner.pid));
}

function heldLock(path: string, me: LockOwner): Lock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      removeIf(path, me);
    },
  };
}
