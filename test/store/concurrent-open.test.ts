/**
 * Processes that open a fresh store at the same moment (a sweep's `grokbench train` children) all
 * succeed: switching the new SQLite file to WAL mode needs its exclusive lock, which SQLite does not
 * wait for, so store/db.ts retries it (before, about one pair in fifteen failed with "database is
 * locked").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const STORE = fileURLToPath(new URL('../../src/store/store.js', import.meta.url));

/** A child that waits for the start time, opens (creating) the store, writes its meta row and exits. */
function opener(dir: string, at: number): Promise<{ code: number | null; stderr: string }> {
  const script = `const { Store } = await import(${JSON.stringify(STORE)});
while (Date.now() < ${at}) {}
const s = Store.open(${JSON.stringify(dir)}, { create: true }); s.close();`;
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('close', (code) => resolve({ code, stderr }));
  });
}

test('four processes opening one fresh store at the same moment all succeed, 15 times over', async () => {
  const root = mkdtempSync(join(tmpdir(), 'grokbench-open-'));
  try {
    for (let round = 0; round < 15; round++) {
      const dir = join(root, `store-${round}`);
      const at = Date.now() + 400; // every child has loaded by then and spins to the same instant
      const results = await Promise.all([0, 1, 2, 3].map(() => opener(dir, at)));
      for (const r of results) assert.equal(r.code, 0, `round ${round}: ${r.stderr.trim()}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
