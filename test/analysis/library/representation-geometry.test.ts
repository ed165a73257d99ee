import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceKernels } from '../../../src/engine/reference.js';
import { classGeometry, representationGeometry } from '../../../src/analysis/library/representation-geometry.js';
import { plainLogits } from '../../helpers/plain-model.js';
import { f64Params, relClose, tiny } from '../further-helpers.js';

/** Samples on an ellipse of frequency k (axes R, eR in dims 0, 1) with within-class spread s in dim 2. */
function constructed(p: number, k: number, R: number, e: number, s: number, d = 4): Float64Array {
  const X = new Float64Array(p * p * d);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const i = a * p + b, c = (a + b) % p, th = (2 * Math.PI * k * c) / p;
    X[i * d] = R * Math.cos(th) + 0.3; X[i * d + 1] = e * R * Math.sin(th) - 1;
    X[i * d + 2] = s * Math.SQRT2 * Math.cos((2 * Math.PI * a) / p); // mean 0 and mean square s² within every class
  }
  return X;
}

test('class geometry on a constructed circle of frequency k: radius, class radius, all variance and circularity 1 in plane k, Fisher ratios in closed form', () => {
  const p = 13, k = 5, R = 2, s = 0.5;
  const g = classGeometry(constructed(p, k, R, 1, s), p, 4);
  relClose(g.centroidRadius, R, 1e-12, 'centroid radius'); // √(mean_c ‖μ_c − μ̄‖²) = R
  for (const r of g.classRadius) relClose(r, s, 1e-12, 'class radius');
  relClose(g.share[k - 1], 1, 1e-12, 'share of plane k');
  relClose(g.circularity[k - 1], 1, 1e-9, 'circularity of plane k');
  assert.ok(g.share.every((x, i) => i === k - 1 || x < 1e-20));
  relClose(g.fisherMin, (4 * R * R * Math.sin(Math.PI / p) ** 2) / (2 * s * s), 1e-12, 'min Fisher');
  let sum = 0, n = 0;
  for (let r = 0; r < p; r++) for (let t = r + 1; t < p; t++) { sum += (4 * R * R * Math.sin((Math.PI * k * (t - r)) / p) ** 2) / (2 * s * s); n++; }
  relClose(g.fisherMean, sum / n, 1e-12, 'mean Fisher');
});

test('an ellipse with axes R and R/2 has circularity 1/2 in its plane; centroid radius √((R² + R²/4)/2)', () => {
  const g = classGeometry(constructed(11, 3, 1.5, 0.5, 0.1), 11, 4);
  relClose(g.circularity[2], 0.5, 1e-9, 'circularity');
  relClose(g.centroidRadius, Math.sqrt((1.5 ** 2 + 0.75 ** 2) / 2), 1e-12, 'centroid radius');
});

test('after the MLP, class centroids mapped through W_U and b_U are the class means of the plain float64 model\'s logits (logits are linear in resid_post)', () => {
  const k = new ReferenceKernels('f64');
  const params = f64Params(tiny, 13, 0.8);
  const { p, dModel: d } = tiny;
  const g = representationGeometry(k, params);
  const WU = params.t['unembed.W_U'], bU = params.t['unembed.b_U'];
  for (let c = 0; c < p; c++) {
    const want = new Float64Array(p);
    for (let a = 0; a < p; a++) { const l = plainLogits(params, a, (c - a + p) % p); for (let o = 0; o < p; o++) want[o] += l[o] / p; }
    for (let o = 0; o < p; o++) {
      let got = bU[o];
      for (let j = 0; j < d; j++) got += g.resid_post.centroids[c * d + j] * WU[j * p + o];
      assert.ok(Math.abs(got - want[o]) < 1e-10, `class ${c} logit ${o}: ${got} vs ${want[o]}`);
    }
  }
  assert.ok(g.resid_mid.fisherMean > 0 && g.resid_post.centroidRadius > 0);
});
