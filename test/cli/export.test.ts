/**
 * `grokbench export --miscope` through the real command line: the folder is MIScope's (names,
 * buffers, metadata keys, its checkpoint labels), and `import` of the export gives back the same
 * run: identical weights (by optimiser step) and identical per-epoch losses. Bad input: exit 2,
 * nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { packageRoot } from '../../src/engine/native.js';
import { readSafetensorsFile } from '../../src/io/safetensors.js';
import { runCli } from '../helpers/cli.js';

const SMALL = ['--p', '23', '--d-model', '32', '--d-mlp', '64', '--n-heads', '2', '--d-head', '16', '--threads', '1'];
const PARAMS = ['embed.W_E', 'pos_embed.W_pos', 'blocks.0.attn.W_Q', 'blocks.0.attn.W_K', 'blocks.0.attn.W_V', 'blocks.0.attn.W_O',
  'blocks.0.attn.b_Q', 'blocks.0.attn.b_K', 'blocks.0.attn.b_V', 'blocks.0.attn.b_O', 'blocks.0.mlp.W_in', 'blocks.0.mlp.b_in',
  'blocks.0.mlp.W_out', 'blocks.0.mlp.b_out', 'unembed.W_U', 'unembed.b_U'];

const cli = (args: string[]) => runCli(args);
const tmp = (): string => mkdtempSync(join(tmpdir(), 'grokbench-export-'));

interface Row { epoch: number; train_loss: number; test_loss: number | null }
function dbRows<T>(store: string, sql: string, ...args: unknown[]): T[] {
  const db = new Database(join(store, 'grokbench.sqlite'), { readonly: true });
  try { return db.prepare(sql).all(...args) as T[]; } finally { db.close(); }
}

test("export writes MIScope's folder and import of it gives back the same weights and losses", () => {
  const a = join(tmp(), 'a'), b = join(tmp(), 'b'), out = join(tmp(), 'miscope');
  // MIScope's schedule over 250 epochs: its labels 0, 100, 200 and the final 249.
  const t = cli(['train', '--store', a, ...SMALL, '--epochs', '250', '--checkpoint-schedule', 'miscope', '--json']);
  assert.equal(t.status, 0, t.stderr);
  const id = JSON.parse(t.stdout).run_id as string;
  const e = cli(['export', id, '--store', a, '--miscope', out, '--json']);
  assert.equal(e.status, 0, e.stderr);
  const folder = join(out, 'modulo_addition_1layer', 'modulo_addition_1layer_p23_seed999_dseed598');
  assert.equal(JSON.parse(e.stdout)[0].folder, folder);
  assert.deepEqual(readdirSync(folder).sort(), ['checkpoints', 'config.json', 'metadata.json']);
  assert.deepEqual(readdirSync(join(folder, 'checkpoints')).sort(),
    ['checkpoint_epoch_00000.safetensors', 'checkpoint_epoch_00100.safetensors', 'checkpoint_epoch_00200.safetensors', 'checkpoint_epoch_00249.safetensors']);
  const meta = JSON.parse(readFileSync(join(folder, 'metadata.json'), 'utf8'));
  assert.deepEqual(Object.keys(meta).sort(), ['checkpoint_epochs', 'num_epochs', 'test_indices', 'test_losses', 'train_indices', 'train_losses']);
  assert.deepEqual(meta.checkpoint_epochs, [0, 100, 200, 249]);
  assert.equal(meta.num_epochs, 250);
  const split = JSON.parse(readFileSync(join(a, 'runs', id, 'split.json'), 'utf8'));
  assert.deepEqual([meta.train_indices, meta.test_indices], [split.train_indices, split.test_indices]);
  const orig = dbRows<Row>(a, 'SELECT epoch, train_loss, test_loss FROM metrics WHERE run_id = ? ORDER BY epoch', id);
  for (let L = 0; L < 250; L++) {
    assert.equal(meta.train_losses[L], orig[L].train_loss, `train_losses[${L}] = train loss after ${L} steps`);
    assert.equal(meta.test_losses[L], orig[L + 1].test_loss, `test_losses[${L}] = test loss after ${L + 1} steps`);
  }
  const cfg = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
  assert.deepEqual([cfg.prime, cfg.model_seed, cfg.data_seed, cfg.d_vocab, cfg.d_vocab_out, cfg.n_ctx, cfg.act_fn, cfg.training_fraction],
    [23, 999, 598, 24, 23, 3, 'relu', 0.3]);
  const f = readSafetensorsFile(join(folder, 'checkpoints', 'checkpoint_epoch_00100.safetensors'));
  assert.deepEqual(f.names(), [...PARAMS, 'blocks.0.attn.IGNORE', 'blocks.0.attn.mask'].sort());
  assert.deepEqual(f.info('blocks.0.attn.mask'), { dtype: 'BOOL', shape: [3, 3] });
  // The mask's bytes, read straight from the file: TransformerLens's lower-triangular causal mask.
  const raw = readFileSync(join(folder, 'checkpoints', 'checkpoint_epoch_00100.safetensors'));
  const hlen = Number(raw.readBigUInt64LE(0));
  const [s0, s1] = JSON.parse(raw.subarray(8, 8 + hlen).toString('utf8'))['blocks.0.attn.mask'].data_offsets as [number, number];
  assert.deepEqual(Array.from(raw.subarray(8 + hlen + s0, 8 + hlen + s1)), [1, 0, 0, 1, 1, 0, 1, 1, 1]);
  assert.deepEqual(f.info('blocks.0.attn.IGNORE'), { dtype: 'F32', shape: [] });
  assert.equal(f.getFloat32('blocks.0.attn.IGNORE')[0], -Infinity);

  // Import the export: the same run, by step.
  const imp = cli(['import', folder, '--store', b, '--json']);
  assert.equal(imp.status, 0, imp.stderr);
  const nid = JSON.parse(imp.stdout)[0].run_id as string;
  const cpsA = dbRows<{ epoch: number; step: number; path: string }>(a, 'SELECT epoch, step, path FROM checkpoints WHERE run_id = ? ORDER BY step', id);
  const cpsB = dbRows<{ epoch: number; step: number; path: string }>(b, 'SELECT epoch, step, path FROM checkpoints WHERE run_id = ? ORDER BY step', nid);
  assert.deepEqual(cpsB.map((c) => c.step), cpsA.filter((c) => c.step > 0).map((c) => c.step), 'every checkpoint after the initial weights, by step');
  for (const cb of cpsB) {
    const ca = cpsA.find((c) => c.step === cb.step)!;
    const fa = readSafetensorsFile(resolve(a, ca.path)), fb = readSafetensorsFile(resolve(b, cb.path));
    for (const name of PARAMS) assert.deepEqual(fb.getFloat32(name), fa.getFloat32(name), `${name} after ${cb.step} steps`);
  }
  const back = dbRows<Row>(b, 'SELECT epoch, train_loss, test_loss FROM metrics WHERE run_id = ? ORDER BY epoch', nid);
  assert.equal(back.length, 250);
  for (let L = 0; L < 250; L++) {
    assert.equal(back[L].train_loss, orig[L].train_loss, `train loss after ${L} steps`);
    assert.equal(back[L].test_loss, orig[L + 1].test_loss, `test loss after ${L + 1} steps`);
  }
});

test('export refuses bad input with one line and exit 2, writing nothing', () => {
  const a = join(tmp(), 'a'), out = join(tmp(), 'm');
  for (const j of ['0', '1']) assert.equal(cli(['train', '--store', a, ...SMALL, '--epochs', '5', '--jitter', j]).status, 0);
  const ids = dbRows<{ run_id: string }>(a, 'SELECT run_id FROM runs ORDER BY run_id').map((r) => r.run_id);
  const cases: [string[], RegExp][] = [
    [['export', 'nope', '--store', a, '--miscope', out], /no run nope/],
    [['export', ids[0], '--store', a], /needs --miscope/],
    [['export', ...ids, '--store', a, '--miscope', out], /would both be MIScope variant modulo_addition_1layer_p23_seed999_dseed598/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^grokbench: .*${re.source}`));
    assert.ok(!existsSync(out), 'nothing written');
  }
  assert.equal(cli(['export', ids[0], '--store', a, '--miscope', out]).status, 0);
  const again = cli(['export', ids[0], '--store', a, '--miscope', out]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists/);
});

test('a MIScope folder imported and exported again has MIScope’s own labels, losses and weights', () => {
  const fx = join(packageRoot(), 'test', 'fixtures', 'torch', 'miscope', 'modulo_addition_1layer_p11_seed999_dseed598');
  const store = join(tmp(), 's'), out = join(tmp(), 'm');
  const imp = cli(['import', fx, '--store', store, '--json']);
  assert.equal(imp.status, 0, imp.stderr);
  const ex = cli(['export', JSON.parse(imp.stdout)[0].run_id, '--store', store, '--miscope', out]);
  assert.equal(ex.status, 0, ex.stderr);
  const folder = join(out, 'modulo_addition_1layer', 'modulo_addition_1layer_p11_seed999_dseed598');
  const m0 = JSON.parse(readFileSync(join(fx, 'metadata.json'), 'utf8')), m1 = JSON.parse(readFileSync(join(folder, 'metadata.json'), 'utf8'));
  for (const k of ['train_losses', 'test_losses', 'train_indices', 'test_indices', 'checkpoint_epochs', 'num_epochs']) assert.deepEqual(m1[k], m0[k], k);
  for (const name of readdirSync(join(fx, 'checkpoints'))) {
    const f0 = readSafetensorsFile(join(fx, 'checkpoints', name)), f1 = readSafetensorsFile(join(folder, 'checkpoints', name));
    for (const p of PARAMS) assert.deepEqual(f1.getFloat32(p), f0.getFloat32(p), `${name} ${p}`);
  }
});
