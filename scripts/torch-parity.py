#!/usr/bin/python3
"""Write the PyTorch training-parity fixture test/fixtures/torch-parity/curve.json (committed).

Run with Debian's python3-torch:   /usr/bin/python3 scripts/torch-parity.py [--self-spread] [OUT_FILE]

It trains a small config of the one-layer model (docs/design.md §1) in PyTorch, written here on its
own (float32, TransformerLens' parameter layout: W_Q/W_K/W_V [H, d_model, d_head], W_O
[H, d_head, d_model], ...):
  - init: torch.manual_seed(seed), then normal_(0, 0.8/sqrt(d_model)) on every W_ tensor in
    TransformerLens 2.x's draw order (W_E, W_pos, W_Q, W_O, W_K, W_V, W_in, W_out, W_U), biases
    zero (TransformerLens' gpt2 init, as scripts/torch-fixtures.py);
  - split: torch.manual_seed(data_seed); perm = torch.randperm(p*p); the first int(p*p*frac)
    pairs (pair index a*p + b) train, the rest test;
  - tokens [a, b, p]; x = W_E[tok] + W_pos; causal attention with scale 1/sqrt(d_head) added to
    the residual; relu MLP added; logits = x.W_U + b_U at the last position; loss = mean
    cross-entropy in float64 from the float32 logits;
  - full-batch torch.optim.AdamW on the W_ tensors only (biases stay zero).
The same training is continued into the plateau after memorisation (per-sample train losses of
1e-6 and below, where a float32 loss gradient formed as softmax - 1 cancels): at the epochs of
PLATEAU_EPOCHS it writes plateau-eNNNNN.safetensors beside the curve with the weights and the
float32 gradient of the float64 mean loss for every W_ tensor ('grad.' + name), and the AdamW
state (exp_avg 'adam_m.' + name, exp_avg_sq 'adam_v.' + name), and the losses of the next
PLATEAU_STEPS steps, so a test can check grokbench's gradient and its steps there.
Row e of the curve holds the train and test loss/accuracy of the weights after e optimiser steps
(W_e), e = 0..epochs, both measured at the same weights, as grokbench's metrics rows are.

The fixture also holds the split and a SHA-256 of each initial tensor's float32 bytes, so the
test can check that grokbench starts from exactly these weights. With --self-spread it also trains
again with the train batch in sorted order and prints how far that curve is from the first: the
size of pure float32 reordering differences, which bounds what the parity test can ask for.
"""
import hashlib
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_common import DRAW_ORDER, dataset, state_dict_shapes, write_safetensors  # noqa: E402

torch.set_num_threads(1)

CONFIG = {
    'p': 23, 'dModel': 32, 'nHeads': 2, 'dHead': 16, 'dMlp': 64,
    'seed': 999, 'dataSeed': 598, 'fracTrain': 0.3, 'epochs': 300,
    'lr': 1e-3, 'wd': 1.0, 'beta1': 0.9, 'beta2': 0.98, 'eps': 1e-8,
}

SELF_SPREAD = '--self-spread' in sys.argv[1:]
ARGS = [a for a in sys.argv[1:] if a != '--self-spread']
OUT = ARGS[0] if ARGS else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch-parity', 'curve.json')


PLATEAU_EPOCHS = (1500, 4000)
PLATEAU_STEPS = 20


def init_params(c):
    torch.manual_seed(c['seed'])
    std = 0.8 / math.sqrt(c['dModel'])
    out = {name: torch.zeros(shape, dtype=torch.float32)
           for name, shape in state_dict_shapes(c['p'], c['dModel'], c['nHeads'], c['dHead'], c['dMlp'])}
    for name in DRAW_ORDER['tl2']:
        out[name].normal_(0.0, std)
    return out


def plateau_fixtures(c, init, tokens, labels, tr, out_dir):
    """Train on into the plateau; at PLATEAU_EPOCHS write weights, gradient, AdamW state and the next steps' losses."""
    P = {name: torch.nn.Parameter(t.clone(), requires_grad='W_' in name) for name, t in init.items()}
    trained = [n for n in P if P[n].requires_grad]
    opt = torch.optim.AdamW([P[n] for n in trained], lr=c['lr'], weight_decay=c['wd'],
                            betas=(c['beta1'], c['beta2']), eps=c['eps'])
    saved = None
    for epoch in range(max(PLATEAU_EPOCHS) + PLATEAU_STEPS + 1):
        logits = forward(P, tokens[tr], c['dHead'])
        lp = logits.to(torch.float64).log_softmax(dim=-1)
        per_sample = -lp.gather(dim=-1, index=labels[tr][:, None])[:, 0]
        loss = per_sample.mean()
        loss.backward()
        if saved is not None:
            saved['next_losses'].append(loss.item())
            if len(saved['next_losses']) == PLATEAU_STEPS + 1:
                e = saved['epoch']
                meta = {'epoch': str(e), 'train_loss': repr(saved['next_losses'][0]),
                        'next_train_losses': json.dumps(saved['next_losses']),
                        'max_sample_loss': repr(saved['max_sample_loss']), 'median_sample_loss': repr(saved['median']),
                        'adam_step': str(e), 'made_by': 'scripts/torch-parity.py', 'torch_version': torch.__version__}
                write_safetensors(os.path.join(out_dir, f'plateau-e{e:05d}.safetensors'), saved['tensors'], meta)
                print(f'plateau epoch {e}: train loss {meta["train_loss"]}, per-sample max {meta["max_sample_loss"]}, '
                      f'median {meta["median_sample_loss"]}')
                saved = None
        if epoch in PLATEAU_EPOCHS:
            tensors = {n: P[n].detach().clone() for n in P}
            for n in trained:
                tensors['grad.' + n] = P[n].grad.detach().clone()
                st = opt.state.get(P[n], {})
                tensors['adam_m.' + n] = st['exp_avg'].clone() if st else torch.zeros_like(P[n])
                tensors['adam_v.' + n] = st['exp_avg_sq'].clone() if st else torch.zeros_like(P[n])
            saved = {'epoch': epoch, 'tensors': tensors, 'next_losses': [loss.item()],
                     'max_sample_loss': per_sample.max().item(), 'median': per_sample.median().item()}
        opt.step()
        opt.zero_grad()


def forward(P, tokens, dh):
    """Logits at the last position of the plain three-position model, float32."""
    x = P['embed.W_E'][tokens] + P['pos_embed.W_pos'][None]                      # [n, 3, d]
    q = torch.einsum('npd,hde->nphe', x, P['blocks.0.attn.W_Q']) + P['blocks.0.attn.b_Q']
    k = torch.einsum('npd,hde->nphe', x, P['blocks.0.attn.W_K']) + P['blocks.0.attn.b_K']
    v = torch.einsum('npd,hde->nphe', x, P['blocks.0.attn.W_V']) + P['blocks.0.attn.b_V']
    scores = torch.einsum('nqhe,nkhe->nhqk', q, k) / math.sqrt(dh)
    causal = torch.tril(torch.ones(3, 3, dtype=torch.bool))
    scores = scores.masked_fill(~causal, float('-inf'))
    z = torch.einsum('nhqk,nkhe->nqhe', scores.softmax(dim=-1), v)
    x = x + torch.einsum('nqhe,hed->nqd', z, P['blocks.0.attn.W_O']) + P['blocks.0.attn.b_O']
    post = torch.relu(x @ P['blocks.0.mlp.W_in'] + P['blocks.0.mlp.b_in'])
    x = x + post @ P['blocks.0.mlp.W_out'] + P['blocks.0.mlp.b_out']
    return (x @ P['unembed.W_U'] + P['unembed.b_U'])[:, -1]


def loss_acc(logits, labels):
    lp = logits.to(torch.float64).log_softmax(dim=-1)
    loss = -lp.gather(dim=-1, index=labels[:, None])[:, 0].mean()
    acc = (logits.argmax(dim=-1) == labels).to(torch.float64).mean().item()
    return loss, acc


def train_curve(c, init, tokens, labels, tr, te):
    """Full-batch AdamW from `init`; row e = losses/accuracies of the weights after e steps."""
    P = {name: torch.nn.Parameter(t.clone(), requires_grad='W_' in name) for name, t in init.items()}
    opt = torch.optim.AdamW([t for t in P.values() if t.requires_grad], lr=c['lr'], weight_decay=c['wd'],
                            betas=(c['beta1'], c['beta2']), eps=c['eps'])
    rows = {'train_loss': [], 'train_acc': [], 'test_loss': [], 'test_acc': []}

    def record(train_loss, train_acc):
        with torch.no_grad():
            test_loss, test_acc = loss_acc(forward(P, tokens[te], c['dHead']), labels[te])
        rows['train_loss'].append(train_loss)
        rows['train_acc'].append(train_acc)
        rows['test_loss'].append(test_loss.item())
        rows['test_acc'].append(test_acc)

    for _ in range(c['epochs']):
        loss, acc = loss_acc(forward(P, tokens[tr], c['dHead']), labels[tr])
        loss.backward()
        record(loss.item(), acc)      # row e: W_e, before the step
        opt.step()
        opt.zero_grad()
    with torch.no_grad():
        loss, acc = loss_acc(forward(P, tokens[tr], c['dHead']), labels[tr])
    record(loss.item(), acc)
    return rows


def main():
    c = CONFIG
    tokens, labels, tr, te = dataset(c['p'], c['dataSeed'], c['fracTrain'])

    init = init_params(c)
    digests = {name: hashlib.sha256(t.contiguous().numpy().astype('<f4').tobytes()).hexdigest()
               for name, t in init.items()}
    rows = train_curve(c, init, tokens, labels, tr, te)
    if SELF_SPREAD:
        # The same training with the train batch in sorted pair order (as grokbench holds it): how
        # far PyTorch is from itself when only float32 summation orders change.
        other = train_curve(c, init, tokens, labels, tr.sort().values, te)
        for upto in (50, 100, 200, c['epochs']):
            d = [max(abs(other[k][e] - rows[k][e]) / abs(rows[k][e]) for e in range(upto + 1))
                 for k in ('train_loss', 'test_loss')]
            print(f'PyTorch sorted vs permuted batch, epochs 0-{upto}: max rel. loss difference '
                  f'train {d[0]:.2e}, test {d[1]:.2e}')

    about = {
        'made_by': 'scripts/torch-parity.py', 'torch_version': torch.__version__, 'threads': 1,
        'cpu_capability': next((l.split(':', 1)[1].strip() for l in torch.__config__.show().splitlines()
                                if 'CPU capability usage' in l), 'unknown'),
        'rows': 'row e = train/test loss and accuracy of the weights after e AdamW steps',
    }
    os.makedirs(os.path.dirname(os.path.abspath(OUT)), exist_ok=True)
    with open(OUT, 'w') as fh:
        json.dump({'about': about, 'config': c, 'train_indices': tr.tolist(), 'init_sha256': digests, **rows},
                  fh, separators=(',', ':'))
        fh.write('\n')
    plateau_fixtures(c, init, tokens, labels, tr, os.path.dirname(os.path.abspath(OUT)))
    mem = next((e for e, x in enumerate(rows['train_acc']) if x >= 0.99), None)
    print(f'wrote {os.path.normpath(OUT)}: final train loss {rows["train_loss"][-1]:.4g}, '
          f'test loss {rows["test_loss"][-1]:.4g}, test acc {rows["test_acc"][-1]:.3f}, memorised at {mem}')


if __name__ == '__main__':
    main()
