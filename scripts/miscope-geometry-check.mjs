#!/usr/bin/env node
/**
 * Check grokbench's repr_geometry statistics against MIScope's own library/geometry.py (numpy only).
 *
 *   npm run build && node scripts/miscope-geometry-check.mjs GEOMETRY_PY [P] [SEED]
 *
 * GEOMETRY_PY is MIScope's src/miscope/analysis/library/geometry.py (e.g. `git show
 * HEAD:src/miscope/analysis/library/geometry.py > /tmp/geometry.py` in training-dynamics-workbench).
 * A random float64 model (p = P, default 17) is run over all pairs; each of the four sites' samples
 * goes to MIScope's functions exactly as its RepresentationalGeometryAnalyzer calls them, and the
 * largest relative difference per site from grokbench's reprSiteMeasures is printed (about 1e-15
 * when they agree; resid_pre is the same vector for every pair, so in float64 its statistics are
 * rounding noise and its angle-based ones may differ more). Needs python3 with numpy.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [geometryPy, pArg, seedArg] = process.argv.slice(2);
if (!geometryPy) { console.error('usage: node scripts/miscope-geometry-check.mjs GEOMETRY_PY [P] [SEED]'); process.exit(2); }
const { ReferenceKernels } = await import(join(root, 'dist/src/engine/reference.js'));
const { computeTables, forward, makeBatch, Workspace } = await import(join(root, 'dist/src/model/model.js'));
const { Params } = await import(join(root, 'dist/src/model/params.js'));
const { reprSiteSamples } = await import(join(root, 'dist/src/analysis/analyzers/repr-geometry.js'));
const { reprSiteMeasures, REPR_GEOMETRY_SITES } = await import(join(root, 'dist/src/analysis/library/repr-geometry.js'));

const p = Number(pArg ?? 17), seed = Number(seedArg ?? 5);
const config = { p, dModel: 16, nHeads: 2, dHead: 8, dMlp: 24, act: 'relu' };
const params = Params.zeros(config, (n) => new Float64Array(n));
let s = seed >>> 0;
const uniform = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
for (let i = 0; i < params.flat.length; i++) params.flat[i] = (uniform() - 0.5) * 0.9;
const k = new ReferenceKernels('f64'), N = p * p;
const f = forward(k, params, computeTables(k, params), makeBatch(p, Int32Array.from({ length: N }, (_, i) => i)), new Workspace(k, params, N), false);
const samples = reprSiteSamples(params, f);
const dir = mkdtempSync(join(tmpdir(), 'grokbench-geometry-'));
const ours = {};
for (const site of REPR_GEOMETRY_SITES) {
  const X = Float64Array.from(samples[site].X);
  writeFileSync(join(dir, `${site}.bin`), Buffer.from(X.buffer));
  ours[site] = { d: samples[site].d, ...reprSiteMeasures(X, p, samples[site].d).scalars };
}
writeFileSync(join(dir, 'ours.json'), JSON.stringify({ p, sites: ours }));

const py = String.raw`
import importlib.util, json, os, sys
import numpy as np
spec = importlib.util.spec_from_file_location('geometry', sys.argv[1]); g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
d0 = sys.argv[2]; ours = json.load(open(os.path.join(d0, 'ours.json'))); p = ours['p']
labels = (np.repeat(np.arange(p), p) + np.tile(np.arange(p), p)) % p
for site, o in ours['sites'].items():
    X = np.fromfile(os.path.join(d0, site + '.bin'), dtype=np.float64).reshape(p * p, o['d'])
    c = g.compute_class_centroids(X, labels, p); radii = g.compute_class_radii(X, labels, c); dims = g.compute_class_dimensionality(X, labels, c)
    mr = float(np.mean(radii)); cs = g.compute_center_spread(c); fm, fmin = g.compute_fisher_discriminant(X, labels, c)
    F = g.compute_fisher_matrix(c, radii); r, s = np.triu_indices(p, k=1); i = int(np.argmin(F[r, s])); ar, as_ = int(r[i]), int(s[i])
    _, vf = g._pca_project(c, 3)
    ref = dict(mean_radius=mr, mean_dim=np.mean(dims), center_spread=cs, snr=(cs ** 2 / mr ** 2 if mr > 0 else 0.0),
               circularity=g.compute_circularity(c), fourier_alignment=g.compute_fourier_alignment(c, p), fisher_mean=fm, fisher_min=fmin,
               fisher_argmin_r=ar, fisher_argmin_s=as_, fisher_argmin_diff=min(as_ - ar, p - as_ + ar),
               pca_var_pc1=vf[0], pca_var_pc2=vf[1], pca_var_pc3=vf[2])
    worst = max((abs(float(ref[k]) - o[k]) / max(abs(float(ref[k])), 1e-12), k) for k in ref)
    print(f'{site:10s} largest relative difference {worst[0]:.2e} ({worst[1]})')
`;
const r = spawnSync('python3', ['-c', py, resolve(geometryPy), dir], { stdio: 'inherit' });
process.exit(r.status ?? 1);
