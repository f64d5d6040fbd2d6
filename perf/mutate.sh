#!/usr/bin/env bash
# Mutation testing with Stryker.NET, one folder of src/SimdRnn at a time (not part of CI; see CONTRIBUTING.md).
#
#   perf/mutate.sh FOLDER [FILES] [extra dotnet-stryker options]
#   FOLDER: Sgemm, Cells, Layers, Training, Activations, Execution, Vectors or Serialization
#   FILES:  comma-separated globs of file names in the folder (default *.cs), e.g. Packing.cs or Gemm.cs,Gemm*.cs:
#           a big folder in pieces; the reports then go to StrykerOutput/FOLDER-FILES
#
# Mutates src/SimdRnn/FOLDER/** and runs, for each mutant, only the tests that cover it (coverage analysis perTestInIsolation)
# among the tests of the mirrored test namespace SimdRnn.Tests.FOLDER plus Hardening.InvalidArgumentTests (where the
# argument checks of every public entry point are tested). Stryker builds and overwrites the test project's output
# with the mutated assembly, so it runs on a copy of the working tree (tracked and untracked, not ignored, files) in
# $MUTATE_WORK (default ${TMPDIR:-/tmp}/simdrnn-mutate-FOLDER); the reports land in StrykerOutput/FOLDER/reports
# (mutation-report.html / .json); perf/mutation-survivors.py lists what was not killed. Settings shared by every
# folder: tests/mutation/stryker-config.json (test-runner mtp: the test project is an xunit.v3 / Microsoft.Testing.Platform
# executable, which Stryker's default VSTest runner cannot drive). Runs at nice 19; it does not take /tmp/bench.lock.
#
# MUTATE_TESTS (optional): the tests to run instead, comma-separated parts of their names after "SimdRnn.Tests."
#   (a namespace or class with its trailing dot, or a method), e.g.
#   MUTATE_TESTS=Layers.StepSplitTests.Shares_,Hardening.InvalidArgumentTests. perf/mutate.sh Layers StepSplit.cs
# Fewer tests cost less per mutant and can only kill fewer mutants: the score is then a lower bound (say which set).
# MUTATE_ADDITIONAL_TIMEOUT (optional): milliseconds added to each mutant's time limit (the config's additional-timeout,
#   10000 by default; dotnet-stryker 5.1.0 has no command-line option for it), e.g. 30000 on a loaded machine, so that
#   slow survivors are not counted as timeouts.
set -euo pipefail

folders="Sgemm Cells Layers Training Activations Execution Vectors Serialization"
folder="${1:-}"
if [[ -z "$folder" || " $folders " != *" $folder "* ]]; then
    echo "usage: $0 FOLDER [dotnet-stryker options]   (FOLDER: $folders)" >&2
    exit 2
fi
shift
files="*.cs"
if [[ $# -gt 0 && "$1" != -* ]]; then files="$1"; shift; fi
name="$folder"
# (MSBuild's project analysis fails on paths with commas or braces: keep letters and digits.)
[[ "$files" != "*.cs" ]] && name="$folder-$(tr -c 'A-Za-z0-9\n' '-' <<< "${files%.cs}")"
mutate=()
IFS=',' read -ra globs <<< "$files"
for glob in "${globs[@]}"; do mutate+=(--mutate "**/$folder/**/$glob"); done

root="$(cd "$(dirname "$0")/.." && pwd)"
work="${MUTATE_WORK:-${TMPDIR:-/tmp}/simdrnn-mutate-$name}"
reports="$root/StrykerOutput/$name"

# A copy of the working tree as it is (uncommitted changes included), without build output.
rm -rf "$work"
mkdir -p "$work"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -cf - -T - 2>/dev/null) | tar -C "$work" -xf -

if [[ -n "${MUTATE_ADDITIONAL_TIMEOUT:-}" ]]; then
    [[ "$MUTATE_ADDITIONAL_TIMEOUT" =~ ^[0-9]+$ ]] || { echo "MUTATE_ADDITIONAL_TIMEOUT must be a number of milliseconds" >&2; exit 2; }
    sed -i -E "s/(\"additional-timeout\": )[0-9]+/\1$MUTATE_ADDITIONAL_TIMEOUT/" "$work/tests/mutation/stryker-config.json"
    grep -q "\"additional-timeout\": $MUTATE_ADDITIONAL_TIMEOUT," "$work/tests/mutation/stryker-config.json" ||
        { echo "could not set additional-timeout in the copy's stryker-config.json" >&2; exit 2; }
fi

filter=""
IFS=',' read -ra tests <<< "${MUTATE_TESTS:-$folder.,Hardening.InvalidArgumentTests.}"
for test in "${tests[@]}"; do filter+="${filter:+|}FullyQualifiedName~SimdRnn.Tests.$test"; done
cd "$work/tests/SimdRnn.Tests"
dotnet tool restore >/dev/null
rm -rf "$reports"
nice -n 19 dotnet stryker \
    --config-file ../mutation/stryker-config.json \
    "${mutate[@]}" \
    --test-case-filter "$filter" \
    --output "$reports" \
    --skip-version-check \
    "$@"
python3 "$root/perf/mutation-survivors.py" "$reports/reports/mutation-report.json" | head -1
