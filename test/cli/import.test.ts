/**
 * `grokbench import` through the real command line: successes, and every kind of bad input giving
 * one `grokbench: ` line on stderr, exit status 2, and a store left exactly as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSplit } from '../../src/data/dataset.js';
import type { ModelConfig } from '../../src/config/config.js';
import { Params, paramShapes } from '../../src/model/params.js';
import { type RawTensor, assembleSafetensors, attentionBuffers, f32Bytes, i32Bytes } from '../helpers/independent-safetensors.js';
import { fillRandom, plainLoss } from '../helpers/plain-model.js';
import { TS_ENGINE, runCli } from '../helpers/cli.js';

const CFG: ModelConfig = { p: 5, dModel: 8, nHeads: 2, dHead: 4, dMlp: 16, act: 'relu' };

const cli = (args: string[]) => runCli(args, TS_ENGINE);

function weights(config: ModelConfig, seed: number): Params {
  const params = Params.zeros(config, (n) => new Float32Array(n));
  fillRandom(params.flat, seed, 0.5);
  return params;
}

function tensors(config: ModelConfig, seed: number): Record<string, RawTensor> {
  const params = weights(config, seed);
  const out: Record<string, RawTensor> = { ...attentionBuffers() };
  for (const { name, shape } of paramShapes(config)) out[name] = { dtype: 'F32', shape, bytes: f32Bytes(params.t[name]) };
  return out;
}

/** A MIScope variant folder; `edit` may change what is written. */
function variant(root: string, seed: number, edit: { config?: Partial<Record<string, unknown>>; noMetadata?: boolean; testLoss0?: number; checkpoint?: (b: Buffer, label: number) => Buffer; shapes?: ModelConfig } = {}): string {
  const dir = join(root, `modulo_addition_1layer_p${CFG.p}_seed${seed}_dseed598`);
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  for (const label of [0, 3]) {
    let bytes = assembleSafetensors(tensors(edit.shapes ?? CFG, seed + label));
    if (edit.checkpoint) bytes = edit.checkpoint(bytes, label);
    writeFileSync(join(dir, 'checkpoints', `checkpoint_epoch_0000${label}.safetensors`), bytes);
  }
  const split = makeSplit(CFG.p, 0.3, 598);
  // The losses MIScope records for these weights (test_losses[e] and train_losses[e + 1] of label e).
  const trainLosses = [1.6, 1.5, 1.4, 1.3], testLosses = [1.7, 1.6, 1.6, 1.5];
  for (const label of [0, 3]) {
    const w = weights(edit.shapes ?? CFG, seed + label);
    if ((edit.shapes ?? CFG).p !== CFG.p) break;
    testLosses[label] = plainLoss(w, split.test);
    if (label + 1 < 4) trainLosses[label + 1] = plainLoss(w, split.train);
  }
  if (edit.testLoss0 !== undefined) testLosses[0] = edit.testLoss0;
  if (!edit.noMetadata) {
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({
      train_losses: trainLosses, test_losses: testLosses, train_indices: Array.from(split.train),
      test_indices: Array.from(split.test), checkpoint_epochs: [0, 3], num_epochs: 4,
    }));
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    n_layers: 1, n_heads: CFG.nHeads, d_model: CFG.dModel, d_head: CFG.dHead, d_mlp: CFG.dMlp, act_fn: 'relu',
    normalization_type: null, d_vocab: CFG.p + 1, d_vocab_out: CFG.p, n_ctx: 3, seed, prime: CFG.p, model_seed: seed,
    data_seed: 598, training_fraction: 0.3, ...edit.config,
  }));
  return dir;
}

/** Every file under `dir` with its size, modification time and content hash. */
function snapshot(dir: string): string[] {
  if (!existsSync(dir)) return ['<absent>'];
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) { out.push(`${rel}${name}/`); walk(p, `${rel}${name}/`); } else {
        out.push(`${rel}${name} ${st.size} ${st.mtimeMs} ${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
      }
    }
  };
  walk(dir, '');
  return out;
}

function assertRejected(args: string[], store: string, pattern: RegExp): void {
  const before = snapshot(store);
  const r = cli([...args, '--store', store]);
  assert.equal(r.status, 2, `exit status of import ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^grokbench: [^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
  assert.match(r.stderr, pattern);
  assert.deepEqual(snapshot(store), before, 'the store is unchanged');
}

test('import through the CLI: a folder of variants, then bad input of every kind, each one line, exit 2, store untouched', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gb-cli-import-'));
  try {
    const store = join(tmp, 'store');
    // A failed import into a store that does not exist yet does not create it.
    mkdirSync(join(tmp, 'nometa'));
    assertRejected(['import', variant(join(tmp, 'nometa'), 1, { noMetadata: true })], store, /no metadata\.json/);
    assert.ok(!existsSync(store));

    const good = join(tmp, 'results');
    variant(good, 485);
    variant(good, 999);
    const ok = cli(['import', good, '--store', store, '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    const results = JSON.parse(ok.stdout) as { run_id: string; checkpoints: number; split_matches_data_seed: boolean }[];
    assert.deepEqual(results.map((r) => r.run_id), ['miscope-p5-s485-d598-e4', 'miscope-p5-s999-d598-e4']);
    assert.ok(results.every((r) => r.checkpoints === 2 && r.split_matches_data_seed));
    const runs = JSON.parse(cli(['runs', '--json', '--store', store]).stdout) as { run_id: string; status: string; epochs_done: number }[];
    assert.deepEqual(runs.map((r) => [r.run_id, r.status, r.epochs_done]),
      [['miscope-p5-s485-d598-e4', 'imported', 4], ['miscope-p5-s999-d598-e4', 'imported', 4]]);

    // Bad input, each with the store already holding those two runs.
    const bad = (name: string) => { const d = join(tmp, name); mkdirSync(d, { recursive: true }); return d; };
    assertRejected(['import', good], store, /already exists/);
    assertRejected(['import', variant(bad('nometa2'), 7, { noMetadata: true })], store, /no metadata\.json/);
    assertRejected(['import', variant(bad('cfg'), 7, { config: { d_mlp: 32 } })], store, /d_mlp=16 but config\.json says d_mlp=32/);
    assertRejected(['import', variant(bad('cfgp'), 7, { config: { prime: 7, d_vocab: 8, d_vocab_out: 7 } })], store, /do not cover all 49 pairs of p=7/);
    assertRejected(['import', variant(bad('cfgh'), 7, { config: { n_heads: 4 } })], store, /n_heads=2 but config\.json says n_heads=4/);
    // One broken variant among good ones: nothing at all is imported.
    const mixed = bad('mixed');
    variant(mixed, 11);
    variant(mixed, 12, { checkpoint: (b, label) => (label === 3 ? b.subarray(0, b.length - 10) : b) });
    assertRejected(['import', mixed], store, /checkpoint_epoch_00003\.safetensors: tensor .* outside the/);
    const textFile = join(tmp, 'notes.txt');
    writeFileSync(textFile, 'not a checkpoint\n');
    assertRejected(['import', textFile], store, /notes\.txt: neither a \.safetensors checkpoint file nor a folder/);
    assertRejected(['import', join(tmp, 'missing.safetensors')], store, /no such file or folder/);
    assertRejected(['import', bad('empty')], store, /neither a MIScope variant folder .* nor a folder of them/);
    assertRejected(['import', good, '--split', textFile], store, /--split and --metrics apply to checkpoint files/);

    // Plain checkpoint files.
    const file = (name: string, bytes: Buffer) => { const p = join(tmp, name); writeFileSync(p, bytes); return p; };
    const t = tensors(CFG, 3);
    const renamed = { ...t };
    renamed['blocks.0.attn.Wq'] = renamed['blocks.0.attn.W_Q'];
    delete (renamed as Record<string, RawTensor>)['blocks.0.attn.W_Q'];
    assertRejected(['import', file('renamed.safetensors', assembleSafetensors(renamed))], store, /no tensor blocks\.0\.attn\.W_Q/);
    const extra = { ...t, 'blocks.1.mlp.W_in': t['blocks.0.mlp.W_in'] };
    assertRejected(['import', file('extra.safetensors', assembleSafetensors(extra))], store, /unknown tensor blocks\.1\.mlp\.W_in/);
    const intWE = { ...t, 'embed.W_E': { dtype: 'I32', shape: t['embed.W_E'].shape, bytes: i32Bytes(new Array(6 * 8).fill(1)) } };
    assertRejected(['import', file('int.safetensors', assembleSafetensors(intWE))], store, /embed\.W_E has dtype I32; parameters must be F32, F16, BF16 or F64/);
    const f8 = { ...t, 'unembed.W_U': { dtype: 'F8_E4M3', shape: t['unembed.W_U'].shape, bytes: new Uint8Array(8 * 5) } };
    assertRejected(['import', file('f8.safetensors', assembleSafetensors(f8))], store, /unembed\.W_U has dtype F8_E4M3/);
    const whole = assembleSafetensors(t);
    assertRejected(['import', file('cut.safetensors', whole.subarray(0, whole.length - 7))], store, /outside the \d+-byte data buffer/);
    const bigHeader = Buffer.from(whole);
    bigHeader.writeUInt32LE(whole.length * 4, 0);
    assertRejected(['import', file('header.safetensors', bigHeader)], store, /truncated file \(header says \d+ bytes, file has \d+\)/);
    assertRejected(['import', file('tiny.safetensors', Buffer.from([1, 2, 3]))], store, /truncated file/);
    const otherP = assembleSafetensors(tensors({ ...CFG, p: 7 }, 4));
    assertRejected(['import', file('a_0.safetensors', whole), file('b_10.safetensors', otherP)], store, /b_10\.safetensors: its shapes \(p=7, .*\) differ from .*a_0\.safetensors \(p=5/);
    assertRejected(['import', file('c_1.safetensors', whole), file('d_1.safetensors', whole)], store, /epoch 1 again/);
    assertRejected(['import', file('e_2.safetensors', whole), '--split', textFile], store, /notes\.txt: not valid JSON/);
    assertRejected(['import', file('f_2.safetensors', whole), '--metrics', textFile], store, /notes\.txt: unknown column/);
    assertRejected(['import', good, join(tmp, 'e_2.safetensors'), '--name', 'x'], store, /--name names one run, but the paths make 3/);
    assertRejected(['import', file('g_2.safetensors', whole), '--name', '../evil'], store, /invalid run id/);

    // A plain file imports, named, with --json.
    const named = cli(['import', join(tmp, 'e_2.safetensors'), '--name', 'plain-one', '--store', store, '--json']);
    assert.equal(named.status, 0, named.stderr);
    assert.equal((JSON.parse(named.stdout) as { run_id: string }[])[0].run_id, 'plain-one');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('recorded losses not reproduced within 1e-4 + 1e-4·|recorded|: exit 1 and nothing imported, or --force with a loud warning', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gb-cli-import-tol-'));
  try {
    const store = join(tmp, 'store');
    const root = join(tmp, 'results');
    variant(root, 21);
    // The second variant's recorded test loss at label 0 is off by 1e-3: one folder of two is wrong.
    const offDir = variant(root, 22, { testLoss0: 1e-3 + JSON.parse(readFileSync(join(variant(join(tmp, 'ref'), 22), 'metadata.json'), 'utf8')).test_losses[0] });
    const ok = cli(['import', variant(join(tmp, 'other'), 23), '--store', store]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /recorded test losses reproduced: largest difference/);
    const before = snapshot(store);
    const r = cli(['import', root, '--store', store]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    const last = r.stderr.trimEnd().split('\n').pop() + '\n'; // after the progress lines
    assert.match(last, /^grokbench: run miscope-p5-s22-d598-e4: the test loss computed from the checkpoint of epoch 0 is \S+, MIScope recorded \S+ \(difference 1\.00e-3, tolerance 0\.0001 \+ 0\.0001·\|recorded\|\); nothing imported \(--force imports anyway\)\n$/);
    assert.deepEqual(snapshot(store), before, 'nothing imported, not even the good variant');
    const forced = cli(['import', root, '--store', store, '--force', '--json']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stderr, /^grokbench: WARNING: --force: importing despite a loss mismatch: run miscope-p5-s22-d598-e4: /m);
    const results = JSON.parse(forced.stdout) as { run_id: string; loss_check: { within_tolerance: boolean } }[];
    assert.deepEqual(results.map((x) => [x.run_id, x.loss_check.within_tolerance]),
      [['miscope-p5-s21-d598-e4', true], ['miscope-p5-s22-d598-e4', false]]);
    assert.ok(existsSync(offDir));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
