#!/usr/bin/python3
"""export_onnx: exports one ONNX model per rnn problem of native-compare/problems.tsv for the ONNX Runtime harness
(onnxruntime_rnn/), with torch.onnx.export from Debian's python3-torch.

usage: export_onnx.py --out DIR --problem ID [ID ...] [--table PATH]

Per problem, into DIR:
  ID.onnx         torch.nn.LSTM or torch.nn.GRU (PyTorch's GRU is ONNX's linear_before_reset form) with the
                  problem's I and H, one layer, unidirectional, fp32, exported at opset 14 with fixed shapes:
                  inputs x (T, N, I), h0 (1, N, H) and for LSTM c0 (1, N, H); outputs y (T, N, H), hT, cT.
                  A gru-reset-first problem (ONNX's default GRU, linear_before_reset = 0, which PyTorch has no
                  layer for and torch.onnx.export cannot write) is built with onnx.helper instead: one GRU node
                  (the torch.nn.GRU's weights, gates reordered from PyTorch's r, z, n to ONNX's z, r, h) and a
                  Squeeze of its direction axis, the same inputs and outputs at opset 14.
                  ONNX's LSTM has no projection: problems with one (column P) are refused.
  ID.weights.f32  the same weights as raw little-endian float32, the state_dict's tensors one after the other
                  (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0: SimdRnn's RecurrentParameters.All layout),
                  so that the harness can check ORT's outputs against SimdRnn's on these weights
Weights: PyTorch's default init (uniform in [-1/sqrt(H), 1/sqrt(H))) with a fixed seed, as torch_rnn.py.
Each model is checked with onnx.checker (python3-onnx). Train problems can be exported too, as inference models.
Bad arguments: exit 2.
"""
import argparse
import os
import sys
import warnings

import numpy
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from torch_rnn import DEFAULT_TABLE, TableError, read_rnn_problems

CELLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "gru-reset-first": torch.nn.GRU}
OPSET = 14
STATE_NAMES = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


class Lstm(torch.nn.Module):
    """The layer with its state as separate inputs and outputs (the ONNX graph's x, h0, c0 -> y, hT, cT)."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x, h0, c0):
        y, (h, c) = self.rnn(x, (h0, c0))
        return y, h, c


class Gru(Lstm):
    def forward(self, x, h0):
        return self.rnn(x, h0)


def reset_first_gru_model(pid, rnn, t, n, i, h):
    """ONNX's GRU with linear_before_reset = 0 on the weights of rnn (a torch.nn.GRU): W (1, 3H, I), R (1, 3H, H) and
    B (1, 6H) = [Wb, Rb] in ONNX's gate order z, r, h; Y (T, 1, N, H) squeezed to y (T, N, H)."""
    def onnx_gates(tensor):  # PyTorch's r, z, n -> ONNX's z, r, h along the first axis
        r, z, candidate = tensor.detach().chunk(3)
        return torch.cat([z, r, candidate]).unsqueeze(0).numpy()

    weights = rnn.state_dict()
    initializers = [
        numpy_helper.from_array(onnx_gates(weights["weight_ih_l0"]), "W"),
        numpy_helper.from_array(onnx_gates(weights["weight_hh_l0"]), "R"),
        numpy_helper.from_array(numpy.concatenate([onnx_gates(weights["bias_ih_l0"]), onnx_gates(weights["bias_hh_l0"])], axis=1), "B"),
        numpy_helper.from_array(numpy.array([1], dtype=numpy.int64), "direction_axis"),
    ]
    nodes = [
        # Inputs X, W, R, B, sequence_lens (none), initial_h.
        helper.make_node("GRU", ["x", "W", "R", "B", "", "h0"], ["Y", "hT"], hidden_size=h, linear_before_reset=0),
        helper.make_node("Squeeze", ["Y", "direction_axis"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, pid,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [t, n, i]),
         helper.make_tensor_value_info("h0", TensorProto.FLOAT, [1, n, h])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [t, n, h]),
         helper.make_tensor_value_info("hT", TensorProto.FLOAT, [1, n, h])],
        initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="export_onnx.py")


def export(pid, problem, out):
    cell, i, h, _, n, t, _ = problem
    torch.manual_seed(20240229)
    rnn = CELLS[cell](i, h).eval()
    if list(rnn.state_dict()) != STATE_NAMES:
        raise RuntimeError(f"{pid}: unexpected state_dict names {list(rnn.state_dict())}")
    path = os.path.join(out, f"{pid}.onnx")
    if cell == "gru-reset-first":
        onnx.save(reset_first_gru_model(pid, rnn, t, n, i, h), path)
    else:
        x, state = torch.zeros(t, n, i), torch.zeros(1, n, h)
        lstm = cell == "lstm"
        model, args = (Lstm(rnn), (x, state, state)) if lstm else (Gru(rnn), (x, state))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's shape-inference notes on constants
            torch.onnx.export(model, args, path, opset_version=OPSET, do_constant_folding=True,
                              input_names=["x", "h0", "c0"][:len(args)], output_names=["y", "hT", "cT"][:len(args)])
    onnx.checker.check_model(onnx.load(path))
    weights = torch.cat([p.detach().reshape(-1) for p in rnn.state_dict().values()])
    weights.numpy().astype("<f4").tofile(os.path.join(out, f"{pid}.weights.f32"))
    print(f"export_onnx: {pid}: {cell} I={i} H={h} N={n} T={t} -> {path}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description="exports the ONNX models of the onnxruntime harness")
    ap.add_argument("--out", required=True)
    ap.add_argument("--problem", nargs="+", required=True)
    ap.add_argument("--table", default=DEFAULT_TABLE)
    args = ap.parse_args()
    try:
        problems = read_rnn_problems(args.table)
    except TableError as e:
        ap.exit(2, f"export_onnx: {e}\n")
    for pid in args.problem:
        if pid not in problems or problems[pid].cell not in CELLS:
            ap.exit(2, f"export_onnx: '{pid}' is not an lstm or gru problem of {args.table}\n")
        if problems[pid].p:
            ap.exit(2, f"export_onnx: '{pid}' has a projection, which ONNX's LSTM has not\n")
    os.makedirs(args.out, exist_ok=True)
    for pid in args.problem:
        export(pid, problems[pid], args.out)


if __name__ == "__main__":
    main()
