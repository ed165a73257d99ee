/**
 * The SQLite side of the run store: opening a connection with the right pragmas, and the schema.
 * WAL mode lets one process train (write) while others list, analyse or serve (read).
 */
import Database from 'better-sqlite3';
import { badInput, failure } from '../core/errors.js';

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = 1;

/** A better-sqlite3 connection. */
export type Db = Database.Database;

/** A prepared statement of it (any parameters). */
export type Statement = Database.Statement<unknown[]>;

/** The tables; every statement is idempotent so concurrent creators do not collide. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS runs (
  run_id         TEXT PRIMARY KEY,
  p              INTEGER NOT NULL,
  seed           INTEGER NOT NULL,
  data_seed      INTEGER NOT NULL,
  epochs         INTEGER NOT NULL,
  epochs_done    INTEGER NOT NULL DEFAULT 0,
  status         TEXT NOT NULL,
  config_json    TEXT NOT NULL,
  engine         TEXT NOT NULL,
  source         TEXT NOT NULL,
  memorise_epoch INTEGER NULL,
  grok_epoch     INTEGER NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

-- train_loss/train_acc may be NULL: SQLite stores NaN (a diverged epoch) as NULL.
CREATE TABLE IF NOT EXISTS metrics (
  run_id     TEXT NOT NULL,
  epoch      INTEGER NOT NULL,
  train_loss REAL,
  train_acc  REAL,
  test_loss  REAL NULL,
  test_acc   REAL NULL,
  PRIMARY KEY (run_id, epoch)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS checkpoints (
  run_id TEXT NOT NULL,
  epoch  INTEGER NOT NULL,
  step   INTEGER NOT NULL,
  label  TEXT NULL,
  path   TEXT NOT NULL,
  PRIMARY KEY (run_id, epoch)
);

CREATE TABLE IF NOT EXISTS analysis (
  run_id       TEXT NOT NULL,
  epoch        INTEGER NOT NULL,
  analyzer     TEXT NOT NULL,
  params       TEXT NOT NULL,
  summary_json TEXT NOT NULL,
  path         TEXT NULL,
  PRIMARY KEY (run_id, epoch, analyzer, params)
);

-- A run's version: bumped by every change to its rows (runs, metrics, checkpoints, analysis), by
-- triggers, so whatever writes the store (this grokbench, an older one, a script) moves it.
CREATE TABLE IF NOT EXISTS run_version (
  run_id  TEXT PRIMARY KEY,
  version INTEGER NOT NULL
) WITHOUT ROWID;
${['runs', 'metrics', 'checkpoints', 'analysis'].flatMap((t) => [['insert', 'NEW'], ['update', 'NEW'], ['delete', 'OLD']].map(([op, row]) => `
CREATE TRIGGER IF NOT EXISTS ${t}_${op}_version AFTER ${op.toUpperCase()} ON ${t} BEGIN
  INSERT INTO run_version (run_id, version) VALUES (${row}.run_id, 1)
    ON CONFLICT (run_id) DO UPDATE SET version = version + 1;
END;`)).join('')}

-- What the home table shows of a run (analysis/overview.ts), as JSON, valid while the run's
-- version is the one it was computed at.
CREATE TABLE IF NOT EXISTS run_overview (
  run_id        TEXT PRIMARY KEY,
  version       INTEGER NOT NULL,
  overview_json TEXT NOT NULL
) WITHOUT ROWID;
`;

/** First line of an error's message, for one-line errors. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/**
 * Put the database in WAL mode (a property of the file, kept once set). Switching a new file needs
 * its exclusive lock, and SQLite answers SQLITE_BUSY at once, without the busy timeout, when
 * another process holds a lock at that moment: two `grokbench train` children of a sweep opening a
 * fresh store together made one of them fail. So retry for up to 5 s, as the busy timeout would.
 */
function useWal(db: Db): void {
  const deadline = Date.now() + 5000;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
    }
  }
}

/**
 * Open the SQLite file. A writable connection sets WAL mode and creates the schema if missing;
 * a read-only one requires the file and the schema to exist already.
 */
export function openDatabase(file: string, opts: { readonly: boolean }): Db {
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly, fileMustExist: opts.readonly });
  } catch (err) {
    throw failure(`cannot open ${file}: ${firstLine(err)}`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      useWal(db);
      // FULL: a commit is on disk before the files written after it (the resume file) can be.
      db.pragma('synchronous = FULL');
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(
          'schema_version',
          String(SCHEMA_VERSION),
        );
      }).immediate();
    }
    checkSchema(db, file);
  } catch (err) {
    db.close();
    if (err instanceof Error && err.name === 'GrokbenchError') throw err;
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') throw badInput(`${file} is not a SQLite database`);
    throw failure(`cannot open ${file}: ${firstLine(err)}`);
  }
  return db;
}

/** Refuse files that are not grokbench stores or were written by a newer schema. */
function checkSchema(db: Db, file: string): void {
  const hasMeta = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    .get();
  if (!hasMeta) throw badInput(`${file} is not a grokbench store (no meta table)`);
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    | { value: string }
    | undefined;
  const version = row ? Number(row.value) : NaN;
  if (!Number.isInteger(version)) throw badInput(`${file} is not a grokbench store (no schema version)`);
  if (version > SCHEMA_VERSION) {
    throw badInput(`${file} has schema version ${version}; this grokbench understands up to ${SCHEMA_VERSION}`);
  }
}
