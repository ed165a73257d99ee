#!/usr/bin/python3
"""PyTorch's CPU run of the researcher's config, for the drift report of issue 9.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/torch-p113-curve.py [EPOCHS] [OUT_FILE] [P SEED DATA_SEED]

The researcher's published run is p=113, seed 999, data seed 598, frac_train 0.3 at the DESIGN
defaults, trained by MIScope (TransformerLens 2.x, PyTorch, a GPU). Only its first ten train
losses are at hand (test/train/researcher-curve.test.ts); PyTorch on this CPU, from the same
initial weights (TransformerLens 2.x draw order, scripts/torch-parity.py's model, float64 loss,
torch.optim.AdamW) follows them to 2e-9 there, so it stands in for the researcher's curve beyond
epoch 9. Writes {train_loss, test_loss} rows e = 0..EPOCHS (the weights after e steps) to
test/fixtures/torch-parity/p113-s999-d598.json.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_common import dataset  # noqa: E402
import importlib.util  # noqa: E402
spec = importlib.util.spec_from_file_location('tp', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torch-parity.py'))
tp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tp)

torch.set_num_threads(1)
EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch-parity', 'p113-s999-d598.json')
P, SEED, DATA_SEED = (int(x) for x in sys.argv[3:6]) if len(sys.argv) > 5 else (113, 999, 598)
c = {'p': P, 'dModel': 128, 'nHeads': 4, 'dHead': 32, 'dMlp': 512, 'seed': SEED, 'dataSeed': DATA_SEED,
     'fracTrain': 0.3, 'epochs': EPOCHS, 'lr': 1e-3, 'wd': 1.0, 'beta1': 0.9, 'beta2': 0.98, 'eps': 1e-8}
tokens, labels, tr, te = dataset(c['p'], c['dataSeed'], c['fracTrain'])
rows = tp.train_curve(c, tp.init_params(c), tokens, labels, tr, te)
with open(OUT, 'w') as fh:
    json.dump({'about': {'made_by': 'scripts/torch-p113-curve.py', 'torch_version': torch.__version__, 'threads': 1},
               'config': c, 'train_loss': rows['train_loss'], 'test_loss': rows['test_loss']}, fh, separators=(',', ':'))
    fh.write('\n')
print(f'wrote {OUT}: train loss at 0..9: {rows["train_loss"][:10]}')
