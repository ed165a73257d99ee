/** `grokbench artifact`: a stored result read back through the command line equals what was written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsFile } from '../../src/io/safetensors.js';
import { Store } from '../../src/store/store.js';
import { buildBenchStore } from '../report/bench-store.js';
import { TS_ENGINE, runCli } from '../helpers/cli.js';

const cli = (args: string[]) => runCli(args, TS_ENGINE);

test('artifact: the summary and every tensor of a stored artifact, the last epoch by default, any epoch by --epoch; bad names and epochs exit 2 with one line and change nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-artifact-cli-'));
  try {
    const [id] = buildBenchStore(dir, { epochs: 300, every: 100, dMlp: 16, runs: [{ p: 13, seed: 1, grokAt: 200 }] });
    const store = Store.open(dir);
    const rows = store.getAnalyses<{ key_frequencies: number[] }>(id, 'embedding_fourier');
    store.close();
    const r = cli(['artifact', id, 'embedding_fourier', '--store', dir, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const a = JSON.parse(r.stdout);
    assert.equal(a.epoch, 300);
    assert.deepEqual(a.summary, rows[rows.length - 1].summary);
    const f = readSafetensorsFile(rows[rows.length - 1].path!);
    assert.deepEqual(Object.keys(a.tensors).sort(), f.names());
    assert.deepEqual(a.tensors.norms.data, Array.from(f.getFloat32('norms')));
    assert.deepEqual(a.tensors.key_frequencies.data, rows[rows.length - 1].summary.key_frequencies);
    const e = JSON.parse(cli(['artifact', id.slice(0, 6), 'neuron_fourier', '--epoch', '100', '--store', dir, '--json']).stdout);
    assert.equal(e.epoch, 100);
    assert.deepEqual(e.tensors.frac.shape, [6, 16]);
    const text = cli(['artifact', id, 'neuron_fourier', '--store', dir]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /^frac F32 \[6, 16\]: /m);

    const db = join(dir, 'grokbench.sqlite');
    const before = readFileSync(db);
    for (const bad of [[id, 'nonesuch'], [id, 'neuron_fourier', '--epoch', '150'], ['nope', 'neuron_fourier'], [id, 'curvature']]) {
      const x = cli(['artifact', ...bad, '--store', dir]);
      assert.equal(x.status, 2, bad.join(' '));
      assert.match(x.stderr, /^grokbench: [^\n]*\n$/);
      assert.equal(x.stdout, '');
    }
    assert.ok(readFileSync(db).equals(before) && statSync(db).size === before.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
