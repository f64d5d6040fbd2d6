#!/usr/bin/env bash
# perf/compare-builds.sh: two builds of `simdrnn` (before and after a change) on the same problems, interleaved over
# R rounds on this machine (A then B, then the next problem or thread count), and the median over rounds of the
# per-round ratio A ms / B ms with its range (> 1: B is faster). Single runs on a shared machine vary by far more
# than most changes: only the interleaved median means anything. Every run takes /tmp/bench.lock.
# usage: perf/compare-builds.sh A_DIR B_DIR [--rounds R] [--threads "1 2"] [--iters K] [--problems "ID ..."]
#   A_DIR, B_DIR: folders holding SimdRnn.Cli.dll (e.g. a copy of src/SimdRnn.Cli/bin/Release/net10.0 before the change)
set -euo pipefail
[ $# -ge 2 ] || { sed -n 2,7p "$0"; exit 2; }
a=$1 b=$2; shift 2
rounds=5 threads="1 2" iters=10 problems="lstm-seed rnn-tanh lstm-256 lstm-512 lstm-1024 gru-512 lstm-512-b1 lstm-1024-b4"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --iters) iters=$2; shift 2 ;;
        --problems) problems=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
out=$(mktemp)
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1); $(date -u +%F)" >&2
for round in $(seq 1 "$rounds"); do
    for problem in $problems; do
        for t in $threads; do
            for side in A B; do
                dir=$a; [ $side = B ] && dir=$b
                flock /tmp/bench.lock dotnet "$dir/SimdRnn.Cli.dll" bench --problem "$problem" --threads "$t" --iters "$iters" --csv |
                    awk -F, -v side=$side -v round=$round 'NR > 1 && $1 != "harness" { print round "," side "," $0 }' >> "$out"
            done
        done
    done
    echo "round $round done" >&2
done
/usr/bin/python3 - "$out" <<'PY'
import csv, statistics, sys
rows = {}
for round_, side, harness, problem, threads, ms, gflops in csv.reader(open(sys.argv[1])):
    rows.setdefault((problem, harness, threads), {}).setdefault(round_, {})[side] = float(ms)
print("| problem | timed | threads | A ms (median) | B ms (median) | A/B median | range |")
print("|---|---|---|---|---|---|---|")
for (problem, harness, threads), by_round in rows.items():
    pairs = [(r["A"], r["B"]) for r in by_round.values() if "A" in r and "B" in r]
    ratios = sorted(x / y for x, y in pairs)
    print(f"| {problem} | {harness} | {threads} | {statistics.median(p[0] for p in pairs):.3f} | {statistics.median(p[1] for p in pairs):.3f} "
          f"| {statistics.median(ratios):.3f} | {ratios[0]:.2f}-{ratios[-1]:.2f} |")
PY
rm -f "$out"
