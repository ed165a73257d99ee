#!/usr/bin/python3
"""Check grokbench's fourier_frequency_quality and fourier_nucleation against MIScope's own code.

Run with numpy (no torch needed):
  python3 scripts/miscope-fourier-check.py MISCOPE_ANALYZERS_DIR RUN_DIR

MISCOPE_ANALYZERS_DIR holds MIScope's fourier_frequency_quality.py and fourier_nucleation.py
(packages/miscope/src/miscope/analysis/analyzers/ of training-dynamics-workbench; both import only
numpy, so they are loaded by file path without the miscope package). RUN_DIR is an analysed
grokbench run (runs/<id>/ of a store). For every checkpoint with both artifacts it runs:
  - MIScope's dominant_frequencies (torch there, numpy float32 here: get_fourier_basis, then
    ||basis @ W_E[:-1]|| per basis row) and FourierFrequencyQualityAnalyzer().analyze on them;
  - FourierNucleationAnalyzer().analyze on the checkpoint's embed.W_E and blocks.0.mlp.W_in;
and prints the differences from grokbench's stored artifacts.
"""
import importlib.util
import json
import os
import struct
import sys

import numpy as np

DTYPES = {'F32': np.float32, 'F64': np.float64, 'I32': np.int32}


def load_safetensors(path):
    with open(path, 'rb') as f:
        b = f.read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n])
    out = {}
    for name, v in header.items():
        if name == '__metadata__':
            continue
        s, e = v['data_offsets']
        out[name] = np.frombuffer(b[8 + n + s:8 + n + e], dtype=DTYPES[v['dtype']]).reshape(v['shape'])
    return out


def load_module(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def miscope_basis(p):
    """get_fourier_basis(p) in float32, as torch computes it by default."""
    rows = [np.ones(p, np.float32)]
    for k in range(1, p // 2 + 1):
        theta = (np.arange(p, dtype=np.float32) * np.float32(2 * np.pi) * k / p).astype(np.float32)
        rows += [np.sin(theta), np.cos(theta)]
    basis = np.stack(rows)
    return basis / np.linalg.norm(basis, axis=-1, keepdims=True)


class _Tensor:
    def __init__(self, a):
        self.a = a

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.a


class _Model:
    NAMES = {'embed.W_E': 'embed.W_E', 'blocks.0.mlp.in.W': 'blocks.0.mlp.W_in'}

    def __init__(self, ck):
        self.ck = ck

    def get_weight(self, name):
        return _Tensor(self.ck[self.NAMES[name]])


class _Ctx:
    pass


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    analyzers, run = sys.argv[1], sys.argv[2]
    ffq = load_module(os.path.join(analyzers, 'fourier_frequency_quality.py'))
    fn = load_module(os.path.join(analyzers, 'fourier_nucleation.py'))
    qdir, ndir = os.path.join(run, 'analysis', 'fourier_frequency_quality'), os.path.join(run, 'analysis', 'fourier_nucleation')
    worst = 0.0
    for name in sorted(os.listdir(qdir)):
        if not name.endswith('.safetensors') or not os.path.exists(os.path.join(ndir, name)):
            continue
        ck = load_safetensors(os.path.join(run, 'checkpoints', name))
        p = ck['unembed.W_U'].shape[1]
        basis = miscope_basis(p)
        coefficients = np.linalg.norm(basis @ ck['embed.W_E'][:-1], axis=-1)
        q = ffq.FourierFrequencyQualityAnalyzer().analyze(
            {'coefficients': coefficients}, {'params': {'prime': p}, 'fourier_basis': _Tensor(basis.astype(np.float64))})
        ours_q = load_safetensors(os.path.join(qdir, name))
        ctx = _Ctx()
        ctx.model = _Model(ck)
        ctx.analysis_params = {'params': {'prime': p}}
        nu = fn.FourierNucleationAnalyzer().analyze(ctx)
        ours_n = load_safetensors(os.path.join(ndir, name))
        same_rows = list(q['dominant_frequencies']) == list(ours_q['dominant_frequencies'])
        dq = abs(float(q['quality_score']) - float(ours_q['quality_score'][0]))
        de = float(np.max(np.abs(nu['aggregate_energy'] - ours_n['aggregate_energy'])))
        peaks = int(np.sum(nu['neuron_peak_freq'] != ours_n['neuron_peak_freq']))
        committed = int(np.sum(nu['neuron_committed_count'] != ours_n['neuron_committed_count']))
        worst = max(worst, dq, de)
        print(f'{name}: quality MIScope {float(q["quality_score"]):.6f} ours {float(ours_q["quality_score"][0]):.6f} '
              f'(k {int(q["k"])}, same dominant rows {same_rows}); coefficients max |diff| '
              f'{float(np.max(np.abs(coefficients - ours_q["coefficients"]))):.2e}; nucleation aggregate energy max |diff| {de:.2e}, '
              f'peak mismatches {peaks} of {nu["neuron_peak_freq"].size}, committed-count mismatches {committed}')
        if not same_rows or peaks or committed:
            worst = float('inf')
    print(f'largest difference: {worst:.2e}')
    sys.exit(0 if worst < 1e-5 else 1)


if __name__ == '__main__':
    main()
