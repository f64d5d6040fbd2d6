#!/usr/bin/python3
"""Joins harness CSV (harness,problem,threads,ms_median,gflops) into a markdown table.

usage: table.py --baseline HARNESS [--baseline HARNESS ...] --ours HARNESS
                [--baseline-label LABEL ...] [--ours-label LABEL] [--problems "ID ..."] ROUND.csv [ROUND.csv ...]

Each file is one round (run.sh --rounds R runs every harness once per round, interleaved). One row per
(problem, threads) that any of the named harnesses measured (of the --problems only, if given: a harness
such as onnxruntime names one mode's problems and another's alike), in the order first seen; for each baseline and then
ours, the median over rounds of its ms and the GFLOP/s at that median; then, per baseline, the median over rounds
of that round's ratio baseline ms / our ms (> 1: ours is faster), with its range (min-max) over the rounds where
both sides ran, when there is more than one. --baseline and --baseline-label may be repeated; the labels go to the
baselines in order (a baseline without a label is shown by its harness name). A side that did not run prints
"n/a". Standard library only.
"""
import argparse
import csv
import statistics
import sys

HEADER = ["harness", "problem", "threads", "ms_median", "gflops"]


def read_rows(path):
    rows = []
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
    ap.add_argument("--problems", help="space-separated problem ids: the rows to keep")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    if len(args.baseline_label) > len(args.baseline):
        ap.error("more --baseline-label than --baseline")

    harnesses = args.baseline + [args.ours]
    wanted = set(args.problems.split()) if args.problems is not None else None
    rounds = []  # per file: {(harness, key): (ms, gflops)}
    keys = []
    for path in args.files:
        results = {}
        for harness, problem, threads, ms, gflops in read_rows(path):
            if harness not in harnesses or (wanted is not None and problem not in wanted):
                continue
            key = (problem, threads)
            if key not in keys:
                keys.append(key)
            results[(harness, key)] = (ms, gflops)
        rounds.append(results)

    labels = args.baseline_label + args.baseline[len(args.baseline_label):]
    ours = args.ours_label
    head = ["problem", "threads"]
    for label in labels + [ours]:
        head += [f"{label} ms", f"{label} GFLOP/s"]
    head += [f"{label} ms / {ours} ms" for label in labels]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for key in keys:
        cells = [key[0], str(key[1])]
        for harness in harnesses:
            runs = [r[(harness, key)] for r in rounds if (harness, key) in r]
            if runs:
                ms = statistics.median(run[0] for run in runs)
                flops_per_ms = runs[0][0] * runs[0][1]  # the same problem in every round
                cells += [f"{ms:.3f}", f"{flops_per_ms / ms:.1f}"]
            else:
                cells += ["n/a", "n/a"]
        for baseline in args.baseline:
            ratios = [r[(baseline, key)][0] / r[(args.ours, key)][0] for r in rounds
                      if (baseline, key) in r and (args.ours, key) in r and r[(args.ours, key)][0] > 0]
            if not ratios:
                cells.append("n/a")
            elif len(ratios) == 1:
                cells.append(f"{ratios[0]:.2f}")
            else:
                cells.append(f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
