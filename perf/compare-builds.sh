#!/usr/bin/env bash
# perf/compare-builds.sh: builds of `simdrnn` (before and after a change, or several stages) on the same problems,
# interleaved over R rounds on this machine (every build in turn, then the next problem or thread count), and for each
# build after the first the median over rounds of the per-round ratio first ms / that build's ms with its range
# (> 1: that build is faster). Single runs on a shared machine vary by far more than most changes: only the
# interleaved median means anything. Every run takes /tmp/bench.lock.
# usage: perf/compare-builds.sh DIR1 DIR2 [DIR3 ...] [--rounds R] [--threads "1 2"] [--iters K] [--problems "ID ..."]
#   DIRn: folders holding SimdRnn.Cli.dll (e.g. a copy of src/SimdRnn.Cli/bin/Release/net10.0 before the change)
set -euo pipefail
# Fully optimised code from the first call in every build: with tiering, a short series times tier-0 code for a
# varying share of its calls (builds with different warm-up rules would not compare). Override to measure tiering.
export DOTNET_TieredCompilation=${DOTNET_TieredCompilation:-0}
builds=()
rounds=5 threads="1 2" iters=10 problems="lstm-seed rnn-tanh lstm-256 lstm-512 lstm-1024 gru-512 lstm-512-b1 lstm-1024-b4"
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --iters) iters=$2; shift 2 ;;
        --problems) problems=$2; shift 2 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) builds+=("$1"); shift ;;
    esac
done
[ ${#builds[@]} -ge 2 ] || { sed -n 2,9p "$0"; exit 2; }
out=$(mktemp)
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(date -u +%F); builds: ${builds[*]}" >&2
for round in $(seq 1 "$rounds"); do
    for problem in $problems; do
        for t in $threads; do
            for index in "${!builds[@]}"; do
                flock /tmp/bench.lock dotnet "${builds[$index]}/SimdRnn.Cli.dll" bench --problem "$problem" --threads "$t" --iters "$iters" --csv |
                    awk -F, -v build="$index" -v round="$round" 'NR > 1 && $1 != "harness" { print round "," build "," $0 }' >> "$out"
            done
        done
    done
    echo "round $round done $(date -u +%T)" >&2
done
/usr/bin/python3 - "$out" "${#builds[@]}" <<'PY'
import csv, statistics, sys
count = int(sys.argv[2])
rows = {}
for round_, build, harness, problem, threads, ms, gflops in csv.reader(open(sys.argv[1])):
    rows.setdefault((problem, harness, threads), {}).setdefault(round_, {})[int(build)] = float(ms)
header = "| problem | timed | threads | " + " | ".join(f"ms {b}" for b in range(count)) + " | " + \
    " | ".join(f"0/{b} median (range)" for b in range(1, count)) + " |"
print(header)
print("|" + "---|" * (3 + count + count - 1))
for (problem, harness, threads), by_round in rows.items():
    complete = [r for r in by_round.values() if len(r) == count]
    if not complete: continue  # a row only some builds time (a harness added later)
    medians = [statistics.median(r[b] for r in complete) for b in range(count)]
    ratios = []
    for b in range(1, count):
        values = sorted(r[0] / r[b] for r in complete)
        ratios.append(f"{statistics.median(values):.3f} ({values[0]:.2f}-{values[-1]:.2f})")
    print(f"| {problem} | {harness} | {threads} | " + " | ".join(f"{m:.3f}" for m in medians) + " | " + " | ".join(ratios) + " |")
PY
rm -f "$out"
