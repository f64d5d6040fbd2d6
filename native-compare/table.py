#!/usr/bin/python3
"""Joins harness CSV (harness,problem,threads,ms_median,gflops) into a markdown table.

usage: table.py --baseline HARNESS [--baseline HARNESS ...] --ours HARNESS
                [--baseline-label LABEL ...] [--ours-label LABEL] FILE.csv [FILE.csv ...]

One row per (problem, threads) that any baseline measured, in the order first seen; for each
baseline its ms and GFLOP/s, then ours, then one ratio per baseline: our GFLOP/s / baseline
GFLOP/s (> 1: ours is faster). --baseline and --baseline-label may be repeated; the labels go
to the baselines in order (a baseline without a label is shown by its harness name). A side
that did not run prints "n/a". Standard library only.
"""
import argparse
import csv
import sys

HEADER = ["harness", "problem", "threads", "ms_median", "gflops"]


def read_rows(paths):
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            for n, rec in enumerate(csv.reader(f), 1):
                if not rec or rec == HEADER:
                    continue
                if len(rec) != len(HEADER):
                    sys.exit(f"table.py: {path}:{n}: expected {len(HEADER)} fields, got {rec!r}")
                harness, problem, threads, ms, gflops = rec
                try:
                    rows.append((harness, problem, int(threads), float(ms), float(gflops)))
                except ValueError:
                    sys.exit(f"table.py: {path}:{n}: bad number in {rec!r}")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", action="append", required=True)
    ap.add_argument("--ours", required=True)
    ap.add_argument("--baseline-label", action="append", default=[])
    ap.add_argument("--ours-label", default="simdrnn")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    if len(args.baseline_label) > len(args.baseline):
        ap.error("more --baseline-label than --baseline")

    results = {}
    keys = []
    for harness, problem, threads, ms, gflops in read_rows(args.files):
        if harness not in args.baseline and harness != args.ours:
            continue
        key = (problem, threads)
        if harness in args.baseline and key not in keys:
            keys.append(key)
        results[(harness, key)] = (ms, gflops)

    labels = args.baseline_label + args.baseline[len(args.baseline_label):]
    ours = args.ours_label
    head = ["problem", "threads"]
    for label in labels + [ours]:
        head += [f"{label} ms", f"{label} GFLOP/s"]
    head += [f"ratio ({ours}/{label})" for label in labels]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for key in keys:
        bases = [results.get((b, key)) for b in args.baseline]
        o = results.get((args.ours, key))
        cells = [key[0], str(key[1])]
        for side in bases + [o]:
            cells += [f"{side[0]:.3f}", f"{side[1]:.1f}"] if side else ["n/a", "n/a"]
        for b in bases:
            cells.append(f"{o[1] / b[1]:.2f}" if b and o and b[1] > 0 else "n/a")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
