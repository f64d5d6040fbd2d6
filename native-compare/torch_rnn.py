#!/usr/bin/python3
"""torch_rnn: times PyTorch's CPU RNN layers on the rnn problems of native-compare/problems.tsv
(conventions in PROBLEMS.md) and prints `harness,problem,threads,ms_median,gflops` CSV (the same
CLI and CSV as onednn_rnn).

usage: torch_rnn.py --problem ID [ID ...] --threads N [--iters K] [--warmup W] [--csv] [--table PATH]
       torch_rnn.py --list [--table PATH]

Run with Debian's /usr/bin/python3 and python3-torch (1.13). One layer, unidirectional,
time-major (T x N x I), fp32: torch.nn.LSTM (with proj_size = P where the table gives a
projection P), torch.nn.GRU (PyTorch's GRU is the linear-before-reset form) or
torch.nn.RNN(nonlinearity='tanh'), parameters uniform in [-1/sqrt(H), 1/sqrt(H)) (PyTorch's
default init, fixed seed), x, h0, c0, dy uniform in [-1, 1).

Rows, per problem (median of K timed calls after W warm-up calls each):
  train problems  torch-fwd    forward with autograd recording (the training forward); x, h0,
                               c0 and the parameters require grad
                  torch-bwd    y.backward(dy) alone (gradients of x, h0, c0, weights, biases);
                               the forward runs before the timer, gradients are reset to None
                               before it
                  torch-train  forward + y.backward(dy) in one timed call
  infer problems  torch-infer  forward under torch.inference_mode()
  stream problems are refused (not run yet: one step per call, state carried between calls),
  and so are gru-reset-first problems (the reset gate before the recurrent product, ONNX's
  linear_before_reset = 0): PyTorch has no such layer
GFLOP/s with the PROBLEMS.md convention: fwd = 2*T*N*(G*H*(I+S) + P*H) (G = 1 rnn, 3 gru,
4 lstm; S = P with a projection, else H; P = 0 without), bwd = 2 x fwd, train = 3 x fwd,
infer = fwd.

Threads: torch.set_num_threads(N) and torch.set_num_interop_threads(1); Debian's torch does its
matrix products with OpenBLAS (pthread build), whose own thread count torch.set_num_threads
does not touch, so openblas_set_num_threads(N) is called too (through ctypes, on the OpenBLAS
that torch loaded). The OpenBLAS core (which depends on OPENBLAS_CORETYPE) and the thread
counts go to stderr; stdout carries only the CSV. Each problem is checked once (outputs and
gradients finite and not all zero); a failure exits with status 1. Bad arguments: exit 2.
"""
import argparse
import collections
import csv
import ctypes
import os
import statistics
import sys
import time

import torch

DEFAULT_TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "problems.tsv")
TABLE_HEADER = ["id", "kind", "cell", "I", "H", "P", "N", "T", "mode", "M", "K", "a_transposed", "origin"]
GATES = {"lstm": 4, "gru": 3, "gru-reset-first": 3, "rnn-tanh": 1}
MODES = ("train", "infer", "stream")
MIN_ITERS = 10

# One rnn row of the table; p is the projection size P, 0 for none ("-").
RnnProblem = collections.namedtuple("RnnProblem", "cell i h p n t mode")


class TableError(Exception):
    pass


def table_size(field, used):
    """A positive integer where the row's kind uses the column, else '-' (returned as None)."""
    if not used:
        if field != "-":
            raise ValueError
        return None
    if not (field.isascii() and field.isdigit() and field[0] != "0" and int(field) <= 1000000):
        raise ValueError
    return int(field)


def read_rnn_problems(path):
    """The rnn rows of the problem table as {id: RnnProblem} in file order. Every row is
    checked as strictly as openblas_gemm and onednn_rnn do (problem_table.h); a bad one raises TableError
    naming its line and id."""
    try:
        with open(path, newline="") as f:
            text = f.read()
    except OSError as e:
        raise TableError(f"cannot read the problem table {path}: {e.strerror}") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last row
    if not lines or lines[0] != "\t".join(TABLE_HEADER):
        raise TableError(f"{path}:1: the header must be the tab-separated columns: {' '.join(TABLE_HEADER)}")
    problems, ids = {}, set()
    for number, line in enumerate(lines[1:], start=2):
        row = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE), [])
        pid = row[0] if row else ""

        def bad(why):
            return TableError(f"{path}:{number} ({pid}): {why}")

        if not row:
            raise bad("empty line")
        if "\r" in line:
            raise bad("a carriage return (the table has LF line ends)")
        if len(row) != len(TABLE_HEADER):
            raise bad(f"{len(row)} tab-separated fields, not {len(TABLE_HEADER)}")
        _, kind, cell, i, h, p, n, t, mode, m, k, a_transposed, origin = row
        if not pid or pid in ids:
            raise bad("empty or duplicate id")
        ids.add(pid)
        if kind not in ("rnn", "gemm"):
            raise bad("unknown kind (rnn, gemm)")
        rnn = kind == "rnn"
        if rnn and cell not in GATES:
            raise bad("unknown cell (lstm, gru, gru-reset-first, rnn-tanh)")
        if rnn and mode not in MODES:
            raise bad("unknown mode (train, infer, stream)")
        if not rnn and (cell, mode, a_transposed in ("yes", "no")) != ("-", "-", True):
            raise bad("a gemm problem has cell and mode '-' and a_transposed yes or no")
        if rnn and a_transposed != "-":
            raise bad("an rnn problem has no a_transposed ('-')")
        try:
            sizes = [table_size(v, rnn) for v in (i, h, t)] + [table_size(n, True)] + \
                [table_size(v, not rnn) for v in (m, k)]
        except ValueError:
            raise bad("I, H, N, T must be integers in [1, 1000000] and M, K '-'" if rnn else
                      "M, N, K must be integers in [1, 1000000] and I, H, P, T '-'") from None
        projection = 0
        if p != "-":
            if not rnn:
                raise bad("M, N, K must be integers in [1, 1000000] and I, H, P, T '-'")
            if cell != "lstm":
                raise bad("only an lstm problem has a projection P (others '-')")
            try:
                projection = table_size(p, True)
            except ValueError:
                raise bad("P must be '-' or an integer in [1, 1000000]") from None
            if projection >= sizes[1]:
                raise bad("the projection P must be smaller than H")
        if not origin:
            raise bad("empty origin")
        if rnn:
            problems[pid] = RnnProblem(cell, sizes[0], sizes[1], projection, sizes[3], sizes[2], mode)
    return problems


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


def problem_id(problems):
    runnable = [pid for pid, problem in problems.items()
                if problem.mode != "stream" and problem.cell != "gru-reset-first"]

    def parse(s):
        if s not in problems:
            raise argparse.ArgumentTypeError(f"unknown problem '{s}' (known: {' '.join(runnable)})")
        if problems[s].cell == "gru-reset-first":
            raise argparse.ArgumentTypeError(f"'{s}' is a gru-reset-first problem (the reset gate before the "
                                             "recurrent product), which PyTorch has no layer for")
        if s not in runnable:
            raise argparse.ArgumentTypeError(f"'{s}' is a stream problem (one step per call, state carried "
                                             "between calls), which this harness does not run yet")
        return s
    return parse, runnable


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


def fwd_flops(problem):
    """The matrix products of one forward (PROBLEMS.md): G gates of H rows over the input and the recurrent
    state of width S (P with a projection, else H), and with a projection the P x H product of every step."""
    s = problem.p or problem.h
    return 2.0 * problem.t * problem.n * (GATES[problem.cell] * problem.h * (problem.i + s) + problem.p * problem.h)


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


def run_problem(problem, pid, threads, iters, warmup):
    cell, i, h, p, n, t, mode = problem
    s = p or h  # the width of y, h0 and the recurrent input
    torch.manual_seed(1234)
    if cell == "lstm":
        layer = torch.nn.LSTM(i, h, num_layers=1, proj_size=p)
    elif cell == "gru":
        layer = torch.nn.GRU(i, h, num_layers=1)
    elif cell == "rnn-tanh":
        layer = torch.nn.RNN(i, h, num_layers=1, nonlinearity="tanh")
    else:  # gru-reset-first, refused by --problem
        raise ValueError(f"{pid}: PyTorch has no {cell} layer")
    layer = layer.float()
    lstm = cell == "lstm"
    f = fwd_flops(problem)
    rows = []

    if mode == "infer":
        x = uniform(t, n, i)
        hx = (uniform(1, n, s), uniform(1, n, h)) if lstm else uniform(1, n, h)
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
    hx = (uniform(1, n, s, requires_grad=True), uniform(1, n, h, requires_grad=True)) if lstm \
        else uniform(1, n, h, requires_grad=True)
    dy = uniform(t, n, s)
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
    # The table first (--table may be anywhere), so that the help and the checks of --problem know its ids.
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--table", default=DEFAULT_TABLE)
    try:
        problems = read_rnn_problems(pre.parse_known_args()[0].table)
    except TableError as e:
        err(str(e))
        return 2
    parse_id, runnable = problem_id(problems)
    ap = argparse.ArgumentParser(prog="torch_rnn.py", description="PyTorch CPU RNN timings as CSV")
    ap.add_argument("--problem", nargs="+", type=parse_id, metavar="ID",
                    help="one or more of the train and infer rnn problems of the table: " + " ".join(runnable))
    ap.add_argument("--threads", type=int_at_least(1), metavar="N")
    ap.add_argument("--iters", type=int_at_least(MIN_ITERS), default=20, metavar="K",
                    help=f"timed calls per problem and harness, K >= {MIN_ITERS} (default 20)")
    ap.add_argument("--warmup", type=int_at_least(1), default=3, metavar="W",
                    help="untimed calls before timing (default 3)")
    ap.add_argument("--csv", action="store_true",
                    help="print CSV (the only output format; accepted for symmetry with simdrnn)")
    ap.add_argument("--list", action="store_true", help="print the rnn problems (id,cell,I,H,P,N,T,mode) and exit")
    ap.add_argument("--table", default=DEFAULT_TABLE, metavar="PATH",
                    help="the problem table (default: problems.tsv next to this script)")
    args = ap.parse_args()
    if args.list:
        print("id,cell,I,H,P,N,T,mode")
        for pid, problem in problems.items():
            print(",".join(map(str, (pid,) + problem._replace(p=problem.p or "-"))))
        return 0
    if args.problem is None or args.threads is None:
        ap.error("--problem and --threads are required")

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
        rows = run_problem(problems[pid], pid, args.threads, args.iters, args.warmup)
        if rows is None:
            err(f"{pid}: sanity check failed")
            return 1
        for harness, seconds, flops in rows:
            print(f"{harness},{pid},{args.threads},{seconds * 1e3:.4f},{flops / seconds * 1e-9:.2f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
