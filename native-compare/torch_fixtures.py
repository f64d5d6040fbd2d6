#!/usr/bin/python3
"""Write PyTorch agreement fixtures for SimdRnn's RNN / LSTM / GRU layers.

Run with Debian's python3 and python3-torch (1.13), from the repository root:

    /usr/bin/python3 native-compare/torch_fixtures.py

It (re)writes one JSON file per case under tests/SimdRnn.Tests/Fixtures/Torch/<case>.json.
The output is deterministic: a rerun writes the same bytes (fixed per-case seeds, one
thread, float64 throughout, values printed with repr()).

What a case holds
-----------------
A torch.nn.LSTM / GRU / RNN (tanh or relu), time-major unless the case says batch_first, computed
in float64. A case may set options (written to the file only when not PyTorch's default):
  "bias": false          the module has bias=False (no bias tensors at all)
  "batch_first": true    x, y, dy and grad.x are N x T x ... (the states stay (layers*D) x N x H)
  "proj_size": P         an LSTM with a projection (0 < P < H): y is T x N x (D*P), h0 / hT / dhT / grad.h0 are
                         (layers*D) x N x P (c0 / cT stay ... x H), weight_hh is 4H x P, layers above the first
                         take D*P inputs, and weight_hr_l{k}[_reverse] (P x H) follows each direction's tensors
  "lengths": [n, ...]    a packed batch: x goes through pack_padded_sequence(x, lengths, enforce_sorted=False)
                         and y back through pad_packed_sequence(total_length=T): y is 0 at padded positions,
                         hT / cT are each row's state after its own last step (batch order), grad.x is 0 there
  "dropout": p, "dropout_seed": s   dropout between layers with a FIXED mask: PyTorch's RNG cannot be
                         matched, so the layers run as single-layer modules and each inner layer's output
                         is multiplied by SimdRnn's mask (keep(s, layer, t, row, unit) below) / (1 - p); with
                         lengths each layer runs packed and row is the batch row, not its packed place.
Every INPUT (x, h0, c0, each parameter, dy, dhT, dcT) is drawn in float64 and then
rounded to float32 precision (t.float().double()), so that a float32 implementation can be
given exactly the same values:
  parameters  uniform(-0.5, 0.5)      x, h0, c0, dy, dhT, dcT  uniform(-1, 1)
The loss is L = sum(y*dy) + sum(hT*dhT) [+ sum(cT*dcT) for LSTM]; after L.backward() the
gradient of every input and parameter is recorded (float64, not float32-representable).

File format
-----------
{
  "cell": "lstm" | "gru" | "rnn_tanh" | "rnn_relu",
  "T": int, "N": int, "I": int, "H": int, "layers": int, "bidirectional": bool,
  "torch_version": str,
  "tensors": { name: {"shape": [d0, d1, ...], "data": [row-major float64 values]} }
}
Tensor names (D = 2 if bidirectional else 1, G = 4 LSTM, 3 GRU, 1 RNN):
  x  T x N x I            h0, hT, dhT, grad.h0   (layers*D) x N x H
  y, dy  T x N x (D*H)    c0, cT, dcT, grad.c0   (LSTM only, same shape as h0)
  grad.x  T x N x I
  every parameter by its state_dict name, and its gradient as "grad.<name>":
    weight_ih_l{k}[_reverse]  G*H x (I if k == 0 else D*H)
    weight_hh_l{k}[_reverse]  G*H x H
    bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse]  G*H
Conventions (PyTorch's): gate rows in the order i, f, g, o (LSTM) and r, z, n (GRU, with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn))); y of a bidirectional layer concatenates the
forward and the reverse direction along the last axis; the first axis of h0 / hT / c0 / cT is
ordered layer-major: l0 forward, l0 reverse, l1 forward, l1 reverse, ...
"""

import json
import math
import os
import sys
import zlib

import torch

# (case name, cell, T, N, I, H, layers, bidirectional[, options])
CASES = [
    ("lstm", "lstm", 5, 3, 7, 5, 1, False),
    ("gru", "gru", 4, 2, 6, 9, 1, False),
    ("rnn_tanh", "rnn_tanh", 6, 3, 5, 4, 1, False),
    ("rnn_relu", "rnn_relu", 3, 2, 4, 6, 1, False),
    ("lstm_2layer", "lstm", 3, 2, 5, 3, 2, False),
    ("lstm_bidir", "lstm", 4, 2, 3, 5, 1, True),
    ("gru_bidir_2layer", "gru", 3, 2, 4, 3, 2, True),
    ("rnn_tanh_bidir", "rnn_tanh", 3, 1, 2, 3, 1, True),
    ("lstm_nobias", "lstm", 4, 2, 3, 5, 1, False, {"bias": False}),
    ("lstm_nobias_bidir_2layer", "lstm", 3, 2, 4, 3, 2, True, {"bias": False}),
    ("gru_nobias_bidir_2layer", "gru", 3, 2, 4, 3, 2, True, {"bias": False}),
    ("rnn_tanh_nobias_2layer", "rnn_tanh", 4, 3, 3, 4, 2, False, {"bias": False}),
    ("rnn_relu_nobias_bidir", "rnn_relu", 3, 2, 5, 3, 1, True, {"bias": False}),
    ("lstm_batch_first_bidir_2layer", "lstm", 4, 3, 3, 4, 2, True, {"batch_first": True}),
    ("gru_batch_first", "gru", 5, 2, 4, 3, 1, False, {"batch_first": True}),
    ("rnn_relu_batch_first_nobias_2layer", "rnn_relu", 3, 4, 2, 5, 2, False, {"bias": False, "batch_first": True}),
    ("rnn_tanh_batch_first_bidir", "rnn_tanh", 6, 2, 3, 2, 1, True, {"batch_first": True}),
    ("lstm_packed_2layer", "lstm", 5, 5, 4, 3, 2, False, {"lengths": [3, 5, 1, 5, 2]}),
    ("lstm_packed_bidir_2layer", "lstm", 5, 4, 3, 4, 2, True, {"lengths": [2, 5, 1, 4]}),
    ("gru_packed_2layer", "gru", 4, 3, 5, 3, 2, False, {"lengths": [2, 4, 3]}),
    ("gru_packed_bidir_2layer", "gru", 5, 4, 3, 4, 2, True, {"lengths": [4, 1, 5, 3]}),
    ("rnn_tanh_packed_bidir", "rnn_tanh", 4, 3, 2, 3, 1, True, {"lengths": [1, 4, 2]}),
    ("lstm_dropout_mask_bidir_3layer", "lstm", 4, 3, 3, 4, 3, True, {"dropout": 0.4, "dropout_seed": 12345}),
    ("gru_dropout_mask_nobias_2layer", "gru", 5, 2, 4, 3, 2, False, {"bias": False, "dropout": 0.3, "dropout_seed": 987654321}),
    ("rnn_relu_dropout_mask_2layer", "rnn_relu", 3, 4, 2, 5, 2, False, {"dropout": 0.5, "dropout_seed": 7}),
    ("lstm_packed_dropout_mask_bidir_3layer", "lstm", 5, 4, 3, 4, 3, True,
     {"lengths": [2, 5, 1, 4], "dropout": 0.4, "dropout_seed": 424242}),
    ("gru_packed_batch_first_dropout_mask_2layer", "gru", 4, 5, 3, 3, 2, False,
     {"batch_first": True, "lengths": [3, 1, 4, 4, 2], "dropout": 0.5, "dropout_seed": 31337}),
    ("lstm_proj_2layer", "lstm", 4, 3, 3, 5, 2, False, {"proj_size": 2}),
    ("lstm_proj_bidir_2layer", "lstm", 3, 2, 4, 5, 2, True, {"proj_size": 3}),
    ("lstm_proj_packed_bidir_nobias", "lstm", 4, 3, 2, 4, 1, True, {"proj_size": 1, "bias": False, "lengths": [2, 4, 1]}),
]

M32, M64 = (1 << 32) - 1, (1 << 64) - 1


def splitmix64(z):
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def fmix32(h):
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    return h ^ (h >> 16)


def keep(seed, layer, t, row, unit, p):
    """SimdRnn's dropout mask (src/SimdRnn.Reference/ReferenceDropout.cs): True = kept."""
    k = splitmix64((seed + 0x9E3779B97F4A7C15 * (layer + 1)) & M64)
    k = splitmix64((k + t) & M64)
    k = splitmix64((k + row) & M64)
    key = (k ^ (k >> 32)) & M32
    h = fmix32((key + unit * 0x9E3779B9) & M32)
    p32 = float(torch.tensor(p, dtype=torch.float32))
    return h >= math.floor(p32 * 4294967296.0)


def dropout_factors(seed, layer, T, N, W, p):
    """T x N x W: 0 or 1 / (1 - p), with p rounded to float32 as SimdRnn takes it."""
    p32 = float(torch.tensor(p, dtype=torch.float32))
    scale = 1.0 / (1.0 - p32)
    return torch.tensor([[[scale if keep(seed, layer, t, n, u, p) else 0.0 for u in range(W)]
                          for n in range(N)] for t in range(T)], dtype=torch.float64)

BASE_SEED = 20240611  # per case: BASE_SEED + crc32(case name), stable under reordering

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "tests", "SimdRnn.Tests", "Fixtures", "Torch")


def f32(t):
    """Round a float64 tensor to float32 precision (kept as float64)."""
    return t.float().double()


def uniform(gen, shape, lo, hi):
    return f32(torch.rand(shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo)


def build(cell, I, H, layers, bidir, bias=True, batch_first=False, proj_size=0):
    if cell == "lstm":
        return torch.nn.LSTM(I, H, num_layers=layers, bidirectional=bidir, bias=bias, batch_first=batch_first,
                             proj_size=proj_size)
    if cell == "gru":
        return torch.nn.GRU(I, H, num_layers=layers, bidirectional=bidir, bias=bias, batch_first=batch_first)
    nonlinearity = {"rnn_tanh": "tanh", "rnn_relu": "relu"}[cell]
    return torch.nn.RNN(I, H, num_layers=layers, nonlinearity=nonlinearity,
                        bidirectional=bidir, bias=bias, batch_first=batch_first)


def run_with_fixed_dropout(module, cell, I, H, layers, bidir, bias, batch_first, lengths, x, h0, c0, p, seed):
    """module's maths layer by layer (single-layer modules sharing its parameters), SimdRnn's mask between layers.

    With lengths every layer runs on the packed sequence (enforce_sorted=False) and its padded output is masked: the
    mask of element (t, n, u) is keyed on the batch row n, whatever place the packing gives the row."""
    D = 2 if bidir else 1
    T, N = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
    weights = dict(module.named_parameters())
    inp, hTs, cTs = x, [], []
    for layer in range(layers):
        single = build(cell, I if layer == 0 else D * H, H, 1, bidir, bias, batch_first).double()
        # The single-layer module's parameters ARE the big module's (views), so autograd reaches them.
        for pname in [n for n, _ in single.named_parameters()]:
            delattr(single, pname)
            setattr(single, pname, weights[pname.replace("_l0", "_l%d" % layer)])
        states = slice(layer * D, (layer + 1) * D)
        packed = inp if lengths is None else torch.nn.utils.rnn.pack_padded_sequence(
            inp, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
        if cell == "lstm":
            out, (hT, cT) = single(packed, (h0[states], c0[states]))
            cTs.append(cT)
        else:
            out, hT = single(packed, h0[states])
        if lengths is not None:
            out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first, total_length=T)
        hTs.append(hT)
        if layer < layers - 1:
            factors = dropout_factors(seed, layer, T, N, D * H, p)
            inp = out * (factors.transpose(0, 1) if batch_first else factors)
        else:
            inp = out
    return inp, torch.cat(hTs), torch.cat(cTs) if cell == "lstm" else None


def make_case(name, cell, T, N, I, H, layers, bidir, options):
    gen = torch.Generator().manual_seed(BASE_SEED + zlib.crc32(name.encode("ascii")))
    D = 2 if bidir else 1
    bias = options.get("bias", True)
    batch_first = options.get("batch_first", False)
    dropout = options.get("dropout", 0.0)
    proj_size = options.get("proj_size", 0)
    module = build(cell, I, H, layers, bidir, bias, batch_first, proj_size).double()
    params = list(module.named_parameters())
    with torch.no_grad():
        for _, p in params:
            p.copy_(uniform(gen, tuple(p.shape), -0.5, 0.5))

    def sequence(width):
        return (N, T, width) if batch_first else (T, N, width)

    S = proj_size if proj_size > 0 else H  # the width of h and of a direction's output
    state_shape, cell_shape = (layers * D, N, S), (layers * D, N, H)
    x = uniform(gen, sequence(I), -1.0, 1.0).requires_grad_()
    h0 = uniform(gen, state_shape, -1.0, 1.0).requires_grad_()
    is_lstm = cell == "lstm"
    c0 = uniform(gen, cell_shape, -1.0, 1.0).requires_grad_() if is_lstm else None
    dy = uniform(gen, sequence(D * S), -1.0, 1.0)
    dhT = uniform(gen, state_shape, -1.0, 1.0)
    dcT = uniform(gen, cell_shape, -1.0, 1.0) if is_lstm else None

    if dropout > 0:
        y, hT, cT = run_with_fixed_dropout(module, cell, I, H, layers, bidir, bias, batch_first, options.get("lengths"),
                                           x, h0, c0, dropout, options["dropout_seed"])
    else:
        lengths = options.get("lengths")
        inputs = x if lengths is None else torch.nn.utils.rnn.pack_padded_sequence(
            x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
        if is_lstm:
            y, (hT, cT) = module(inputs, (h0, c0))
        else:
            y, hT = module(inputs, h0)
            cT = None
        if lengths is not None:
            y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, batch_first=batch_first, total_length=T)
    loss = (y * dy).sum() + (hT * dhT).sum()
    if is_lstm:
        loss = loss + (cT * dcT).sum()
    loss.backward()

    tensors = {}  # insertion order = file order

    def put(key, t):
        t = t.detach()
        assert t.dtype == torch.float64, (key, t.dtype)
        tensors[key] = t

    put("x", x)
    put("h0", h0)
    if is_lstm:
        put("c0", c0)
    for pname, p in params:
        put(pname, p)
    put("y", y)
    put("hT", hT)
    if is_lstm:
        put("cT", cT)
    put("dy", dy)
    put("dhT", dhT)
    if is_lstm:
        put("dcT", dcT)
    put("grad.x", x.grad)
    put("grad.h0", h0.grad)
    if is_lstm:
        put("grad.c0", c0.grad)
    for pname, p in params:
        put("grad." + pname, p.grad)
    return tensors


def fmt_tensor(t):
    shape = ",".join(str(d) for d in t.shape)
    data = ",".join(repr(float(v)) for v in t.reshape(-1).tolist())
    return '{"shape":[%s],"data":[%s]}' % (shape, data)


def write_case(path, cell, T, N, I, H, layers, bidir, options, tensors):
    head = [
        '"cell":%s' % json.dumps(cell),
        '"T":%d' % T, '"N":%d' % N, '"I":%d' % I, '"H":%d' % H,
        '"layers":%d' % layers,
        '"bidirectional":%s' % ("true" if bidir else "false"),
    ]
    head += ['%s:%s' % (json.dumps(key), json.dumps(value)) for key, value in options.items()]
    head.append('"torch_version":%s' % json.dumps(torch.__version__))
    lines = ["{"]
    lines += ["  " + h + "," for h in head]
    lines.append('  "tensors":{')
    items = list(tensors.items())
    for k, (key, t) in enumerate(items):
        sep = "," if k + 1 < len(items) else ""
        lines.append("    %s:%s%s" % (json.dumps(key), fmt_tensor(t), sep))
    lines.append("  }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # sanity: the file is valid JSON
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)


def main():
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, cell, T, N, I, H, layers, bidir, *rest in CASES:
        options = rest[0] if rest else {}
        tensors = make_case(name, cell, T, N, I, H, layers, bidir, options)
        path = os.path.join(OUT_DIR, name + ".json")
        write_case(path, cell, T, N, I, H, layers, bidir, options, tensors)
        print("%-18s %2d tensors  %s" % (name, len(tensors), os.path.relpath(path, REPO)))
    print("torch", torch.__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
