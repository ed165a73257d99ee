/**
 * Checksums beside written files: a write leaves one `sha256sum` line that `sha256sum -c` accepts;
 * a changed byte is found; a write killed at any instant leaves a file whose bytes match a listed hash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksumPath, checksumState, readChecksums, writeFileWithChecksum } from '../../src/io/checksum.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/io/safetensors.js';

const dir = () => mkdtempSync(join(tmpdir(), 'grokbench-checksum-'));

test('a written file has one sha256sum line beside it, of its bytes, that sha256sum -c accepts; overwriting leaves one line', () => {
  const d = dir(), f = join(d, 'a.bin');
  writeFileWithChecksum(f, Buffer.from('first'));
  writeFileWithChecksum(f, Buffer.from('second'));
  const lines = readFileSync(checksumPath(f), 'utf8').trim().split('\n');
  assert.equal(lines.length, 1);
  assert.equal(lines[0], `${createHash('sha256').update('second').digest('hex')}  a.bin`);
  const r = spawnSync('sha256sum', ['-c', 'a.bin.sha256'], { cwd: d, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a changed byte in a safetensors file is a one-line error on read; a file without a checksum is read unchecked', () => {
  const d = dir(), f = join(d, 'w.safetensors');
  writeSafetensorsFile(f, { w: { dtype: 'F32', shape: [4], data: new Float32Array([1, 2, 3, 4]) } });
  assert.deepEqual([...readSafetensorsFile(f).getFloat32('w')], [1, 2, 3, 4]);
  const b = readFileSync(f);
  b[b.length - 2] ^= 0x01; // the mantissa of the last value: still a finite float
  writeFileSync(f, b);
  assert.equal(checksumState(f, readFileSync(f)), 'damaged');
  assert.throws(() => readSafetensorsFile(f), (e: Error) => /is damaged: its SHA-256 is not the one recorded/.test(e.message) && !e.message.includes('\n'));
  const g = join(d, 'foreign.safetensors');
  writeFileSync(g, b);
  assert.equal(readChecksums(g), null);
  assert.equal(checksumState(g, b), 'unchecked');
  assert.equal(readSafetensorsFile(g).getFloat32('w').length, 4);
});

test('a writer killed with SIGKILL at random instants never leaves a file without its checksum, nor one that fails it (overwrites and new files)', async () => {
  const d = dir(), f = join(d, 'r.bin');
  const mod = new URL('../../src/io/checksum.js', import.meta.url).href;
  const script = `import(${JSON.stringify(mod)}).then((m) => { for (let i = 0; ; i++) { m.writeFileWithChecksum(${JSON.stringify(f)}, Buffer.alloc(50000 + (i % 7) * 1000, i % 251)); ` +
    `m.writeFileWithChecksum(${JSON.stringify(d)} + '/new-' + process.pid + '-' + i + '.bin', Buffer.alloc(20000, i % 13)); } });`;
  for (let round = 0; round < 12; round++) {
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    // Kill it at a random instant once it writes (its first new file is there: on a loaded machine
    // Node's start can take longer than any fixed delay).
    for (const t0 = Date.now(); !existsSync(join(d, `new-${child.pid}-0.bin`)); ) {
      if (Date.now() - t0 > 60_000) throw new Error('the writer wrote nothing in 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, Math.random() * 250));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const state = checksumState(f, readFileSync(f));
    assert.equal(state, 'ok', `round ${round}: ${readFileSync(checksumPath(f), 'utf8')}`);
  }
  const fresh = readdirSync(d).filter((n) => /^new-.*\.bin$/.test(n));
  assert.ok(fresh.length > 12);
  for (const n of fresh) assert.equal(checksumState(join(d, n), readFileSync(join(d, n))), 'ok', n);
});
