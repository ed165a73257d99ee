"""What the PyTorch fixture scripts share (run with Debian's python3-torch, /usr/bin/python3).

- TransformerLens' state-dict order and shapes of the one-layer attention+MLP model;
- the order in which TransformerLens' named_parameters() yields the W_ tensors, i.e. draws them
  from the seeded generator: 'tl2' (TransformerLens >= 2, the researcher's) or 'tl1' (1.x);
- the dataset of all p^2 pairs [a, b, p] with labels (a+b) mod p, and the seeded split
  (torch.manual_seed(data_seed); torch.randperm(p*p); the first int(p*p*frac) train);
- a float32 safetensors writer (struct/json; no safetensors package needed).
"""
import json
import struct

import torch

DRAW_ORDER = {
    'tl2': ['embed.W_E', 'pos_embed.W_pos', 'blocks.0.attn.W_Q', 'blocks.0.attn.W_O', 'blocks.0.attn.W_K',
            'blocks.0.attn.W_V', 'blocks.0.mlp.W_in', 'blocks.0.mlp.W_out', 'unembed.W_U'],
    'tl1': ['embed.W_E', 'pos_embed.W_pos', 'blocks.0.attn.W_Q', 'blocks.0.attn.W_K', 'blocks.0.attn.W_V',
            'blocks.0.attn.W_O', 'blocks.0.mlp.W_in', 'blocks.0.mlp.W_out', 'unembed.W_U'],
}


def state_dict_shapes(p, d, H, dh, m):
    """TransformerLens' state-dict order and shapes of the one-layer attention+MLP model."""
    return [
        ('embed.W_E', [p + 1, d]), ('pos_embed.W_pos', [3, d]),
        ('blocks.0.attn.W_Q', [H, d, dh]), ('blocks.0.attn.W_K', [H, d, dh]),
        ('blocks.0.attn.W_V', [H, d, dh]), ('blocks.0.attn.W_O', [H, dh, d]),
        ('blocks.0.attn.b_Q', [H, dh]), ('blocks.0.attn.b_K', [H, dh]), ('blocks.0.attn.b_V', [H, dh]),
        ('blocks.0.attn.b_O', [d]),
        ('blocks.0.mlp.W_in', [d, m]), ('blocks.0.mlp.b_in', [m]),
        ('blocks.0.mlp.W_out', [m, d]), ('blocks.0.mlp.b_out', [d]),
        ('unembed.W_U', [d, p]), ('unembed.b_U', [p]),
    ]


def dataset(p, data_seed, frac):
    """(tokens [p², 3], labels [p²], train indices, test indices) with pair index a·p + b."""
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    tokens = torch.stack([a, b, torch.full_like(a, p)], dim=1)
    labels = (a + b) % p
    torch.manual_seed(data_seed)
    perm = torch.randperm(p * p)
    n_train = int(p * p * frac)
    return tokens, labels, perm[:n_train], perm[n_train:]


def write_safetensors(path, tensors, metadata=None):
    """float32 tensors as F32 and bool ones as BOOL (as safetensors.torch.save_file writes a
    TransformerLens state dict with its mask); no __metadata__ entry when metadata is None."""
    header = {} if metadata is None else {'__metadata__': metadata}
    chunks, off = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype == torch.bool:
            data, dtype = t.numpy().astype('u1').tobytes(), 'BOOL'
        else:
            data, dtype = t.numpy().astype('<f4').tobytes(), 'F32'
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [off, off + len(data)]}
        chunks.append(data)
        off += len(data)
    hb = json.dumps(header, separators=(',', ':')).encode()
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    with open(path, 'wb') as fh:
        fh.write(struct.pack('<Q', len(hb)) + hb + b''.join(chunks))
