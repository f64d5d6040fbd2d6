#!/usr/bin/python3
"""Joins harness CSV (harness,problem,threads,ms_median,gflops) into a markdown table.

usage: table.py --baseline HARNESS --ours HARNESS FILE.csv [FILE.csv ...]

One row per (problem, threads) that the baseline measured, in the order first seen; ratio = our GFLOP/s / baseline GFLOP/s (> 1: ours is faster). A side that
did not run prints "n/a". Standard library only.
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
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--ours", required=True)
    ap.add_argument("--baseline-label", default=None)
    ap.add_argument("--ours-label", default="simdrnn")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    results = {}
    keys = []
    for harness, problem, threads, ms, gflops in read_rows(args.files):
        if harness not in (args.baseline, args.ours):
            continue
        key = (problem, threads)
        if harness == args.baseline and key not in keys:
            keys.append(key)
        results[(harness, key)] = (ms, gflops)

    base = args.baseline_label or args.baseline
    ours = args.ours_label
    print(f"| problem | threads | {base} ms | {base} GFLOP/s | {ours} ms | {ours} GFLOP/s "
          f"| ratio ({ours}/{base}) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key in keys:
        b = results.get((args.baseline, key))
        o = results.get((args.ours, key))
        cells = [key[0], str(key[1])]
        for side in (b, o):
            cells += [f"{side[0]:.3f}", f"{side[1]:.1f}"] if side else ["n/a", "n/a"]
        cells.append(f"{o[1] / b[1]:.2f}" if b and o and b[1] > 0 else "n/a")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
