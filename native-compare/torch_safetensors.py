#!/usr/bin/python3
"""Write safetensors files from a real PyTorch state_dict, for SimdRnn's loader tests.

Run with Debian's python3 and python3-torch (1.13), from the repository root:

    /usr/bin/python3 native-compare/torch_safetensors.py

It (re)writes, under tests/SimdRnn.Tests/Fixtures/Safetensors/:
  torch_f32.safetensors, torch_f16.safetensors, torch_bf16.safetensors
      the state_dict of Model below, its floating-point tensors as F32, F16 (tensor.half()) and
      BF16 (tensor.to(torch.bfloat16)); the int64 buffer "steps" stays I64 in every file (as
      BatchNorm's num_batches_tracked would), so a loader must skip a dtype it does not read.
  torch_values.json
      {"torch_version": str, "tensors": {name: {"shape": [...], "f32": [...], "f16": [...],
      "bf16": [...]}}}: every floating-point tensor as PyTorch converts each file's dtype back
      to float32 (tensor.to(dtype).float()), values printed with repr() (exact as float64),
      infinities as the strings "Infinity" / "-Infinity".
The output is deterministic (a fixed seed, one thread): a rerun writes the same bytes.

Debian has no `safetensors` Python package, so the format is written here by hand, as
safetensors.torch.save_file lays it out: an 8-byte little-endian header length, the JSON header
(keys sorted, "__metadata__": {"format": "pt"}, padded with spaces to a multiple of 8 bytes),
then the data, tensors ordered by element size (largest first) and name, little-endian.
With the safetensors package, `safetensors.torch.load_file` reads these files.
"""

import json
import os
import struct
import sys

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "tests", "SimdRnn.Tests", "Fixtures", "Safetensors")
SEED = 20240613


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(5, 4, num_layers=2, bidirectional=True)


class Model(torch.nn.Module):
    """State_dict keys: encoder.lstm.*, gru.*, rnn.* (relu), head.weight, head.bias, steps."""

    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.gru = torch.nn.GRU(3, 2)
        self.rnn = torch.nn.RNN(3, 3, nonlinearity="relu")
        self.head = torch.nn.Linear(8, 3)
        self.register_buffer("steps", torch.tensor(7, dtype=torch.int64))


DTYPES = {"f32": (torch.float32, "F32"), "f16": (torch.float16, "F16"), "bf16": (torch.bfloat16, "BF16")}
NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}


def raw_bytes(t):
    """The tensor's bytes, little-endian (bfloat16 through its int16 bit pattern; numpy has no bfloat16)."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    little = {torch.float32: "<f4", torch.float16: "<f2", torch.int64: "<i8"}[t.dtype]
    return t.numpy().astype(little).tobytes()


def number(v):
    """repr() (exact as float64), or "Infinity" / "-Infinity" / "NaN" as JSON strings (JSON has no such numbers)."""
    if v != v:
        return '"NaN"'
    if v in (float("inf"), float("-inf")):
        return '"Infinity"' if v > 0 else '"-Infinity"'
    return repr(v)


def write_safetensors(path, tensors):
    ordered = sorted(tensors.items(), key=lambda item: (-item[1].element_size(), item[0]))
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, t in ordered:
        size = t.numel() * t.element_size()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, t in ordered:
            f.write(raw_bytes(t))


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    model = Model()
    with torch.no_grad():
        # Values whose conversion matters: an F16 subnormal, beyond F16's range (inf), a negative zero.
        model.head.bias.copy_(torch.tensor([1e-7, 70000.0, -0.0]))
    state = {name: t.detach().clone() for name, t in model.state_dict().items()}
    os.makedirs(OUT_DIR, exist_ok=True)
    values = {}
    for key, (dtype, _) in DTYPES.items():
        converted = {name: (t.to(dtype) if t.is_floating_point() else t) for name, t in state.items()}
        path = os.path.join(OUT_DIR, "torch_%s.safetensors" % key)
        write_safetensors(path, converted)
        print("%-5s %d tensors  %s" % (key, len(converted), os.path.relpath(path, REPO)))
        for name, t in converted.items():
            if t.is_floating_point():
                entry = values.setdefault(name, {"shape": list(t.shape)})
                entry[key] = [number(float(v)) for v in t.float().reshape(-1).tolist()]
    lines = ['{"torch_version":%s,"tensors":{' % json.dumps(torch.__version__)]
    items = sorted(values.items())
    for k, (name, entry) in enumerate(items):
        fields = ['"shape":%s' % json.dumps(entry["shape"])]
        fields += ['"%s":[%s]' % (key, ",".join(entry[key])) for key in DTYPES]
        lines.append("  %s:{%s}%s" % (json.dumps(name), ",".join(fields), "," if k + 1 < len(items) else ""))
    lines.append("}}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # sanity: the file is valid JSON
    with open(os.path.join(OUT_DIR, "torch_values.json"), "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    print("torch", torch.__version__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
