import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactPath } from '../../src/analysis/pipeline.js';
import { furtherSections, gradientRatios, specialisedNeurons } from '../../src/study/further.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/io/safetensors.js';
import { Store } from '../../src/store/store.js';
import { buildBenchStore } from '../report/bench-store.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

test('further study: gradient ratios of specialised neurons per phase, initial curvature by outcome, heads matching neuron frequencies, from constructed stored results', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grokbench-study-further-'));
  try {
    const ids = buildBenchStore(dir, { epochs: 1000, every: 100, dMlp: 16, runs: [{ p: 13, seed: 1, grokAt: 600 }, { p: 13, seed: 2, grokAt: null }] });
    const store = Store.open(dir);
    store.appendMetrics(ids[0], [{ epoch: 1000, train_loss: 1e-7, train_acc: 1, test_loss: 1e-7, test_acc: 1 }]);
    const spec = specialisedNeurons(store, ids[0])!;
    // Independent count from the last neuron_fourier artifact.
    const last = store.getAnalyses(ids[0], 'neuron_fourier').at(-1)!;
    const f = readSafetensorsFile(last.path!);
    const want = Array.from(f.getFloat32('dominant_fraction')).flatMap((x, n) => (x >= 0.7 && !f.getInt32('flat')[n] ? [n] : []));
    assert.deepEqual(spec.neurons, want);
    assert.ok(spec.neurons.length > 0 && spec.neurons.length < 16, 'the fixture has specialised and other neurons');
    const set = new Set(spec.neurons);
    // Specialised neurons get gradient 3 before the onset (580) and 1.5 after; the others 1.
    for (const id of ids) for (let e = 0; e <= 1000; e += 100) {
      const g = Float32Array.from({ length: 16 }, (_, n) => (set.has(n) ? (e < 580 ? 3 : 1.5) : 1));
      const path = artifactPath(store, id, 'gradient_flow', e);
      mkdirSync(dirname(path), { recursive: true });
      writeSafetensorsFile(path, { neuron_grad: { dtype: 'F32', shape: [16], data: g } }, {});
      store.putAnalysis(id, e, 'gradient_flow', { version: 1 }, { train_set: 'run.json' }, path);
    }
    store.putAnalysis(ids[0], 0, 'curvature', { version: 3 }, { train_set: 'run.json', mean_delta_loss: 0.02, flatness_ratio: 1, hessian: { eigenvalue: 0.25 } });
    store.putAnalysis(ids[1], 0, 'curvature', { version: 3 }, { train_set: 'run.json', mean_delta_loss: 0.04, flatness_ratio: 0.5, hessian: { eigenvalue: 0.5 } });
    const dom = f.getInt32('dominant_frequency')[spec.neurons[0]];
    const heads = [dom, dom, (dom % 6) + 1 === dom ? 1 : (dom % 6) + 1, dom].map((k) => ({ dominant_frequency: k }));
    store.putAnalysis(ids[0], 1000, 'attention', { version: 1 }, { heads });

    const g0 = gradientRatios(store, ids[0])!;
    assert.equal(g0.before, 3);
    assert.equal(g0.during, 1.5);
    assert.equal(g0.checkpoints, 11);
    const sections = furtherSections(store, ids);
    assert.deepEqual(sections.map((s) => s.id), ['further-gradient-flow', 'further-curvature', 'further-attention']);
    assert.match(sections[1].answer, /grokked runs 0\.250 \(n=1\), failed runs 0\.500 \(n=1\)/);
    const att = sections[2].table!.rows[0];
    const freqs = new Set(spec.frequencies);
    assert.equal(att[4], Number((heads.filter((h) => freqs.has(h.dominant_frequency)).length / 4).toPrecision(3)));
    assert.equal(att[5], Number((freqs.size / 6).toPrecision(3)));
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
