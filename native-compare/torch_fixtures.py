#!/usr/bin/python3
"""Write PyTorch agreement fixtures for SimdRnn's RNN / LSTM / GRU layers.

Run with Debian's python3 and python3-torch (1.13), from the repository root:

    /usr/bin/python3 native-compare/torch_fixtures.py

It (re)writes one JSON file per case under tests/SimdRnn.Tests/Fixtures/Torch/<case>.json.
The output is deterministic: a rerun writes the same bytes (fixed per-case seeds, one
thread, float64 throughout, values printed with repr()).

What a case holds
-----------------
A torch.nn.LSTM / GRU / RNN (tanh or relu) with batch_first=False (time-major), computed in
float64. Every INPUT (x, h0, c0, each parameter, dy, dhT, dcT) is drawn in float64 and then
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
  "lengths": [int, ...],   (packed cases only: one length per batch row, in any order)
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

Packed cases (with "lengths") run x through pack_padded_sequence(x, lengths, enforce_sorted=False)
and y back through pad_packed_sequence(total_length=T): y is 0 at padded positions, hT / cT are
each row's state after its own last step (in batch order), and the gradient of x is 0 there.
"""

import json
import os
import sys
import zlib

import torch

# (case name, cell, T, N, I, H, layers, bidirectional[, lengths: packed, unsorted])
CASES = [
    ("lstm", "lstm", 5, 3, 7, 5, 1, False),
    ("gru", "gru", 4, 2, 6, 9, 1, False),
    ("rnn_tanh", "rnn_tanh", 6, 3, 5, 4, 1, False),
    ("rnn_relu", "rnn_relu", 3, 2, 4, 6, 1, False),
    ("lstm_2layer", "lstm", 3, 2, 5, 3, 2, False),
    ("lstm_bidir", "lstm", 4, 2, 3, 5, 1, True),
    ("gru_bidir_2layer", "gru", 3, 2, 4, 3, 2, True),
    ("rnn_tanh_bidir", "rnn_tanh", 3, 1, 2, 3, 1, True),
    ("lstm_packed_2layer", "lstm", 5, 5, 4, 3, 2, False, [3, 5, 1, 5, 2]),
    ("lstm_packed_bidir_2layer", "lstm", 5, 4, 3, 4, 2, True, [2, 5, 1, 4]),
    ("gru_packed_2layer", "gru", 4, 3, 5, 3, 2, False, [2, 4, 3]),
    ("gru_packed_bidir_2layer", "gru", 5, 4, 3, 4, 2, True, [4, 1, 5, 3]),
    ("rnn_tanh_packed_bidir", "rnn_tanh", 4, 3, 2, 3, 1, True, [1, 4, 2]),
]

BASE_SEED = 20240611  # per case: BASE_SEED + crc32(case name), stable under reordering

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "tests", "SimdRnn.Tests", "Fixtures", "Torch")


def f32(t):
    """Round a float64 tensor to float32 precision (kept as float64)."""
    return t.float().double()


def uniform(gen, shape, lo, hi):
    return f32(torch.rand(shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo)


def build(cell, I, H, layers, bidir):
    if cell == "lstm":
        return torch.nn.LSTM(I, H, num_layers=layers, bidirectional=bidir, batch_first=False)
    if cell == "gru":
        return torch.nn.GRU(I, H, num_layers=layers, bidirectional=bidir, batch_first=False)
    nonlinearity = {"rnn_tanh": "tanh", "rnn_relu": "relu"}[cell]
    return torch.nn.RNN(I, H, num_layers=layers, nonlinearity=nonlinearity,
                        bidirectional=bidir, batch_first=False)


def make_case(name, cell, T, N, I, H, layers, bidir, lengths=None):
    gen = torch.Generator().manual_seed(BASE_SEED + zlib.crc32(name.encode("ascii")))
    D = 2 if bidir else 1
    module = build(cell, I, H, layers, bidir).double()
    params = list(module.named_parameters())
    with torch.no_grad():
        for _, p in params:
            p.copy_(uniform(gen, tuple(p.shape), -0.5, 0.5))

    state_shape = (layers * D, N, H)
    x = uniform(gen, (T, N, I), -1.0, 1.0).requires_grad_()
    h0 = uniform(gen, state_shape, -1.0, 1.0).requires_grad_()
    is_lstm = cell == "lstm"
    c0 = uniform(gen, state_shape, -1.0, 1.0).requires_grad_() if is_lstm else None
    dy = uniform(gen, (T, N, D * H), -1.0, 1.0)
    dhT = uniform(gen, state_shape, -1.0, 1.0)
    dcT = uniform(gen, state_shape, -1.0, 1.0) if is_lstm else None

    inputs = x
    if lengths is not None:
        inputs = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    if is_lstm:
        y, (hT, cT) = module(inputs, (h0, c0))
    else:
        y, hT = module(inputs, h0)
        cT = None
    if lengths is not None:
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, total_length=T)
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


def write_case(path, cell, T, N, I, H, layers, bidir, tensors, lengths=None):
    head = [
        '"cell":%s' % json.dumps(cell),
        '"T":%d' % T, '"N":%d' % N, '"I":%d' % I, '"H":%d' % H,
        '"layers":%d' % layers,
        '"bidirectional":%s' % ("true" if bidir else "false"),
        '"torch_version":%s' % json.dumps(torch.__version__),
    ]
    if lengths is not None:
        head.append('"lengths":[%s]' % ",".join(str(n) for n in lengths))
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
    for name, cell, T, N, I, H, layers, bidir, *packed in CASES:
        lengths = packed[0] if packed else None
        tensors = make_case(name, cell, T, N, I, H, layers, bidir, lengths)
        path = os.path.join(OUT_DIR, name + ".json")
        write_case(path, cell, T, N, I, H, layers, bidir, tensors, lengths)
        print("%-18s %2d tensors  %s" % (name, len(tensors), os.path.relpath(path, REPO)))
    print("torch", torch.__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
