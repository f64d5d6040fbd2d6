#!/usr/bin/python3
"""export_fixtures: the ONNX models of SimdRnn.Onnx's tests, exported by torch.onnx.export (Debian's python3-torch,
python3-onnx), with PyTorch's outputs on fixed inputs stored beside each model.

usage: /usr/bin/python3 export_fixtures.py [--out DIR]   (DIR defaults to this script's folder)

Per model NAME, into DIR:
  NAME.onnx          torch.nn.LSTM / GRU / RNN (tanh, relu), opset 14, constant folding (weights become initializers),
                     fixed shapes; graph inputs x (T, N, I), h0 (L*D, N, H), for LSTM c0; outputs y (T, N, D*H), hT, cT
  NAME.io.safetensors  float32 tensors x, h0, (c0), the PyTorch state_dict (its own names), and PyTorch's outputs y,
                     hT, (cT) on those inputs: the expected values of the tests (no ONNX Runtime needed to read them)
Weights: PyTorch's default init with a fixed seed per model; inputs uniform in [-1, 1) from the same generator.
Each model passes onnx.checker. Regenerating with the same torch gives the same files.
"""
import argparse
import json
import os
import struct
import sys
import warnings

import onnx
import torch

# name: (module class, nonlinearity or None, I, H, layers, bidirectional, T, N)
MODELS = {
    "lstm": (torch.nn.LSTM, None, 3, 4, 1, False, 5, 2),
    "gru": (torch.nn.GRU, None, 3, 4, 1, False, 5, 2),
    "rnn_tanh": (torch.nn.RNN, "tanh", 3, 4, 1, False, 5, 2),
    "rnn_relu": (torch.nn.RNN, "relu", 3, 4, 1, False, 5, 2),
    "lstm_bidirectional": (torch.nn.LSTM, None, 3, 4, 1, True, 5, 2),
    "gru_bidirectional": (torch.nn.GRU, None, 3, 4, 1, True, 4, 3),
    "lstm_2layers": (torch.nn.LSTM, None, 3, 4, 2, False, 5, 2),
    "gru_2layers_bidirectional": (torch.nn.GRU, None, 2, 3, 2, True, 4, 2),
}


class WithCell(torch.nn.Module):
    """The LSTM with its state as separate graph inputs and outputs (x, h0, c0 -> y, hT, cT)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x, h0, c0):
        y, (h, c) = self.rnn(x, (h0, c0))
        return y, h, c


class WithoutCell(WithCell):
    def forward(self, x, h0):
        return self.rnn(x, h0)


def write_safetensors(path, tensors):
    """float32 tensors only, in name order (the format: u64 header length, JSON header, data)."""
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def export(name, spec, out, seed):
    cls, nonlinearity, i, h, layers, bidirectional, t, n = spec
    torch.manual_seed(seed)
    kwargs = {"nonlinearity": nonlinearity} if nonlinearity else {}
    rnn = cls(i, h, num_layers=layers, bidirectional=bidirectional, **kwargs).eval()
    d = 2 if bidirectional else 1
    x = torch.rand(t, n, i) * 2 - 1
    h0 = torch.rand(layers * d, n, h) * 2 - 1
    lstm = cls is torch.nn.LSTM
    if lstm:
        c0 = torch.rand(layers * d, n, h) * 2 - 1
        model, args = WithCell(rnn), (x, h0, c0)
    else:
        model, args = WithoutCell(rnn), (x, h0)
    with torch.no_grad():
        outputs = model(*args)
    path = os.path.join(out, f"{name}.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on batch sizes and constants
        torch.onnx.export(model, args, path, opset_version=14, do_constant_folding=True,
                          input_names=["x", "h0", "c0"][:len(args)], output_names=["y", "hT", "cT"][:len(args)])
    onnx.checker.check_model(onnx.load(path))
    tensors = dict(rnn.state_dict())
    tensors.update(zip(["x", "h0", "c0"], args))
    tensors.update(zip(["y", "hT", "cT"], outputs))
    write_safetensors(os.path.join(out, f"{name}.io.safetensors"), tensors)
    print(f"export_fixtures: {name}: I={i} H={h} layers={layers} D={d} T={t} N={n} -> {path} "
          f"({os.path.getsize(path)} bytes)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description="exports the ONNX fixtures of tests/SimdRnn.Onnx.Tests")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for seed, (name, spec) in enumerate(MODELS.items(), start=20261126):
        export(name, spec, args.out, seed)


if __name__ == "__main__":
    main()
