#!/usr/bin/python3
"""torch_rnn: times PyTorch's CPU RNN layers on the RNN problems of ../shared/PROBLEMS.md and
prints `harness,problem,threads,ms_median,gflops` CSV (the same CLI and CSV as onednn_rnn).

usage: torch_rnn.py --problem ID [ID ...] --threads N [--iters K] [--warmup W] [--csv]
       torch_rnn.py --list

Run with Debian's /usr/bin/python3 and python3-torch (1.13). One layer, unidirectional,
time-major (T x N x I), fp32: torch.nn.LSTM, torch.nn.GRU (PyTorch's GRU is the
linear-before-reset form) or torch.nn.RNN(nonlinearity='tanh'), parameters uniform in
[-1/sqrt(H), 1/sqrt(H)) (PyTorch's default init, fixed seed), x, h0, c0, dy uniform in [-1, 1).

Rows, per problem (median of K timed calls after W warm-up calls each):
  train problems  torch-fwd    forward with autograd recording (the training forward); x, h0,
                               c0 and the parameters require grad
                  torch-bwd    y.backward(dy) alone (gradients of x, h0, c0, weights, biases);
                               the forward runs before the timer, gradients are reset to None
                               before it
                  torch-train  forward + y.backward(dy) in one timed call
  infer problems  torch-infer  forward under torch.inference_mode()
GFLOP/s with the PROBLEMS.md convention: fwd = 2*T*N*G*H*(I+H) (G = 1 rnn, 3 gru, 4 lstm),
bwd = 2 x fwd, train = 3 x fwd, infer = fwd.

Threads: torch.set_num_threads(N) and torch.set_num_interop_threads(1); Debian's torch does its
matrix products with OpenBLAS (pthread build), whose own thread count torch.set_num_threads
does not touch, so openblas_set_num_threads(N) is called too (through ctypes, on the OpenBLAS
that torch loaded). The OpenBLAS core (which depends on OPENBLAS_CORETYPE) and the thread
counts go to stderr; stdout carries only the CSV. Each problem is checked once (outputs and
gradients finite and not all zero); a failure exits with status 1. Bad arguments: exit 2.
"""
import argparse
import ctypes
import os
import statistics
import sys
import time

import torch

# id: (cell, I, H, N, T, train)
PROBLEMS = {
    "lstm-seed": ("lstm", 65, 128, 32, 50, True),
    "rnn-tanh": ("rnn-tanh", 1024, 1024, 32, 50, True),
    "lstm-256": ("lstm", 256, 256, 32, 50, True),
    "lstm-512": ("lstm", 512, 512, 64, 25, True),
    "lstm-1024": ("lstm", 1024, 1024, 64, 25, True),
    "gru-512": ("gru", 512, 512, 32, 50, True),
    "lstm-512-b1": ("lstm", 512, 512, 1, 25, False),
    "lstm-1024-b4": ("lstm", 1024, 1024, 4, 25, False),
}
GATES = {"lstm": 4, "gru": 3, "rnn-tanh": 1}
MIN_ITERS = 10


def err(msg):
    print(f"torch_rnn: {msg}", file=sys.stderr, flush=True)


def int_at_least(minimum):
    def parse(s):
        try:
            v = int(s, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{s}' is not an integer") from None
        if v < minimum or v > 1000000:
            raise argparse.ArgumentTypeError(f"{v} is not an integer >= {minimum}")
        return v
    return parse


def problem_id(s):
    if s not in PROBLEMS:
        raise argparse.ArgumentTypeError(f"unknown problem '{s}' (known: {' '.join(PROBLEMS)})")
    return s


def openblas_lib():
    """The OpenBLAS shared library this process has loaded (through torch), or None."""
    candidates = []
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path)
            if base.startswith("libopenblas") or base.startswith("libblas.so"):
                if path not in candidates:
                    candidates.append(path)
    candidates.sort(key=lambda p: not os.path.basename(p).startswith("libopenblas"))
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_num_threads.restype = ctypes.c_int
            lib.openblas_set_num_threads.argtypes = [ctypes.c_int]
            return path, lib
        except (OSError, AttributeError):
            continue
    return None, None


def cpu_capability():
    """The vector ISA of ATen's own (element-wise) kernels, from torch.__config__.show()."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def fwd_flops(cell, i, h, n, t):
    return 2.0 * t * n * GATES[cell] * h * (i + h)


def check(pid, what, tensor):
    if tensor is None:
        err(f"{pid}: {what} is missing")
        return False
    if not torch.isfinite(tensor).all():
        err(f"{pid}: {what} has non-finite values")
        return False
    if not (tensor != 0).any():
        err(f"{pid}: {what} is all zero")
        return False
    return True


def median_seconds(label, iters, body, before=None):
    times = []
    for _ in range(iters):
        if before is not None:
            before()
        t0 = time.perf_counter()
        body()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    err(f"  {label}: min {min(times) * 1e3:.3f} ms, median {med * 1e3:.3f} ms, max {max(times) * 1e3:.3f} ms")
    return med


def uniform(*shape, requires_grad=False):
    return (torch.rand(*shape) * 2 - 1).requires_grad_(requires_grad)


def run_problem(pid, threads, iters, warmup):
    cell, i, h, n, t, train = PROBLEMS[pid]
    torch.manual_seed(1234)
    if cell == "lstm":
        layer = torch.nn.LSTM(i, h, num_layers=1)
    elif cell == "gru":
        layer = torch.nn.GRU(i, h, num_layers=1)
    else:
        layer = torch.nn.RNN(i, h, num_layers=1, nonlinearity="tanh")
    layer = layer.float()
    lstm = cell == "lstm"
    f = fwd_flops(cell, i, h, n, t)
    rows = []

    if not train:
        x = uniform(t, n, i)
        hx = (uniform(1, n, h), uniform(1, n, h)) if lstm else uniform(1, n, h)
        out = {}

        def infer():
            with torch.inference_mode():
                out["y"], _ = layer(x, hx)

        for _ in range(warmup):
            infer()
        if not check(pid, "output", out["y"]):
            return None
        rows.append(("torch-infer", median_seconds(f"{pid} torch-infer", iters, infer), f))
        return rows

    x = uniform(t, n, i, requires_grad=True)
    hx = (uniform(1, n, h, requires_grad=True), uniform(1, n, h, requires_grad=True)) if lstm \
        else uniform(1, n, h, requires_grad=True)
    dy = uniform(t, n, h)
    leaves = [x] + (list(hx) if lstm else [hx]) + list(layer.parameters())
    state = {}

    def reset_grads():
        for p in leaves:
            p.grad = None

    def forward():
        state["y"], _ = layer(x, hx)

    def backward():
        state["y"].backward(dy)
        state["y"] = None  # the graph is freed by backward

    def fresh_forward():
        reset_grads()
        forward()

    def train_step():
        forward()
        backward()

    # Sanity check: one forward + backward from no gradients.
    fresh_forward()
    if not check(pid, "output", state["y"]):
        return None
    backward()
    names = ["x", "h0"] + (["c0"] if lstm else []) + [name for name, _ in layer.named_parameters()]
    for name, p in zip(names, leaves):
        if not check(pid, f"grad of {name}", p.grad):
            return None

    def drop_output():
        state["y"] = None  # frees the previous graph outside the timer

    for _ in range(warmup):
        drop_output()
        forward()
    rows.append(("torch-fwd", median_seconds(f"{pid} torch-fwd", iters, forward, before=drop_output), f))
    drop_output()
    for _ in range(warmup):
        fresh_forward()
        backward()
    rows.append(("torch-bwd", median_seconds(f"{pid} torch-bwd", iters, backward, before=fresh_forward), 2 * f))
    for _ in range(warmup):
        reset_grads()
        train_step()
    rows.append(("torch-train", median_seconds(f"{pid} torch-train", iters, train_step, before=reset_grads), 3 * f))
    return rows


def main():
    if "--list" in sys.argv[1:]:
        if len(sys.argv) != 2:
            err("--list takes no other argument")
            return 2
        print("id,cell,I,H,N,T,mode")
        for pid, (cell, i, h, n, t, train) in PROBLEMS.items():
            print(f"{pid},{cell},{i},{h},{n},{t},{'train' if train else 'infer'}")
        return 0
    ap = argparse.ArgumentParser(prog="torch_rnn.py", description="PyTorch CPU RNN timings as CSV")
    ap.add_argument("--problem", nargs="+", type=problem_id, required=True, metavar="ID",
                    help="one or more of: " + " ".join(PROBLEMS))
    ap.add_argument("--threads", type=int_at_least(1), required=True, metavar="N")
    ap.add_argument("--iters", type=int_at_least(MIN_ITERS), default=20, metavar="K",
                    help=f"timed calls per problem and harness, K >= {MIN_ITERS} (default 20)")
    ap.add_argument("--warmup", type=int_at_least(1), default=3, metavar="W",
                    help="untimed calls before timing (default 3)")
    ap.add_argument("--csv", action="store_true",
                    help="print CSV (the only output format; accepted for symmetry with simdrnn)")
    ap.add_argument("--list", action="store_true", help="print the problems and exit")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError as e:  # only allowed before any inter-op work
        err(f"set_num_interop_threads(1) refused: {e}")
    path, blas = openblas_lib()
    if blas is not None:
        blas.openblas_set_num_threads(args.threads)
        blas_note = (f"OpenBLAS {path} core={blas.openblas_get_corename().decode()} "
                     f"threads={blas.openblas_get_num_threads()}")
    else:
        blas_note = "OpenBLAS not found among the loaded libraries (threads not set)"
    coretype = os.environ.get("OPENBLAS_CORETYPE", "(unset)")
    err(f"torch {torch.__version__}, intra-op threads={torch.get_num_threads()} (requested "
        f"{args.threads}), inter-op threads={torch.get_num_interop_threads()}, "
        f"ATen cpu capability {cpu_capability()}; "
        f"{blas_note}; OPENBLAS_CORETYPE={coretype}")
    if torch.get_num_threads() != args.threads:
        err(f"warning: torch runs {torch.get_num_threads()} threads, not the {args.threads} requested")

    print("harness,problem,threads,ms_median,gflops", flush=True)
    for pid in args.problem:
        rows = run_problem(pid, args.threads, args.iters, args.warmup)
        if rows is None:
            err(f"{pid}: sanity check failed")
            return 1
        for harness, seconds, flops in rows:
            print(f"{harness},{pid},{args.threads},{seconds * 1e3:.4f},{flops / seconds * 1e-9:.2f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
