#!/usr/bin/python3
"""torch_train: the PyTorch reference for `simdrnn train`'s speed: a character-level LSTM
language model trained on tinyshakespeare on the CPU.

usage: torch_train.py [--text FILE] [--minutes M] [--hidden H] [--seq-len T] [--batch B]
                      [--lr LR] [--threads N] [--seed S] [--report-every SECONDS]

Run with Debian's /usr/bin/python3 and python3-torch (1.13); native-compare/run.sh --suite
train runs it (with OPENBLAS_CORETYPE unset, see README.md) and then `simdrnn train`.

The model and the training are those of `simdrnn train`'s defaults:
- text: --text FILE (plain or .gz), by default the corpus embedded in the CLI
  (src/SimdRnn.Cli/Data/tinyshakespeare.txt.gz), else ../shared/data/tinyshakespeare.txt
  relative to the repository root; vocabulary = the distinct characters, sorted; the first
  90% of the characters train, the last 10% validate;
- one-hot input, one nn.LSTM layer (hidden 256), a linear layer to the vocabulary, softmax
  cross-entropy (mean over all predicted characters);
- truncated BPTT: the training text is cut into --batch (32) contiguous streams, trained on in
  chunks of --seq-len (100) characters, the LSTM state carried (detached) from one chunk to the
  next; at the end of the streams (an epoch) the state is reset to zero and the streams start
  over;
- Adam (lr 2e-3, PyTorch's default betas and eps), gradients clipped to a global norm of 5;
- torch.set_num_threads(--threads, default 2), set_num_interop_threads(1), and OpenBLAS's own
  thread count set to the same (torch.set_num_threads does not touch it).

Training stops after --minutes (4.5) minutes of training time (validation excluded). About
every --report-every (30) seconds and at the end it prints one line: wall-clock seconds,
step, training loss (mean since the previous line), validation loss (the whole validation
text cut into --batch streams, in chunks of --seq-len, state carried, no gradients; mean per
predicted character) and characters/s = steps * seq_len * batch / training seconds. The last
line is machine-readable:

    RESULT chars_per_s=... val_loss=... seconds=... steps=...

(seconds = training seconds, validation excluded). Bad arguments: exit 2.
"""
import argparse
import gzip
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_rnn import cpu_capability, openblas_lib  # noqa: E402  (same directory)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TEXTS = [
    os.path.join(ROOT, "src", "SimdRnn.Cli", "Data", "tinyshakespeare.txt.gz"),
    os.path.join(ROOT, "src", "SimdRnn.Cli", "Data", "tinyshakespeare.txt"),
    os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt")),
]


def positive(kind):
    def parse(s):
        try:
            v = kind(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{s}' is not a {kind.__name__}") from None
        if not (v > 0) or (kind is float and not math.isfinite(v)):
            raise argparse.ArgumentTypeError(f"{s} is not positive")
        return v
    return parse


def read_text(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read().decode("utf-8")


class CharLstm(torch.nn.Module):
    def __init__(self, vocab, hidden):
        super().__init__()
        self.vocab = vocab
        self.lstm = torch.nn.LSTM(vocab, hidden, num_layers=1)
        self.out = torch.nn.Linear(hidden, vocab)

    def forward(self, idx, state):
        """idx: T x B character indices; returns logits T x B x V and the new state."""
        x = F.one_hot(idx, self.vocab).float()
        y, state = self.lstm(x, state)
        return self.out(y), state


def streams(data, batch):
    """data (1-D index tensor) cut into `batch` contiguous streams: batch x L (L = len // batch)."""
    length = data.numel() // batch
    return data[: length * batch].view(batch, length)


def zero_state(batch, hidden):
    return (torch.zeros(1, batch, hidden), torch.zeros(1, batch, hidden))


def validate(model, val_streams, seq_len, hidden):
    """Mean cross-entropy per predicted character over all of val_streams (the last, shorter
    chunk of each stream included), state carried, no gradients."""
    model.eval()
    batch, length = val_streams.shape
    state = zero_state(batch, hidden)
    total, count = 0.0, 0
    with torch.inference_mode():
        for p in range(0, length - 1, seq_len):
            t = min(seq_len, length - 1 - p)
            inp = val_streams[:, p:p + t].t()
            tgt = val_streams[:, p + 1:p + 1 + t].t()
            logits, state = model(inp, state)
            total += F.cross_entropy(logits.reshape(-1, model.vocab), tgt.reshape(-1),
                                     reduction="sum").item()
            count += tgt.numel()
    model.train()
    return total / count


def main():
    ap = argparse.ArgumentParser(prog="torch_train.py",
                                 description="PyTorch char-LSTM training speed (reference for simdrnn train)")
    ap.add_argument("--text", metavar="FILE", help="training text, plain or .gz (default: the CLI's corpus)")
    ap.add_argument("--minutes", type=positive(float), default=4.5, help="training minutes (default 4.5)")
    ap.add_argument("--hidden", type=positive(int), default=256, help="LSTM hidden size (default 256)")
    ap.add_argument("--seq-len", type=positive(int), default=100, help="BPTT chunk length (default 100)")
    ap.add_argument("--batch", type=positive(int), default=32, help="parallel streams (default 32)")
    ap.add_argument("--lr", type=positive(float), default=2e-3, help="Adam learning rate (default 2e-3)")
    ap.add_argument("--threads", type=positive(int), default=2, help="torch and OpenBLAS threads (default 2)")
    ap.add_argument("--seed", type=int, default=0, help="torch.manual_seed (default 0)")
    ap.add_argument("--report-every", type=positive(float), default=30.0, metavar="SECONDS",
                    help="seconds between progress lines (default 30)")
    args = ap.parse_args()

    if args.text is None:
        path = next((p for p in DEFAULT_TEXTS if os.path.isfile(p)), None)
        if path is None:
            ap.error("no default text found (tried " + ", ".join(DEFAULT_TEXTS) + "); give --text FILE")
    else:
        path = args.text
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as e:
        print(f"torch_train.py: cannot read {path}: {e}", file=sys.stderr)
        return 2

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    blas_path, blas = openblas_lib()
    if blas is not None:
        blas.openblas_set_num_threads(args.threads)
        blas_note = f"OpenBLAS core={blas.openblas_get_corename().decode()} threads={blas.openblas_get_num_threads()}"
    else:
        blas_note = "OpenBLAS not found among the loaded libraries"
    torch.manual_seed(args.seed)

    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_train = int(len(text) * 0.9)
    train_streams = streams(data[:n_train], args.batch)
    val_streams = streams(data[n_train:], args.batch)
    chunks = (train_streams.shape[1] - 1) // args.seq_len
    if chunks < 1 or val_streams.shape[1] < 2:
        print(f"torch_train.py: {path} is too short for --batch {args.batch} --seq-len {args.seq_len}",
              file=sys.stderr)
        return 2

    print(f"config hidden={args.hidden} seq_len={args.seq_len} batch={args.batch} lr={args.lr} "
          f"clip=5 optimizer=Adam threads={args.threads} minutes={args.minutes} seed={args.seed}")
    print(f"torch {torch.__version__}, intra-op threads={torch.get_num_threads()}, "
          f"inter-op threads={torch.get_num_interop_threads()}, ATen cpu capability {cpu_capability()}; "
          f"{blas_note}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"data {path}: {len(text)} characters, vocabulary {len(chars)}, train {n_train} "
          f"({args.batch} streams of {train_streams.shape[1]}, {chunks} chunks per epoch), "
          f"validation {len(text) - n_train}")
    sys.stdout.flush()

    model = CharLstm(len(chars), args.hidden)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=args.lr)
    state = zero_state(args.batch, args.hidden)
    budget = args.minutes * 60.0
    chars_per_step = args.seq_len * args.batch

    step, chunk, train_seconds = 0, 0, 0.0
    loss_sum, loss_count = 0.0, 0
    start = time.perf_counter()
    next_report = args.report_every
    val_loss = float("nan")

    def report(final):
        nonlocal loss_sum, loss_count, val_loss
        val_loss = validate(model, val_streams, args.seq_len, args.hidden)
        train_loss = loss_sum / loss_count if loss_count else float("nan")
        loss_sum, loss_count = 0.0, 0
        rate = step * chars_per_step / train_seconds if train_seconds > 0 else 0.0
        print(f"{'final' if final else 'progress'} elapsed_s={time.perf_counter() - start:.1f} "
              f"step={step} train_loss={train_loss:.4f} val_loss={val_loss:.4f} chars_per_s={rate:.0f}",
              flush=True)

    while train_seconds < budget:
        t0 = time.perf_counter()
        if chunk == chunks:  # end of the streams: a new epoch from a zero state
            chunk = 0
            state = zero_state(args.batch, args.hidden)
        p = chunk * args.seq_len
        inp = train_streams[:, p:p + args.seq_len].t()
        tgt = train_streams[:, p + 1:p + 1 + args.seq_len].t()
        state = (state[0].detach(), state[1].detach())
        logits, state = model(inp, state)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), tgt.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        loss_sum += loss.item()
        loss_count += 1
        step += 1
        chunk += 1
        train_seconds += time.perf_counter() - t0
        if time.perf_counter() - start >= next_report and train_seconds < budget:
            report(final=False)
            next_report = time.perf_counter() - start + args.report_every

    report(final=True)
    rate = step * chars_per_step / train_seconds
    print(f"RESULT chars_per_s={rate:.0f} val_loss={val_loss:.4f} seconds={train_seconds:.1f} steps={step}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
