"""PyTorch baseline for `npm run bench`: the same model and optimiser as grokbench's default run
(docs/design.md §1), written the way the researcher's workbench runs it (TransformerLens-style plain
three-position model, full-batch AdamW, test evaluation every epoch), on the CPU.

With MODEL = tables, the fair baseline instead: grokbench's own algorithm (per-token tables, only
the last position reaches the loss: per sample a softmax over 3 scores and a weighted sum of table
rows, then the MLP and the unembedding), with autograd.

Usage: MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 /usr/bin/python3 bench/torch_baseline.py EPOCHS [THREADS] [faithful|tables]
(npm run bench sets those glibc variables: they keep freed memory in the process instead of
unmapping it, which on this VM saves hundreds of ms of page faults per epoch.)
Prints one JSON line: {"ms_per_epoch": ..., "epochs": ..., "torch": ..., "threads": ...}.
"""
import json, math, sys, time
import torch

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
torch.set_num_threads(threads)  # fastest here: 1 torch thread, OpenBLAS keeps its own (docs/design.md §8)
torch.manual_seed(999)
p, d, H, dh, m = 113, 128, 4, 32, 512
std = 0.8 / math.sqrt(d)

def W(*shape):
    return torch.nn.Parameter(torch.randn(*shape) * std)

params = dict(W_E=W(p + 1, d), W_pos=W(3, d), W_Q=W(H, d, dh), W_K=W(H, d, dh), W_V=W(H, d, dh),
              W_O=W(H, dh, d), W_in=W(d, m), W_out=W(m, d), W_U=W(d, p))
zeros = dict(b_Q=torch.zeros(H, dh), b_K=torch.zeros(H, dh), b_V=torch.zeros(H, dh), b_O=torch.zeros(d),
             b_in=torch.zeros(m), b_out=torch.zeros(d), b_U=torch.zeros(p))
mask = torch.tril(torch.ones(3, 3, dtype=torch.bool))

def model(tokens):
    # The plain three-position model with matmuls on flattened heads (faster than einsum here).
    P = params; Z = zeros
    N = tokens.shape[0]
    x = P['W_E'][tokens] + P['W_pos']                                  # [N, 3, d]
    def heads(W, b):                                                   # [H, d, dh] -> [N, H, 3, dh]
        return (x @ W.permute(1, 0, 2).reshape(d, H * dh) + b.reshape(H * dh)).view(N, 3, H, dh).transpose(1, 2)
    q, k, v = heads(P['W_Q'], Z['b_Q']), heads(P['W_K'], Z['b_K']), heads(P['W_V'], Z['b_V'])
    s = (q @ k.transpose(-1, -2)) / math.sqrt(dh)                      # [N, H, 3, 3]
    s = s.masked_fill(~mask, float('-inf'))
    z = s.softmax(-1) @ v                                              # [N, H, 3, dh]
    x = x + z.transpose(1, 2).reshape(N, 3, H * dh) @ P['W_O'].reshape(H * dh, d) + Z['b_O']
    x = x + torch.relu(x @ P['W_in'] + Z['b_in']) @ P['W_out'] + Z['b_out']
    return (x @ P['W_U'] + Z['b_U'])[:, -1]

def tables_model(tokens):
    # Per-token tables: rows [a-tokens (p) | b-tokens (p) | "=" (1)] of W_E + W_pos; keys, values,
    # the "=" query and the scores per head; per sample the attention over the 3 positions of the
    # last one, as a weighted sum of value·W_O rows.
    P = params; Z = zeros
    N = tokens.shape[0]
    R = 2 * p + 1
    X = torch.cat([P['W_E'][:p] + P['W_pos'][0], P['W_E'][:p] + P['W_pos'][1], (P['W_E'][p] + P['W_pos'][2]).unsqueeze(0)])  # [R, d]
    x2 = X[2 * p]
    q = torch.einsum('d,hde->he', x2, P['W_Q']) + Z['b_Q']                        # [H, dh]
    K = torch.einsum('rd,hde->hre', X, P['W_K']) + Z['b_K'].unsqueeze(1)          # [H, R, dh]
    V = torch.einsum('rd,hde->hre', X, P['W_V']) + Z['b_V'].unsqueeze(1)
    S = torch.einsum('hre,he->hr', K, q) / math.sqrt(dh)                          # [H, R]
    O = torch.einsum('hre,hed->hrd', V, P['W_O'])                                 # [H, R, d]
    idx = torch.stack([tokens[:, 0], p + tokens[:, 1], torch.full_like(tokens[:, 0], 2 * p)], 1)  # [N, 3]
    w = S[:, idx].softmax(-1)                                                     # [H, N, 3]
    attn = torch.einsum('hnj,hnjd->nd', w, O[:, idx])                             # [N, d]
    x = x2 + attn + Z['b_O']
    x = x + torch.relu(x @ P['W_in'] + Z['b_in']) @ P['W_out'] + Z['b_out']
    return x @ P['W_U'] + Z['b_U']

mode = sys.argv[3] if len(sys.argv) > 3 else 'faithful'
if mode == 'tables':
    model = tables_model

pairs = torch.tensor([(i // p, i % p, p) for i in range(p * p)])
labels = (pairs[:, 0] + pairs[:, 1]) % p
g = torch.Generator().manual_seed(598)
perm = torch.randperm(p * p, generator=g)
n_train = int(p * p * 0.3)
tr, te = perm[:n_train], perm[n_train:]
opt = torch.optim.AdamW(list(params.values()), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))

def loss_fn(logits, y):
    return torch.nn.functional.cross_entropy(logits.to(torch.float64), y)

def epoch():
    loss = loss_fn(model(pairs[tr]), labels[tr])
    loss.backward()
    opt.step(); opt.zero_grad()
    with torch.inference_mode():
        # In chunks: this VM pays dearly for page faults, and glibc returns allocations above
        # 32 MB to the OS every time; chunks keep every tensor below that (PyTorch's fastest here).
        logits = torch.cat([model(pairs[te[i:i + 3000]]) for i in range(0, len(te), 3000)])
        loss_fn(logits, labels[te]).item()
        (logits.argmax(-1) == labels[te]).float().mean().item()

for _ in range(3):
    epoch()
t, c = time.perf_counter(), time.process_time()
for _ in range(epochs):
    epoch()
ms = (time.perf_counter() - t) * 1000 / epochs
cpu_ms = (time.process_time() - c) * 1000 / epochs
print(json.dumps({"ms_per_epoch": ms, "cpu_ms_per_epoch": cpu_ms, "epochs": epochs, "torch": torch.__version__, "threads": threads, "model": mode}))
