#!/usr/bin/python3
"""Write the PyTorch reference fixtures of test/fixtures/torch/ (committed; tests need no PyTorch).

Run with Debian's python3-torch:   /usr/bin/python3 scripts/torch-fixtures.py [OUT_DIR]

What it writes, all drawn by PyTorch's CPU generator:
  mt19937.json         the first outputs of the generator after torch.manual_seed(999), read
                       through torch.randint(0, 2**32 - 1), i.e. random() mod (2^32 - 1)
  normal.json          a sequence of float32 tensor.normal_(mean, std) calls of odd sizes (< 16,
                       exactly 16, 17, 33, 100, 1000) after one torch.manual_seed
  splits.json          torch.manual_seed(data_seed); torch.randperm(p*p) for several (p, data_seed),
                       with n_train = int(p*p*frac_train) as the researcher's workbench computes it
  init-*.safetensors   the initial parameters of the one-layer model for (p, seed, dims), as
                       TransformerLens' HookedTransformer draws them (gpt2 init: manual_seed(seed),
                       then normal_(0, 0.8/sqrt(d_model)) on every W_ parameter in the order of
                       named_parameters(), biases zero). TransformerLens >= 2 registers W_Q, W_O in
                       AbstractAttention and then W_K, W_V in Attention, so it draws W_E, W_pos,
                       W_Q, W_O, W_K, W_V, W_in, W_out, W_U ('tl2', the researcher's); 1.x drew
                       W_Q, W_K, W_V, W_O ('tl1', written as init-*-tl1.safetensors). If
                       transformer_lens is importable it is used itself (for its own order);
                       otherwise (Debian has no package for it) the same draws are made directly.
The safetensors files are written with struct/json below (no safetensors package needed), F32.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_common import DRAW_ORDER, state_dict_shapes, write_safetensors  # noqa: E402

torch.set_num_threads(1)

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch')
os.makedirs(OUT, exist_ok=True)

ABOUT = {
    'torch_version': torch.__version__,
    'cpu_capability': next((l.split(':', 1)[1].strip() for l in torch.__config__.show().splitlines()
                            if 'CPU capability usage' in l), 'unknown'),
    'made_by': 'scripts/torch-fixtures.py',
}


def write_json(name, obj):
    with open(os.path.join(OUT, name), 'w') as fh:
        json.dump({'about': ABOUT, **obj}, fh, separators=(',', ':'))
        fh.write('\n')


def floats(t):
    # float32 -> Python float is exact, and JSON keeps the shortest round-tripping decimal.
    return [float(x) for x in t.reshape(-1).tolist()]


# ---- MT19937 outputs ---------------------------------------------------------------------------
torch.manual_seed(999)
# randint with a range below 2^32 takes one 32-bit output each: value = random() % range.
mt = torch.randint(0, 2**32 - 1, (1500,), dtype=torch.int64).tolist()
write_json('mt19937.json', {'seed': 999, 'modulus': 2**32 - 1, 'values': mt})

# ---- normal_ of odd sizes ----------------------------------------------------------------------
NORMAL_SEED = 7
torch.manual_seed(NORMAL_SEED)
calls = []
for size, mean, std in [(1, 0.0, 0.3), (3, 0.0, 0.3), (5, 0.25, 2.0), (15, 0.0, 0.3), (2, 0.0, 1.0),
                        (16, 0.0, 0.3), (17, 0.0, 0.3), (33, -1.0, 0.5), (100, 0.0, 0.3), (7, 0.0, 0.3),
                        (1000, 0.5, 1.0), (18, 0.0, 0.07071067811865475)]:
    t = torch.empty(size, dtype=torch.float32)
    t.normal_(mean, std)
    calls.append({'size': size, 'mean': mean, 'std': std, 'values': floats(t)})
write_json('normal.json', {'seed': NORMAL_SEED, 'calls': calls})

# ---- splits ------------------------------------------------------------------------------------
cases = []
for p, data_seed, frac in [(113, 598, 0.3), (101, 598, 0.3), (97, 598, 0.3), (113, 0, 0.3), (7, 1, 0.5)]:
    torch.manual_seed(data_seed)
    perm = torch.randperm(p * p).tolist()
    cases.append({'p': p, 'data_seed': data_seed, 'frac_train': frac, 'n_train': int(p * p * frac), 'perm': perm})
write_json('splits.json', {'cases': cases})


# ---- initial weights ---------------------------------------------------------------------------
def init_direct(p, seed, d, H, dh, m, order='tl2'):
    torch.manual_seed(seed)
    std = 0.8 / math.sqrt(d)
    out = {name: torch.zeros(shape, dtype=torch.float32) for name, shape in state_dict_shapes(p, d, H, dh, m)}
    for name in DRAW_ORDER[order]:
        torch.nn.init.normal_(out[name], std=std)
    return out, f'direct draws (manual_seed, normal_ on W_ in TransformerLens {order} order)'


def init_transformer_lens(p, seed, d, H, dh, m, order='tl2'):
    import transformer_lens  # noqa: E402
    if order != ('tl1' if transformer_lens.__version__.startswith('1.') else 'tl2'):
        return init_direct(p, seed, d, H, dh, m, order)
    from transformer_lens import HookedTransformer, HookedTransformerConfig  # noqa: E402
    cfg = HookedTransformerConfig(n_layers=1, n_heads=H, d_model=d, d_head=dh, d_mlp=m, act_fn='relu',
                                  normalization_type=None, d_vocab=p + 1, d_vocab_out=p, n_ctx=3,
                                  init_weights=True, device='cpu', seed=seed)
    model = HookedTransformer(cfg)
    sd = model.state_dict()
    out = {name: sd[name].detach().to(torch.float32).contiguous() for name, _ in state_dict_shapes(p, d, H, dh, m)}
    return out, 'transformer_lens.HookedTransformer'


try:
    import transformer_lens  # noqa: F401
    make_init = init_transformer_lens
except ImportError:
    make_init = init_direct

# (p, seed, d_model, n_heads, d_head, d_mlp): the researcher's two p=113/p=101 models with the
# default dimensions, plus two small shapes whose tensors exercise every path of normal_
# (fewer than 16 elements, and sizes that are not a multiple of 16).
for p, seed, d, H, dh, m, order in [(113, 999, 128, 4, 32, 512, 'tl2'), (101, 999, 128, 4, 32, 512, 'tl2'),
                                    (7, 3, 12, 2, 5, 20, 'tl2'), (3, 5, 4, 1, 3, 6, 'tl2'),
                                    (7, 3, 12, 2, 5, 20, 'tl1')]:
    tensors, how = make_init(p, seed, d, H, dh, m, order)
    meta = {'p': str(p), 'seed': str(seed), 'd_model': str(d), 'n_heads': str(H), 'd_head': str(dh),
            'd_mlp': str(m), 'init_order': order, 'init': how, 'torch_version': ABOUT['torch_version'],
            'cpu_capability': ABOUT['cpu_capability']}
    suffix = '' if order == 'tl2' else f'-{order}'
    write_safetensors(os.path.join(OUT, f'init-p{p}-s{seed}-d{d}{suffix}.safetensors'), tensors, meta)


# ---- a miniature MIScope variant folder ----------------------------------------------------------
# The researcher's workbench (MIScope) trains with this loop: train loss, backward, optimiser step,
# then the test loss, then (at the listed epochs) a checkpoint of the state dict, buffers included.
# This writes a tiny variant folder the same way (the model written out in torch, the layout and
# JSON files as MIScope writes them), so the import test can check grokbench's epoch labels and
# its evaluation of the checkpoints against losses PyTorch recorded.
def tl_forward(sd, tokens, n_heads, d_head):
    x = sd['embed.W_E'][tokens] + sd['pos_embed.W_pos'][None]
    q = torch.einsum('bpd,hde->bphe', x, sd['blocks.0.attn.W_Q']) + sd['blocks.0.attn.b_Q']
    k = torch.einsum('bpd,hde->bphe', x, sd['blocks.0.attn.W_K']) + sd['blocks.0.attn.b_K']
    v = torch.einsum('bpd,hde->bphe', x, sd['blocks.0.attn.W_V']) + sd['blocks.0.attn.b_V']
    scores = torch.einsum('bqhe,bkhe->bhqk', q, k) / math.sqrt(d_head)
    scores = torch.where(sd['blocks.0.attn.mask'][None, None], scores, sd['blocks.0.attn.IGNORE'])
    pattern = scores.softmax(dim=-1)
    z = torch.einsum('bhqk,bkhe->bqhe', pattern, v)
    x = x + torch.einsum('bqhe,hed->bqd', z, sd['blocks.0.attn.W_O']) + sd['blocks.0.attn.b_O']
    post = torch.relu(x @ sd['blocks.0.mlp.W_in'] + sd['blocks.0.mlp.b_in'])
    x = x + post @ sd['blocks.0.mlp.W_out'] + sd['blocks.0.mlp.b_out']
    return x @ sd['unembed.W_U'] + sd['unembed.b_U']


def miscope_mini(root, p=11, seed=999, data_seed=598, frac=0.3, d=16, H=2, dh=8, m=32, num_epochs=40,
                 checkpoint_epochs=(0, 1, 5, 10, 20, 39)):
    name = f'modulo_addition_1layer_p{p}_seed{seed}_dseed{data_seed}'
    vdir = os.path.join(root, name)
    os.makedirs(os.path.join(vdir, 'checkpoints'), exist_ok=True)
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    dataset = torch.stack([a, b, torch.full_like(a, p)], dim=1)
    labels = (dataset[:, 0] + dataset[:, 1]) % p
    torch.manual_seed(data_seed)
    indices = torch.randperm(p * p)
    cutoff = int(p * p * frac)
    train_idx, test_idx = indices[:cutoff], indices[cutoff:]
    init, _ = init_direct(p, seed, d, H, dh, m)
    params = {k: torch.nn.Parameter(v.clone(), requires_grad='W_' in k) for k, v in init.items()}
    buffers = {'blocks.0.attn.mask': torch.tril(torch.ones(3, 3, dtype=torch.bool)),
               'blocks.0.attn.IGNORE': torch.tensor(-1e5, dtype=torch.float32)}
    opt = torch.optim.AdamW([q for q in params.values() if q.requires_grad], lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))

    def loss_fn(logits, lab):
        lp = logits[:, -1].to(torch.float64).log_softmax(dim=-1)
        return -lp.gather(dim=-1, index=lab[:, None])[:, 0].mean()

    train_losses, test_losses, saved = [], [], []
    for epoch in range(num_epochs):
        sd = {**params, **buffers}
        train_loss = loss_fn(tl_forward(sd, dataset[train_idx], H, dh), labels[train_idx])
        train_loss.backward()
        train_losses.append(train_loss.item())
        opt.step()
        opt.zero_grad()
        with torch.inference_mode():
            test_losses.append(loss_fn(tl_forward(sd, dataset[test_idx], H, dh), labels[test_idx]).item())
        if epoch in checkpoint_epochs:
            write_safetensors(os.path.join(vdir, 'checkpoints', f'checkpoint_epoch_{epoch:05d}.safetensors'),
                             {**{k: v.detach() for k, v in params.items()}, **buffers})
            saved.append(epoch)
    with open(os.path.join(vdir, 'config.json'), 'w') as fh:
        json.dump({'n_layers': 1, 'n_heads': H, 'd_model': d, 'd_head': dh, 'd_mlp': m, 'act_fn': 'relu',
                   'normalization_type': None, 'd_vocab': p + 1, 'd_vocab_out': p, 'n_ctx': 3, 'seed': seed,
                   'prime': p, 'model_seed': seed, 'data_seed': data_seed, 'training_fraction': frac}, fh, indent=2)
    with open(os.path.join(vdir, 'metadata.json'), 'w') as fh:
        json.dump({'train_losses': train_losses, 'test_losses': test_losses, 'train_indices': train_idx.tolist(),
                   'test_indices': test_idx.tolist(), 'checkpoint_epochs': saved, 'num_epochs': num_epochs}, fh)


miscope_mini(os.path.join(OUT, 'miscope'))

print(f'wrote fixtures to {os.path.normpath(OUT)}')
