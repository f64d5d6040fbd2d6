#!/usr/bin/env bash
# native-compare/run.sh: SimdRnn against native libraries on the problems of PROBLEMS.md.
# Installs what it needs, builds the harnesses, runs them one after another (never in
# parallel) for each thread count and prints a markdown table; see README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

GEMM_PROBLEMS="sq-1024 sq-2048 recur-512 inproj-512 dweight-512 skinny-1"
GEMV_PROBLEMS="skinny-1" # M = 1: also timed with cblas_sgemv (OpenBLAS 0.3.21 sgemm has no GEMV path)
SUITES="gemm" # suites that exist; `all` runs each of them

usage() {
    cat <<USAGE
usage: native-compare/run.sh [options]
  --suite S              gemm | all (default gemm; all = every suite that exists, now gemm)
  --threads "1 2"        thread counts to run (default "1 2")
  --problems "ID ..."    problem IDs (default: $GEMM_PROBLEMS)
  --iters K              timed calls per problem and harness, K >= 10 (default 20)
  --openblas-coretype C  run OpenBLAS with OPENBLAS_CORETYPE=C (default: unset, i.e. the
                         kernels OpenBLAS detects for this CPU)
  --simdrnn-bin PATH     use this simdrnn binary instead of building src/SimdRnn.Cli
  --no-simdrnn           run the native harnesses only
  --no-install           do not apt-get install missing packages
  -h, --help             this text
USAGE
}

die() { echo "run.sh: $*" >&2; exit 2; }
log() { echo "run.sh: $*" >&2; }

suite=gemm threads="1 2" problems="" iters=20 coretype="" coretype_set=0
simdrnn_bin="" use_simdrnn=1 install=1
while [ $# -gt 0 ]; do
    case "$1" in
        --suite|--threads|--problems|--iters|--openblas-coretype|--simdrnn-bin)
            [ $# -ge 2 ] || die "$1 needs a value"
            case "$1" in
                --suite) suite=$2 ;;
                --threads) threads=$2 ;;
                --problems) problems=$2 ;;
                --iters) iters=$2 ;;
                --openblas-coretype) coretype=$2; coretype_set=1 ;;
                --simdrnn-bin) simdrnn_bin=$2 ;;
            esac
            shift 2 ;;
        --no-simdrnn) use_simdrnn=0; shift ;;
        --no-install) install=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
done

case "$suite" in
    all) run_suites=$SUITES ;;
    gemm) run_suites=$suite ;;
    *) die "unknown suite '$suite' (available: $SUITES, all)" ;;
esac
if ! [[ "$iters" =~ ^[0-9]+$ ]] || [ "$iters" -lt 10 ]; then die "--iters must be an integer >= 10, got '$iters'"; fi
[ -n "${threads// /}" ] || die "--threads is empty"
for t in $threads; do
    [[ "$t" =~ ^[1-9][0-9]*$ ]] || die "--threads: '$t' is not a positive integer"
done
[ -z "$simdrnn_bin" ] || [ -x "$simdrnn_bin" ] || die "--simdrnn-bin: '$simdrnn_bin' is not executable"

export DEBIAN_FRONTEND=noninteractive DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
python=/usr/bin/python3
stamp=$(date -u +%Y%m%d-%H%M%S)
harness_timeout=1800 # seconds per harness call: a hung benchmark must not hang the script

# ensure_packages PKG...: apt-get install the packages that are not installed yet.
ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    [ "$install" = 1 ] || die "missing packages: ${missing[*]} (and --no-install given)"
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || die "missing packages ${missing[*]}: run as root or install them"
        sudo=(sudo -n)
    fi
    log "installing ${missing[*]}"
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q
        -o DPkg::Lock::Timeout=900 install --no-install-recommends "${missing[@]}")
    if ! "${apt[@]}" </dev/null >&2; then
        log "apt-get install failed; updating the package lists and retrying"
        "${sudo[@]}" apt-get -q -o DPkg::Lock::Timeout=900 update </dev/null >&2
        "${apt[@]}" </dev/null >&2
    fi
}

# valid_csv HARNESS FILE: the exact CSV header, then only well-formed rows of HARNESS.
valid_csv() {
    awk -F, -v h="$1" '
        NR == 1 { ok = ($0 == "harness,problem,threads,ms_median,gflops"); next }
        !($1 == h && NF == 5 && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9.eE+-]+$/ && $5 ~ /^[0-9.eE+-]+$/) { ok = 0 }
        END { exit !(ok && NR > 1) }' "$2"
}

# run_harness NAME FILE FATAL RAW CMD...: runs CMD (no stdin, under the timeout) into FILE.csv
# and FILE.log and appends its rows to RAW if it printed valid CSV of harness NAME; otherwise
# shows the start of its output and exits (FATAL = 1) or returns 1.
run_harness() {
    local name=$1 f=$2 fatal=$3 raw=$4
    shift 4
    if timeout "$harness_timeout" "$@" </dev/null >"$f.csv" 2>"$f.log" && valid_csv "$name" "$f.csv"; then
        tail -n +2 "$f.csv" >>"$raw"
        return 0
    fi
    log "$name failed or printed no valid CSV; the start of $f.log and $f.csv:"
    head -5 "$f.log" "$f.csv" >&2 || true
    if [ "$fatal" = 1 ]; then exit 1; fi
    return 1
}

# build_simdrnn: sets simdrnn_bin, or simdrnn_note explaining why SimdRnn does not run.
simdrnn_note="" simdrnn_built=0
build_simdrnn() {
    [ "$use_simdrnn" = 1 ] || { simdrnn_note="not run (--no-simdrnn)"; return; }
    [ -z "$simdrnn_bin" ] || return 0
    simdrnn_built=1
    if ! command -v dotnet >/dev/null; then
        simdrnn_note="not run: dotnet not found"; return
    fi
    log "building src/SimdRnn.Cli (Release), log in $out/simdrnn-build.log"
    if ! (cd "$root" && dotnet build -c Release src/SimdRnn.Cli) </dev/null >"$out/simdrnn-build.log" 2>&1; then
        grep -E 'error' "$out/simdrnn-build.log" | sort -u | head -5 >&2 || true
        simdrnn_note="not run: dotnet build failed (see $out/simdrnn-build.log)"; return
    fi
    # The apphost is named after the assembly: `simdrnn` if the project sets AssemblyName,
    # else `SimdRnn.Cli`.
    local dir="$root/src/SimdRnn.Cli/bin/Release/net10.0" name
    for name in simdrnn SimdRnn.Cli; do
        if [ -x "$dir/$name" ]; then simdrnn_bin="$dir/$name"; return; fi
    done
    simdrnn_note="not run: no simdrnn or SimdRnn.Cli executable in $dir after the build"
}

build_openblas_harness() {
    local cflags libs multiarch
    if command -v pkg-config >/dev/null && pkg-config --exists openblas; then
        cflags=$(pkg-config --cflags openblas) libs=$(pkg-config --libs openblas)
    else
        multiarch=$(gcc -print-multiarch)
        cflags="-I/usr/include/$multiarch/openblas-pthread"
        libs="-L/usr/lib/$multiarch/openblas-pthread -lopenblas"
    fi
    local libdir
    libdir=$(sed -n 's/.*-L\([^ ]*\).*/\1/p' <<<"$libs")
    mkdir -p "$here/build"
    # shellcheck disable=SC2086 # flags are word lists
    gcc -O2 -march=native -std=c11 -Wall -Wextra $cflags -o "$here/build/openblas_gemm" \
        "$here/openblas_gemm.c" $libs ${libdir:+-Wl,-rpath,$libdir} -lm
}

run_suite_gemm() {
    local ids=${problems:-$GEMM_PROBLEMS} id
    for id in $ids; do
        case " $GEMM_PROBLEMS " in
            *" $id "*) ;;
            *) die "unknown gemm problem '$id' (known: $GEMM_PROBLEMS)" ;;
        esac
    done
    local need=(libopenblas-dev)
    command -v gcc >/dev/null || need+=(gcc)
    [ -x "$python" ] || need+=(python3)
    ensure_packages "${need[@]}"
    log "building native-compare/build/openblas_gemm"
    build_openblas_harness
    build_simdrnn

    local openblas_env=(env -u OPENBLAS_CORETYPE) coretype_note="OPENBLAS_CORETYPE unset: kernels detected for this CPU"
    if [ "$coretype_set" = 1 ]; then
        openblas_env=(env OPENBLAS_CORETYPE="$coretype")
        coretype_note="OPENBLAS_CORETYPE=$coretype forced"
    fi

    local gemv_ids=""
    for id in $ids; do
        case " $GEMV_PROBLEMS " in *" $id "*) gemv_ids+=" $id" ;; esac
    done

    local raw="$out/gemm.csv" t id f simdrnn_ok=0 simdrnn_failed=""
    echo "harness,problem,threads,ms_median,gflops" >"$raw"
    # Per thread count and problem, the harnesses run back to back, so that a change of load
    # on a shared machine hits both sides of a row alike.
    for t in $threads; do
        for id in $ids; do
            f="$out/$id-t$t"
            log "threads $t, $id: openblas"
            run_harness openblas "$f-openblas" 1 "$raw" "${openblas_env[@]}" "$here/build/openblas_gemm" \
                --problem "$id" --threads "$t" --iters "$iters" --csv
            case " $gemv_ids " in
                *" $id "*)
                    log "threads $t, $id: openblas sgemv"
                    run_harness openblas-sgemv "$f-openblas-sgemv" 1 "$raw" "${openblas_env[@]}" \
                        "$here/build/openblas_gemm" --gemv --problem "$id" --threads "$t" --iters "$iters" --csv ;;
            esac
            [ -n "$simdrnn_bin" ] || continue
            log "threads $t, $id: simdrnn"
            if run_harness simdrnn-gemm "$f-simdrnn" 0 "$raw" "$simdrnn_bin" bench \
                    --problem "$id" --threads "$t" --iters "$iters" --csv; then
                simdrnn_ok=1
            else
                simdrnn_failed+=" $id/t$t"
            fi
        done
    done
    if [ -n "$simdrnn_bin" ]; then
        if [ -n "$simdrnn_failed" ] && [ "$simdrnn_ok" = 0 ]; then
            simdrnn_note="FAILED: simdrnn bench gave no valid CSV (see $out/*-simdrnn.log); OpenBLAS only"
        elif [ -n "$simdrnn_failed" ]; then
            simdrnn_note="FAILED for$simdrnn_failed (see $out/*-simdrnn.log)"
        fi
        local path_line commit
        path_line=$("$simdrnn_bin" info </dev/null 2>/dev/null | sed -n 's/^SimdRnn path: *//p' | head -1) || true
        commit=""
        if [ "$simdrnn_built" = 1 ]; then
            commit=$(cd "$root" && git describe --always --dirty 2>/dev/null) || commit="?"
        fi
        simdrnn_note="$simdrnn_bin${commit:+ (built from $commit)}, path ${path_line:-unknown}${simdrnn_note:+; $simdrnn_note}"
    fi

    local core version model
    core=$(sed -n 's/^openblas_gemm: core=\([^ ]*\).*/\1/p' "$out"/*-openblas*.log | sort -u | paste -sd/ -)
    version=$(dpkg-query -W -f='${Version}' libopenblas-dev 2>/dev/null || echo unknown)
    model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
    {
        echo "### GEMM: SimdRnn vs OpenBLAS (row-major sgemm, fp32)"
        echo
        echo "Machine: ${model:-unknown CPU}, $(nproc) cores (nproc); load average at start: $load_start."
        echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Median of $iters timed calls after warm-up; GFLOP/s = 2*M*N*K / median."
        echo "OpenBLAS $version (Debian libopenblas-dev), core **${core:-unknown}** ($coretype_note)."
        echo "SimdRnn: $simdrnn_note."
        echo
        "$python" "$here/table.py" --baseline openblas --ours simdrnn-gemm "$raw"
        if [ -n "$gemv_ids" ]; then
            echo
            echo "M = 1 against OpenBLAS's cblas_sgemv (its 0.3.21 sgemm takes the packed GEMM path for M = 1):"
            echo
            "$python" "$here/table.py" --baseline openblas-sgemv --baseline-label "openblas sgemv" \
                --ours simdrnn-gemm "$raw"
        fi
    } | tee "$out/gemm.md"
    log "raw CSV: $raw; table: $out/gemm.md"
}

out="$here/results/$stamp"
mkdir -p "$out"
trap 'rmdir "$out" 2>/dev/null || true' EXIT # leaves no empty directory behind a failed start
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for s in $run_suites; do
    "run_suite_$s"
done
