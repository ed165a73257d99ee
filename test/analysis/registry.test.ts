import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTable, findAnalyzer, listAnalyzers, listCrossEpochAnalyzers, listRunAnalyzers } from '../../src/analysis/registry.js';
import type { AnyAnalyzer } from '../../src/analysis/protocol/analyzer.js';

const checkpointA = (name: string): AnyAnalyzer => ({
  tier: 'checkpoint', name, version: 1, params: () => ({ version: 1 }),
  analyseCheckpoint: () => ({ summary: {}, tensors: {} }),
});
const runA = (name: string, requires: string[]): AnyAnalyzer => ({
  tier: 'run', name, version: 1, requires, params: () => ({ version: 1 }), analyseRun: () => ({}),
});

test('the analyzer table declares every analyzer in its tier, and every requirement runs before its user', () => {
  const tiers = new Map<string, string>();
  for (const a of [...listAnalyzers(), ...listCrossEpochAnalyzers(), ...listRunAnalyzers()]) tiers.set(a.name, a.tier);
  assert.equal(tiers.get('neuron_fourier'), 'checkpoint');
  assert.equal(tiers.get('parameter_trajectory'), 'cross_epoch');
  assert.equal(tiers.get('global_centroid_pca'), 'cross_epoch');
  assert.equal(tiers.get('activation_dmd'), 'run');
  assert.deepEqual(listCrossEpochAnalyzers().find((a) => a.name === 'global_centroid_pca')!.requires, ['representation_geometry']);
  assert.deepEqual(listRunAnalyzers().find((a) => a.name === 'activation_dmd')!.requires, ['global_centroid_pca']);
  assert.equal(tiers.get('outcome'), 'run');
  assert.ok(listAnalyzers().every((a) => a.tier === 'checkpoint'));
  assert.ok(listCrossEpochAnalyzers().every((a) => a.tier === 'cross_epoch'));
  assert.ok(listRunAnalyzers().every((a) => a.tier === 'run'));
  assert.deepEqual(listRunAnalyzers().find((a) => a.name === 'outcome')!.requires, ['embedding_fourier']);
  assert.equal(findAnalyzer('effective_dimensionality_crossover')?.tier, 'run');
  assert.equal(tiers.get('pizza_clock'), 'checkpoint');
  assert.equal(tiers.get('llc'), 'checkpoint');
  assert.equal(tiers.get('restricted_loss'), 'cross_epoch');
  assert.deepEqual(listCrossEpochAnalyzers().find((a) => a.name === 'restricted_loss')!.requires, ['neuron_fourier', 'embedding_fourier']);
  assert.equal(findAnalyzer('nope'), undefined);
});

test('a table with a name twice, or a requirement that is missing or comes later, is refused', () => {
  assert.equal(checkTable([checkpointA('a'), runA('b', ['a'])]).size, 2);
  assert.throws(() => checkTable([checkpointA('a'), checkpointA('a')]), /analyzer a is in the table twice/);
  assert.throws(() => checkTable([checkpointA('a'), runA('b', ['c'])]), /b requires c, which is not an analyzer before it/);
  assert.throws(() => checkTable([runA('b', ['a']), checkpointA('a')]), /b requires a/);
});
