/**
 * The modular-addition dataset's split (docs/design.md §1): pair index i = a·p + b over all p² pairs.
 *
 * The seeded split is PyTorch's, as the researcher's workbench (MIScope) draws it:
 * `torch.manual_seed(data_seed); perm = torch.randperm(p*p)`, the first floor(p²·frac_train)
 * entries of `perm` train, the rest test, both in permutation order.
 *
 * A split can also come from a file (`--split-file`): a JSON array of train pair indices,
 * `{"train_indices": [...]}`, or MIScope's `metadata.json` (`train_indices`, `test_indices`).
 * Every problem with such a file is a one-line `badInput`.
 */
import { readFileSync } from 'node:fs';
import { badInput } from '../core/errors.js';
import { MT19937, torchRandperm } from '../core/rng.js';

export interface Split {
  /** Train pair indices (a·p + b), in their drawn (or given) order. */
  train: Int32Array;
  /** Test pair indices: every pair not in train, in drawn order (or the order the file gives). */
  test: Int32Array;
}

/** Number of train pairs for p and frac_train, as Python's int(p*p*frac) computes it. */
export function trainCount(p: number, fracTrain: number): number {
  return Math.floor(p * p * fracTrain);
}

/** The seeded split: torch.manual_seed(dataSeed), randperm(p²), first floor(p²·frac) train. */
export function makeSplit(p: number, fracTrain: number, dataSeed: number): Split {
  if (!Number.isSafeInteger(p) || p < 1) throw badInput(`p must be a positive integer, got ${p}`);
  if (!Number.isSafeInteger(dataSeed) || dataSeed < 0 || dataSeed > 0xffffffff) {
    throw badInput(`--data-seed must be an integer between 0 and ${0xffffffff}, got ${dataSeed}`);
  }
  const n = p * p;
  const nTrain = trainCount(p, fracTrain);
  if (!(nTrain >= 1 && nTrain < n)) {
    throw badInput(`--frac-train ${fracTrain} leaves an empty train or test set for p=${p}`);
  }
  const perm = torchRandperm(n, new MT19937(dataSeed));
  return { train: perm.slice(0, nTrain), test: perm.slice(nTrain) };
}

/** Validate a list of pair indices; returns them as an Int32Array. */
function indexList(value: unknown, what: string, p: number, source: string): Int32Array {
  if (!Array.isArray(value)) throw badInput(`${source}: ${what} is not a JSON array of pair indices`);
  const n = p * p;
  const out = new Int32Array(value.length);
  const seen = new Uint8Array(n);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw badInput(`${source}: ${what}[${i}] is ${JSON.stringify(v)}, not an integer pair index`);
    }
    if (v < 0 || v >= n) {
      throw badInput(`${source}: ${what}[${i}] = ${v} is outside 0..${n - 1} (p=${p}, pair index a*p+b)`);
    }
    if (seen[v]) throw badInput(`${source}: ${what} holds pair index ${v} twice`);
    seen[v] = 1;
    out[i] = v;
  }
  return out;
}

/**
 * A split from explicit train indices (and optionally test indices, which must then be exactly
 * the other pairs); `source` names where they came from in error messages.
 */
export function splitFromIndices(train: unknown, test: unknown, p: number, source: string): Split {
  const tr = indexList(train, 'train_indices', p, source);
  const n = p * p;
  if (tr.length === 0) throw badInput(`${source}: train_indices is empty`);
  if (tr.length >= n) throw badInput(`${source}: train_indices holds all ${n} pairs, leaving no test set`);
  const inTrain = new Uint8Array(n);
  for (const i of tr) inTrain[i] = 1;
  if (test === undefined || test === null) {
    const te = new Int32Array(n - tr.length);
    let k = 0;
    for (let i = 0; i < n; i++) if (!inTrain[i]) te[k++] = i;
    return { train: tr, test: te };
  }
  const te = indexList(test, 'test_indices', p, source);
  for (const i of te) {
    if (inTrain[i]) throw badInput(`${source}: pair index ${i} is in both train_indices and test_indices`);
  }
  if (te.length + tr.length !== n) {
    throw badInput(
      `${source}: train_indices (${tr.length}) and test_indices (${te.length}) do not cover all ${n} pairs of p=${p}`,
    );
  }
  return { train: tr, test: te };
}

/** Parse the JSON of a split file (array, {"train_indices"}, or MIScope metadata.json). */
export function parseSplitJson(text: string, p: number, source: string): Split {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badInput(`${source}: not valid JSON (expected an array of pair indices or {"train_indices": [...]})`);
  }
  if (Array.isArray(parsed)) return splitFromIndices(parsed, undefined, p, source);
  if (parsed !== null && typeof parsed === 'object') {
    const o = parsed as Record<string, unknown>;
    if (!('train_indices' in o)) throw badInput(`${source}: JSON object has no train_indices`);
    return splitFromIndices(o.train_indices, o.test_indices, p, source);
  }
  throw badInput(`${source}: expected an array of pair indices or {"train_indices": [...]}`);
}

/** Read a split file for modulus p (see the module comment for the accepted forms). */
export function readSplitFile(path: string, p: number): Split {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(`${path}: no such split file`);
    if (code === 'EISDIR') throw badInput(`${path}: is a directory, not a split file`);
    throw badInput(`${path}: cannot read split file (${code ?? 'unknown error'})`);
  }
  return parseSplitJson(text, p, path);
}
