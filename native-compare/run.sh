#!/usr/bin/env bash
# native-compare/run.sh: SimdRnn against native libraries on the problems of problems.tsv
# (conventions in PROBLEMS.md).
# Installs what it needs, builds the harnesses, runs them one after another (never in
# parallel) for each thread count and prints a markdown table; see README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

# The problem lists come from the one table every harness reads; the harnesses check its rows
# strictly, this script only that it is the table it expects (awk: no dependency before installs).
problem_table=$here/problems.tsv
table_header=$(printf 'id\tkind\tcell\tI\tH\tP\tN\tT\tmode\tM\tK\ta_transposed\torigin')
[ -r "$problem_table" ] || { echo "run.sh: cannot read $problem_table" >&2; exit 2; }
[ "$(head -1 "$problem_table")" = "$table_header" ] ||
    { echo "run.sh: $problem_table does not start with the header: $table_header" >&2; exit 2; }
# table_ids AWK-CONDITION: the ids of the rows that satisfy it, in table order ($2 kind, $3 cell,
# $6 P, $9 mode, $10 M).
table_ids() { awk -F'\t' "NR > 1 && ($1) { printf \"%s%s\", sep, \$1; sep = \" \" }" "$problem_table"; }
GEMM_PROBLEMS=$(table_ids '$2 == "gemm"')
GEMV_PROBLEMS=$(table_ids '$2 == "gemm" && $10 == 1') # M = 1: also timed with cblas_sgemv (OpenBLAS 0.3.21 sgemm has no GEMV path)
RNN_TRAIN_PROBLEMS=$(table_ids '$2 == "rnn" && $9 == "train"')
RNN_INFER_PROBLEMS=$(table_ids '$2 == "rnn" && $9 == "infer"')
RNN_STREAM_PROBLEMS=$(table_ids '$2 == "rnn" && $9 == "stream"') # one step per call: SimdRnn and ONNX Runtime only
RNN_PROBLEMS="$RNN_TRAIN_PROBLEMS $RNN_INFER_PROBLEMS $RNN_STREAM_PROBLEMS"
# ONNX's LSTM has no projection; its default GRU is the reset-first one (export_onnx.py builds it with onnx.helper).
ONNX_PROBLEMS=$(table_ids '$2 == "rnn" && ($9 == "infer" || $9 == "stream") && ($3 == "lstm" || $3 == "gru" || $3 == "gru-reset-first") && $6 == "-"')
# PyTorch has no reset-first GRU (and torch_rnn.py runs no stream problem).
TORCH_PROBLEMS=$(table_ids '$2 == "rnn" && $9 != "stream" && $3 != "gru-reset-first"')

# in_list ID "LIST": whether ID is a word of LIST.
in_list() { case " $2 " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
SUITES="gemm rnn train" # suites that exist; `all` runs the benchmark suites gemm and rnn

usage() {
    cat <<USAGE
usage: native-compare/run.sh [options]
  --suite S              gemm | rnn | train | all (default gemm; all = gemm and rnn)
  --threads "1 2"        thread counts to run (default "1 2"; gemm and rnn)
  --problems "ID ..."    problem IDs of the suite(s) run (default: all of them), from
                         native-compare/problems.tsv:
                           gemm: $GEMM_PROBLEMS
                           rnn:  $RNN_PROBLEMS
                           (of these, mode stream, one step per call, SimdRnn and ONNX Runtime
                           only: $RNN_STREAM_PROBLEMS; PyTorch does not run the cell
                           gru-reset-first, ONNX Runtime no projection)
  --iters K              timed calls per problem and harness, K >= 10 (default 20)
  --rounds R             gemm and rnn: run every harness R times, interleaved (round 1: all
                         harnesses on all problems and thread counts, then round 2, ...); the
                         tables give each harness's median ms over the rounds and the median
                         and range (min-max) of the per-round ratio other ms / simdrnn ms
                         (default 1)
  --openblas-coretype C  OPENBLAS_CORETYPE for OpenBLAS (the gemm harness and PyTorch):
                         auto (default): chosen from the CPU flags (avx512_bf16: Cooperlake,
                           avx512f: SkylakeX, AMD with avx2: Zen, avx2: Haswell), falling back
                           down that list to the first core that runs the first gemm problem
                           (${GEMM_PROBLEMS%% *}) and passes its result check;
                         detect: unset, the kernels OpenBLAS 0.3.21 detects itself; or a core
                           name to force (e.g. Haswell)
  --simdrnn-bin PATH     use this simdrnn binary instead of building src/SimdRnn.Cli
  --no-simdrnn           run the native harnesses only
  --no-onnxruntime       rnn suite: leave out the ONNX Runtime harness (by default it runs
                         the infer and stream problems when dotnet is present)
  --no-torch             rnn suite: leave out the PyTorch harness (its columns print n/a)
  --torch-malloc M       tuned | default (default tuned): PyTorch (rnn and train suites) with glibc
                         malloc told to keep freed memory (MALLOC_MMAP_THRESHOLD_ etc.), or with
                         glibc's defaults, under which every backward pays fresh page faults
  --omp-passive          rnn and train suites: run oneDNN and PyTorch with OMP_WAIT_POLICY=passive
                         (OpenMP threads sleep instead of spinning between parallel regions:
                         slower on an idle machine, far steadier on a loaded one)
  --train-minutes M      train suite: minutes of training for torch_train.py (default 4.5)
  --train-threads N      train suite: torch threads for torch_train.py (default 2)
  --no-install           do not apt-get install missing packages
  -h, --help             this text
USAGE
}

die() { echo "run.sh: $*" >&2; exit 2; }
log() { echo "run.sh: $*" >&2; }

suite=gemm threads="1 2" problems="" iters=20 rounds=1 coretype=auto use_onnxruntime=1 use_torch=1
simdrnn_bin="" use_simdrnn=1 install=1 train_minutes=4.5 train_threads=2 torch_malloc=tuned omp_passive=0
while [ $# -gt 0 ]; do
    case "$1" in
        --suite|--threads|--problems|--iters|--rounds|--openblas-coretype|--simdrnn-bin|--train-minutes|--train-threads|--torch-malloc)
            [ $# -ge 2 ] || die "$1 needs a value"
            case "$1" in
                --torch-malloc) torch_malloc=$2 ;;
                --train-minutes) train_minutes=$2 ;;
                --train-threads) train_threads=$2 ;;
                --suite) suite=$2 ;;
                --threads) threads=$2 ;;
                --problems) problems=$2 ;;
                --iters) iters=$2 ;;
                --rounds) rounds=$2 ;;
                --openblas-coretype) coretype=$2 ;;
                --simdrnn-bin) simdrnn_bin=$2 ;;
            esac
            shift 2 ;;
        --no-simdrnn) use_simdrnn=0; shift ;;
        --no-onnxruntime) use_onnxruntime=0; shift ;;
        --no-torch) use_torch=0; shift ;;
        --no-install) install=0; shift ;;
        --omp-passive) omp_passive=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
done

case "$suite" in
    all) run_suites="gemm rnn" ;;
    gemm|rnn|train) run_suites=$suite ;;
    *) die "unknown suite '$suite' (available: $SUITES, all)" ;;
esac
# --problems: every ID must belong to a suite that runs; each suite runs its own IDs (a suite
# of `all` none of whose problems were named is skipped).
suite_problems() {
    case "$1" in
        gemm) echo "$GEMM_PROBLEMS" ;;
        rnn) echo "$RNN_PROBLEMS" ;;
        *) echo "" ;;
    esac
}
if [ -n "$problems" ]; then
    [ "$run_suites" != train ] || die "--problems does not apply to the train suite"
    for id in $problems; do
        found=0
        for s in $run_suites; do
            case " $(suite_problems "$s") " in *" $id "*) found=1 ;; esac
        done
        [ "$found" = 1 ] || die "unknown problem '$id' for suite $suite (known: $(for s in $run_suites; do suite_problems "$s"; done | paste -sd' ' -))"
    done
fi
# selected_problems SUITE: the IDs of SUITE to run (all of them without --problems).
selected_problems() {
    local all id sel=""
    all=$(suite_problems "$1")
    [ -n "$problems" ] || { echo "$all"; return; }
    for id in $problems; do
        case " $all " in *" $id "*) sel+="${sel:+ }$id" ;; esac
    done
    echo "$sel"
}
if ! [[ "$iters" =~ ^[0-9]+$ ]] || [ "$iters" -lt 10 ]; then die "--iters must be an integer >= 10, got '$iters'"; fi
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer, got '$rounds'"
[[ "$coretype" =~ ^[A-Za-z0-9_]+$ ]] || die "--openblas-coretype: '$coretype' is not a core name, auto or detect"
[ -n "${threads// /}" ] || die "--threads is empty"
for t in $threads; do
    [[ "$t" =~ ^[1-9][0-9]*$ ]] || die "--threads: '$t' is not a positive integer"
done
[ -z "$simdrnn_bin" ] || [ -x "$simdrnn_bin" ] || die "--simdrnn-bin: '$simdrnn_bin' is not executable"
[ -z "$simdrnn_bin" ] || simdrnn_bin=$(readlink -f "$simdrnn_bin") # absolute: the train suite runs it elsewhere
if ! [[ "$train_minutes" =~ ^[0-9]+(\.[0-9]+)?$ ]] || ! awk -v m="$train_minutes" 'BEGIN { exit !(m > 0) }'; then
    die "--train-minutes must be a positive number, got '$train_minutes'"
fi
case "$torch_malloc" in tuned|default) ;; *) die "--torch-malloc must be tuned or default, got '$torch_malloc'" ;; esac
[[ "$train_threads" =~ ^[1-9][0-9]*$ ]] || die "--train-threads: '$train_threads' is not a positive integer"

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

# valid_csv HARNESS FILE: the exact CSV header, then only well-formed rows of HARNESS (an
# extended regular expression matched against the whole harness field, e.g. onednn-(fwd|bwd)).
valid_csv() {
    awk -F, -v h="^($1)\$" '
        NR == 1 { ok = ($0 == "harness,problem,threads,ms_median,gflops"); next }
        !($1 ~ h && NF == 5 && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9.eE+-]+$/ && $5 ~ /^[0-9.eE+-]+$/) { ok = 0 }
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
simdrnn_note="" simdrnn_built=0 simdrnn_tried=0
build_simdrnn() {
    [ "$use_simdrnn" = 1 ] || { simdrnn_note="not run (--no-simdrnn)"; return; }
    [ -z "$simdrnn_bin" ] || return 0
    [ "$simdrnn_tried" = 0 ] || return 0 # one build attempt per run, whatever the suites
    simdrnn_tried=1
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

# ensure_openblas_harness: installs OpenBLAS and gcc if missing and builds build/openblas_gemm, once.
openblas_harness_built=0
ensure_openblas_harness() {
    [ "$openblas_harness_built" = 0 ] || return 0
    local need=(libopenblas-dev)
    command -v gcc >/dev/null || need+=(gcc)
    [ -x "$python" ] || need+=(python3)
    ensure_packages "${need[@]}"
    log "building native-compare/build/openblas_gemm"
    build_openblas_harness
    openblas_harness_built=1
}

# OpenBLAS settings of the gemm harness and of PyTorch (whose matrix products are OpenBLAS's);
# OPENBLAS_L2_SIZE, which some machines here set beside OPENBLAS_CORETYPE, is always unset with it.
openblas_env=() coretype_note="" openblas_chosen=0
# PyTorch: with the default glibc malloc, the large blocks a forward/backward allocates are
# mmap'ed and unmapped on free, so every call pays fresh page faults (lstm-seed backward: a median
# of 11-13 ms with a spread of 8-25 ms, against a steady 8.5 ms when freed memory is kept):
# "tuned" keeps it. torch_env = openblas_env + these, once the OpenBLAS core is chosen.
torch_settings=() torch_env=() torch_malloc_note="glibc malloc defaults"
if [ "$torch_malloc" = tuned ]; then
    torch_settings+=(MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=268435456)
    torch_malloc_note="glibc malloc tuned to keep freed memory (MALLOC_MMAP_THRESHOLD_=MALLOC_TRIM_THRESHOLD_=4 GiB, MALLOC_TOP_PAD_=256 MiB)"
fi

# OpenMP (oneDNN's and torch's threads): spinning by default; --omp-passive makes them sleep.
omp_env=() omp_note="OpenMP wait policy: the default (spinning)"
if [ "$omp_passive" = 1 ]; then
    omp_env=(OMP_WAIT_POLICY=passive)
    omp_note="OpenMP wait policy: passive (--omp-passive)"
    torch_settings+=(OMP_WAIT_POLICY=passive)
fi

# openblas_candidates: the OpenBLAS 0.3.21 cores worth trying on this CPU, best first, from its
# flags (Zen and Haswell run the same AVX2 kernels; Zen is what 0.3.21 detects on a Zen 3).
openblas_candidates() {
    local flags vendor
    flags=" $(lscpu | sed -n 's/^Flags: *//p') " vendor=$(lscpu | sed -n 's/^Vendor ID: *//p')
    if [[ "$flags" == *" avx512_bf16 "* ]]; then echo "Cooperlake SkylakeX Haswell"
    elif [[ "$flags" == *" avx512f "* ]]; then echo "SkylakeX Haswell"
    elif [[ "$flags" == *" avx2 "* && "$vendor" == AuthenticAMD ]]; then echo "Zen Haswell"
    elif [[ "$flags" == *" avx2 "* ]]; then echo "Haswell"
    fi
}

# choose_openblas_core: sets openblas_env, coretype_note and torch_env once per run, from
# --openblas-coretype. auto keeps the first candidate core that runs the first gemm problem and
# passes its result check: a core the CPU cannot run dies (SIGILL; SkylakeX on a Zen 3), and one
# this OpenBLAS cannot use falls back to another, which its core= line shows (Cooperlake -> Haswell).
choose_openblas_core() {
    [ "$openblas_chosen" = 0 ] || return 0
    openblas_chosen=1
    local check=${GEMM_PROBLEMS%% *} candidates c core
    case "$coretype" in
        detect)
            openblas_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
            coretype_note="OPENBLAS_CORETYPE unset (--openblas-coretype detect): kernels OpenBLAS detects for this CPU" ;;
        auto)
            candidates=$(openblas_candidates)
            openblas_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
            coretype_note="OPENBLAS_CORETYPE unset: none of \"$candidates\" ran $check here; kernels OpenBLAS detects"
            ensure_openblas_harness
            for c in $candidates; do
                if core=$(timeout 300 env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$c" "$here/build/openblas_gemm" \
                        --table "$problem_table" --problem "$check" --threads 1 --iters 10 --csv 2>&1 >/dev/null </dev/null |
                        sed -n 's/^openblas_gemm: core=\([^ ]*\).*/\1/p') && [ "${core,,}" = "${c,,}" ]; then
                    openblas_env=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$c")
                    coretype_note="OPENBLAS_CORETYPE=$c chosen for this CPU: the first of \"$candidates\" (from its flags) that ran $check and checked it"
                    break
                fi
                log "OpenBLAS core $c does not run here (${core:-no core= line}); trying the next"
            done ;;
        *)
            openblas_env=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$coretype")
            coretype_note="OPENBLAS_CORETYPE=$coretype forced" ;;
    esac
    torch_env=("${openblas_env[@]}" "${torch_settings[@]}")
    log "OpenBLAS: $coretype_note"
}

# describe_dotnet_harness NAME BIN NOTE FAILED OK: the part of a table header line that says which
# binary ran, or why it did not. NOTE: why it did not run (empty if it did), FAILED: the
# problem/threads it failed for, OK: 1 if any call worked; the logs are $out/*-NAME.log.
describe_dotnet_harness() {
    local name=$1 bin=$2 note=$3 failed=$4 ok=$5
    if [ -z "$bin" ]; then
        echo "$note"
    elif [ -n "$failed" ] && [ "$ok" = 0 ]; then
        echo "$bin; FAILED: no valid CSV (see $out/*-$name.log)"
    elif [ -n "$failed" ]; then
        echo "$bin; FAILED for$failed (see $out/*-$name.log)"
    else
        echo "$bin"
    fi
}

# describe_simdrnn NOTE FAILED OK: the "SimdRnn:" line of a table header (arguments as above).
describe_simdrnn() {
    local described path_line commit=""
    described=$(describe_dotnet_harness simdrnn "$simdrnn_bin" "$@")
    [ -n "$simdrnn_bin" ] || { echo "$described"; return; }
    path_line=$("$simdrnn_bin" info </dev/null 2>/dev/null | sed -n 's/^SimdRnn path: *//p' | head -1) || true
    if [ "$simdrnn_built" = 1 ]; then
        commit=$(cd "$root" && git describe --always --dirty 2>/dev/null) || commit="?"
    fi
    echo "$simdrnn_bin${commit:+ (built from $commit)}, path ${path_line:-unknown}${described#"$simdrnn_bin"}"
}

# cpu_line: lscpu's model name, with the family and model that tell CPU generations apart
# where the name does not (a Zen 3 and a Zen 5 are both "AMD EPYC" here).
cpu_line() {
    local model family number
    model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
    family=$(lscpu | sed -n 's/^CPU family: *//p' | head -1)
    number=$(lscpu | sed -n 's/^Model: *//p' | head -1)
    echo "${model:-unknown CPU}${family:+ (family $family, model $number)}"
}

machine_line() {
    echo "Machine: $(cpu_line), $(nproc) cores (nproc); load average at start: $load_start."
}

rounds_line() {
    if [ "$rounds" = 1 ]; then
        echo "Median of $iters timed calls after warm-up, one round."
    else
        echo "$rounds rounds, interleaved (every harness on every problem and thread count, then again); in each round the"
        echo "median of $iters timed calls after warm-up. ms = the median of a harness's rounds; a ratio X ms / simdrnn ms is the"
        echo "median over the rounds of that round's ratio, with its range (min-max); > 1: SimdRnn faster."
    fi
}

# each_row SUITE IDS ROW-FUNCTION: the loops of a suite: for every round, thread count and problem
# of IDS (rounds outermost), ROW-FUNCTION runs that problem's harnesses back to back, so that a
# change of load on a shared machine hits all sides of a row alike. It sees r, t, id, raw (the
# round's CSV) and f (the start of the row's file names), which harness_call uses.
each_row() {
    local suite=$1 ids=$2 row=$3 r t id raw f
    for r in $(seq 1 "$rounds"); do
        raw="$out/$suite-round$r.csv"
        echo "harness,problem,threads,ms_median,gflops" >"$raw"
        for t in $threads; do
            for id in $ids; do
                f="$out/$id-t$t-r$r"
                "$row"
            done
        done
    done
}

# harness_call LABEL CSV-HARNESS FATAL CMD...: one harness of the current row of each_row, its
# files $f-LABEL.csv/.log. FATAL = 1 exits on a failure; otherwise a failure only leaves n/a, and
# LABEL_ok (1 once a call worked) and LABEL_failed (the rows that failed), variables of the
# calling suite, tell its table header.
harness_call() {
    local label=$1 csv_harness=$2 fatal=$3 failed
    shift 3
    log "round $r, threads $t, $id: $label"
    if run_harness "$csv_harness" "$f-$label" "$fatal" "$raw" "$@"; then
        [ "$fatal" = 1 ] || printf -v "${label}_ok" 1
    else
        failed="${label}_failed"
        printf -v "$failed" '%s' "${!failed} $id/t$t/r$r"
    fi
}

# round_files SUITE: the raw CSV of each round, in order.
round_files() {
    local r
    for r in $(seq 1 "$rounds"); do echo "$out/$1-round$r.csv"; done
}

# gemm_row: the harnesses of one row of the gemm suite (each_row; gemv_ids from run_suite_gemm).
gemm_row() {
    harness_call openblas openblas 1 "${openblas_env[@]}" "$here/build/openblas_gemm" \
        --table "$problem_table" --problem "$id" --threads "$t" --iters "$iters" --csv
    if in_list "$id" "$gemv_ids"; then
        harness_call openblas-sgemv openblas-sgemv 1 "${openblas_env[@]}" "$here/build/openblas_gemm" \
            --table "$problem_table" --gemv --problem "$id" --threads "$t" --iters "$iters" --csv
    fi
    [ -z "$simdrnn_bin" ] ||
        harness_call simdrnn simdrnn-gemm 0 "$simdrnn_bin" bench --problem "$id" --threads "$t" --iters "$iters" --csv
}

run_suite_gemm() {
    local ids id
    ids=$(selected_problems gemm)
    if [ -z "$ids" ]; then
        log "gemm: none of the --problems is a gemm problem; skipped"
        return
    fi
    ensure_openblas_harness
    choose_openblas_core
    build_simdrnn

    local gemv_ids=""
    for id in $ids; do
        case " $GEMV_PROBLEMS " in *" $id "*) gemv_ids+=" $id" ;; esac
    done

    local simdrnn_ok=0 simdrnn_failed=""
    each_row gemm "$ids" gemm_row
    local note core version raws
    mapfile -t raws < <(round_files gemm)
    note=$(describe_simdrnn "$simdrnn_note" "$simdrnn_failed" "$simdrnn_ok")
    core=$(sed -n 's/^openblas_gemm: core=\([^ ]*\).*/\1/p' "$out"/*-openblas*.log | sort -u | paste -sd/ - || true)
    version=$(dpkg-query -W -f='${Version}' libopenblas-dev 2>/dev/null || echo unknown)
    {
        echo "### GEMM: SimdRnn vs OpenBLAS (row-major sgemm, fp32)"
        echo
        machine_line
        echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). GFLOP/s = 2*M*N*K / median."
        rounds_line
        echo "OpenBLAS $version (Debian libopenblas-dev), core **${core:-unknown}** ($coretype_note)."
        echo "SimdRnn: $note."
        echo
        "$python" "$here/table.py" --baseline openblas --ours simdrnn-gemm "${raws[@]}"
        if [ -n "$gemv_ids" ]; then
            echo
            echo "M = 1 against OpenBLAS's cblas_sgemv (its 0.3.21 sgemm takes the packed GEMM path for M = 1):"
            echo
            "$python" "$here/table.py" --baseline openblas-sgemv --baseline-label "openblas sgemv" \
                --ours simdrnn-gemm --problems "$gemv_ids" "${raws[@]}"
        fi
    } | tee "$out/gemm.md"
    log "raw CSV: ${raws[*]}; table: $out/gemm.md"
}

build_onednn_harness() {
    mkdir -p "$here/build"
    g++ -O2 -march=native -std=c++17 -Wall -Wextra -fopenmp -o "$here/build/onednn_rnn" \
        "$here/onednn_rnn.cpp" -ldnnl
}

# build_onnxruntime IDS: builds the ONNX Runtime harness (onnxruntime_rnn/, not in the solution)
# into build/onnxruntime_rnn and exports the models of IDS into build/onnx (again when the export
# script or the problem table is newer); sets onnxruntime_bin, or onnxruntime_note saying why not.
onnxruntime_bin="" onnxruntime_note=""
build_onnxruntime() {
    [ "$use_onnxruntime" = 1 ] || { onnxruntime_note="not run (--no-onnxruntime)"; return; }
    command -v dotnet >/dev/null || { onnxruntime_note="not run: dotnet not found"; return; }
    log "building native-compare/onnxruntime_rnn (Release), log in $out/onnxruntime-build.log"
    if ! (cd "$root" && dotnet build -c Release --use-current-runtime native-compare/onnxruntime_rnn \
            -o "$here/build/onnxruntime_rnn") </dev/null >"$out/onnxruntime-build.log" 2>&1; then
        grep -E 'error' "$out/onnxruntime-build.log" | sort -u | head -5 >&2 || true
        onnxruntime_note="not run: its dotnet build failed (see $out/onnxruntime-build.log)"; return
    fi
    local models="$here/build/onnx" id stale=()
    for id in $1; do
        if ! [ "$models/$id.onnx" -nt "$here/export_onnx.py" ] || ! [ "$models/$id.onnx" -nt "$problem_table" ] ||
            ! [ -s "$models/$id.weights.f32" ]; then
            stale+=("$id")
        fi
    done
    if [ ${#stale[@]} -gt 0 ]; then
        log "exporting the ONNX models of ${stale[*]} into $models (log $out/onnx-export.log)"
        if ! (cd "$here" && "$python" export_onnx.py --table "$problem_table" --out "$models" --problem "${stale[@]}") \
                </dev/null >"$out/onnx-export.log" 2>&1; then
            tail -5 "$out/onnx-export.log" >&2
            onnxruntime_note="not run: export_onnx.py failed (see $out/onnx-export.log)"; return
        fi
    fi
    onnxruntime_bin="$here/build/onnxruntime_rnn/onnxruntime_rnn"
}

# rnn_row: the harnesses of one row of the rnn suite (each_row; stream_ids and onnx_ids from
# run_suite_rnn): oneDNN, PyTorch, ONNX Runtime, SimdRnn. oneDNN and PyTorch do not run the stream
# problems (one step per call, state carried), PyTorch not the reset-first GRU, ONNX Runtime only
# the infer and stream LSTM / GRU ones without a projection.
rnn_row() {
    if ! in_list "$id" "$stream_ids"; then
        harness_call onednn 'onednn-(fwd|bwd|train|infer)' 1 env "${omp_env[@]}" OMP_NUM_THREADS="$t" \
            "$here/build/onednn_rnn" --table "$problem_table" --problem "$id" --threads "$t" --iters "$iters" --csv
    fi
    if [ "$use_torch" = 1 ] && in_list "$id" "$TORCH_PROBLEMS"; then
        harness_call torch 'torch-(fwd|bwd|train|infer)' 1 "${torch_env[@]}" OMP_NUM_THREADS="$t" "$python" \
            "$here/torch_rnn.py" --table "$problem_table" --problem "$id" --threads "$t" --iters "$iters" --csv
    fi
    if [ -n "$onnxruntime_bin" ] && in_list "$id" "$onnx_ids"; then
        harness_call onnxruntime onnxruntime 0 "$onnxruntime_bin" --models "$here/build/onnx" \
            --table "$problem_table" --problem "$id" --threads "$t" --iters "$iters" --csv
    fi
    [ -z "$simdrnn_bin" ] || harness_call simdrnn 'simdrnn-(fwd|bwd|train|train-prepared|train-varlen|infer|infer-bf16|stream|stream-bf16)|read-bound(-bf16)?' 0 \
        "$simdrnn_bin" bench --problem "$id" --threads "$t" --iters "$iters" --csv
}

run_suite_rnn() {
    local ids id
    ids=$(selected_problems rnn)
    if [ -z "$ids" ]; then
        log "rnn: none of the --problems is an rnn problem; skipped"
        return
    fi
    local train_ids="" infer_ids="" stream_ids="" onnx_ids=""
    for id in $ids; do
        if in_list "$id" "$RNN_TRAIN_PROBLEMS"; then train_ids+=" $id"
        elif in_list "$id" "$RNN_INFER_PROBLEMS"; then infer_ids+=" $id"
        else stream_ids+=" $id"; fi
        ! in_list "$id" "$ONNX_PROBLEMS" || onnx_ids+=" $id"
    done
    local need=(libdnnl-dev python3-torch)
    [ "$use_onnxruntime" = 0 ] || [ -z "$onnx_ids" ] || need+=(python3-onnx)
    command -v g++ >/dev/null || need+=(g++)
    [ -x "$python" ] || need+=(python3)
    ensure_packages "${need[@]}"
    choose_openblas_core
    log "building native-compare/build/onednn_rnn"
    build_onednn_harness
    build_simdrnn
    if [ -n "$onnx_ids" ]; then build_onnxruntime "$onnx_ids"; else onnxruntime_note="no infer or stream lstm/gru problem selected"; fi

    local simdrnn_ok=0 simdrnn_failed="" onnxruntime_ok=0 onnxruntime_failed=""
    each_row rnn "$ids" rnn_row

    local note ort_note onednn_info="" impls="" torch_info="" torch_version torch_pkg core="" aten raws
    mapfile -t raws < <(round_files rnn)
    note=$(describe_simdrnn "$simdrnn_note" "$simdrnn_failed" "$simdrnn_ok")
    ort_note=$(describe_dotnet_harness onnxruntime "$onnxruntime_bin" "$onnxruntime_note" "$onnxruntime_failed" "$onnxruntime_ok")
    if [ -n "$train_ids$infer_ids" ]; then
        onednn_info=$(sed -n 's/^onednn_rnn: \(oneDNN [^,]*\), cpu isa \([^,]*\),.*/\1, ISA \2/p' "$out"/*-onednn.log | sort -u | paste -sd/ - || true)
        impls=$( { sed -n 's/^onednn_rnn: \([^ ]*\) (.*: forward impl \([^;]*\);.*/\1 fwd \2/p' "$out"/*-onednn.log
                   sed -n 's/^onednn_rnn: \([^ ]*\): backward impl \([^;]*\);.*/\1 bwd \2/p' "$out"/*-onednn.log
                 } | sort -u | awk '{ k = $2 " " $3; if (!(k in l)) o[n++] = k; l[k] = l[k] " " $1 }
                     END { for (i = 0; i < n; i++) printf "%s%s%s", (i ? "; " : ""), o[i] ":", l[o[i]] }')
        # Without the PyTorch harness (--no-torch) there are no torch logs.
        torch_info=$(cat "$out"/*-torch.log 2>/dev/null | grep -h '^torch_rnn: torch ' | head -1 || true)
        core=$(cat "$out"/*-torch.log 2>/dev/null | sed -n 's/^torch_rnn: .* core=\([^ ]*\) .*/\1/p' | sort -u | paste -sd/ - || true)
    fi
    torch_version=$(sed -n 's/^torch_rnn: torch \([^,]*\),.*/\1/p' <<<"$torch_info")
    aten=$(sed -n 's/.*ATen cpu capability \([^;]*\);.*/\1/p' <<<"$torch_info")
    torch_pkg=$(dpkg-query -W -f='${Version}' python3-torch 2>/dev/null || echo unknown)
    {
        echo "### RNN: SimdRnn vs oneDNN, PyTorch and ONNX Runtime (one layer, unidirectional, time-major, fp32)"
        echo
        machine_line
        echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). GFLOP/s with the native-compare/PROBLEMS.md convention:"
        echo "forward = 2*T*N*(G*H*(I+S) + P*H) (G = 1 rnn, 3 gru, 4 lstm; S = P with a projection, else H; P = 0 without),"
        echo "backward = 2x, train = 3x forward; simdrnn-train-varlen counts the valid steps only."
        rounds_line
        echo "${onednn_info:-oneDNN: unknown version} (Debian libdnnl-dev $(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null || echo '?'), OpenMP);"
        echo "weights reordered into oneDNN's preferred layout (format_tag::any) outside the timed region."
        echo "oneDNN implementations (\`ref\` = the ref_rnn driver, its matrix products by oneDNN's jit sgemm; \`brgemm\` = AVX-512 brgemm kernels, forward_inference only in 2.6): ${impls:-unknown}."
        echo "PyTorch: torch ${torch_version:-unknown} (Debian python3-torch $torch_pkg): nn.LSTM (proj_size = P) / nn.GRU / nn.RNN(tanh), no reset-first GRU (n/a),"
        echo "ATen element-wise kernels ${aten:-unknown}, matrix products by OpenBLAS core **${core:-unknown}** ($coretype_note);"
        echo "$torch_malloc_note."
        echo "$omp_note. Figures at 2 threads are only worth reading when the load average is well below 1."
        echo "ONNX Runtime (harness onnxruntime: models from torch.onnx.export, the reset-first GRU from onnx.helper; no projection; inputs and outputs bound once, intra-op threads = threads): $ort_note."
        echo "SimdRnn: $note."
        if [ -n "$train_ids" ]; then
            echo
            echo "Training step (forward_training + backward: data, weight and bias gradients):"
            echo
            "$python" "$here/table.py" --baseline onednn-train --baseline-label onednn \
                --baseline torch-train --baseline-label torch --ours simdrnn-train "${raws[@]}"
            echo
            echo "Training step with prepared weights (SimdRnn: PreparedWeights.Refresh + forward + backward, what a trainer does per optimizer step):"
            echo
            "$python" "$here/table.py" --baseline onednn-train --baseline-label onednn \
                --baseline torch-train --baseline-label torch --ours simdrnn-train-prepared "${raws[@]}"
            echo
            echo "Forward (training forward, keeping what backward needs), alone:"
            echo
            "$python" "$here/table.py" --baseline onednn-fwd --baseline-label onednn \
                --baseline torch-fwd --baseline-label torch --ours simdrnn-fwd "${raws[@]}"
            echo
            echo "Backward alone (after an untimed forward):"
            echo
            "$python" "$here/table.py" --baseline onednn-bwd --baseline-label onednn \
                --baseline torch-bwd --baseline-label torch --ours simdrnn-bwd "${raws[@]}"
            echo
            echo "SimdRnn's training step on a variable-length batch (lengths spread evenly over [T/2, T]) against the dense one;"
            echo "the varlen GFLOP/s counts the valid steps only, so the two rates compare (dense ms / varlen ms >= 1.25: at most 0.8x the time):"
            echo
            "$python" "$here/table.py" --baseline simdrnn-train --baseline-label simdrnn-dense \
                --ours simdrnn-train-varlen --ours-label simdrnn-varlen "${raws[@]}"
        fi
        if [ -n "$infer_ids" ]; then
            echo
            echo "Inference (forward_inference; torch.inference_mode(); SimdRnn on weights prepared once):"
            echo
            "$python" "$here/table.py" --baseline onednn-infer --baseline-label onednn \
                --baseline torch-infer --baseline-label torch --baseline onnxruntime --baseline-label onnxruntime \
                --baseline read-bound --baseline-label read-bound --ours simdrnn-infer --problems "$infer_ids" "${raws[@]}"
            echo
            echo "Inference with bfloat16 weights (SimdRnn: PreparedWeights in WeightFormat.BFloat16; the others float32):"
            echo
            "$python" "$here/table.py" --baseline simdrnn-infer --baseline-label simdrnn-fp32 --baseline onnxruntime \
                --baseline-label onnxruntime --baseline read-bound-bf16 --baseline-label read-bound-bf16 \
                --ours simdrnn-infer-bf16 --problems "$infer_ids" "${raws[@]}"
        fi
        if [ -n "$stream_ids" ]; then
            echo
            echo "Stream (one step per call, weights prepared once, the state carried from call to call; ms = per-step latency):"
            echo
            "$python" "$here/table.py" --baseline onnxruntime --baseline-label onnxruntime --baseline read-bound \
                --baseline-label read-bound --ours simdrnn-stream --problems "$stream_ids" "${raws[@]}"
            echo
            echo "Stream with bfloat16 weights:"
            echo
            "$python" "$here/table.py" --baseline simdrnn-stream --baseline-label simdrnn-fp32 --baseline onnxruntime \
                --baseline-label onnxruntime --baseline read-bound-bf16 --baseline-label read-bound-bf16 \
                --ours simdrnn-stream-bf16 --problems "$stream_ids" "${raws[@]}"
        fi
    } | tee "$out/rnn.md"
    log "raw CSV: ${raws[*]}; table: $out/rnn.md"
}

# The train suite: PyTorch's char-LSTM (torch_train.py) and `simdrnn train`, one after the
# other, each with its own output passed through; then both summaries.
run_suite_train() {
    local need=(python3-torch)
    [ -x "$python" ] || need+=(python3)
    ensure_packages "${need[@]}"
    choose_openblas_core
    build_simdrnn
    local limit tlog="$out/train-torch.log" slog="$out/train-simdrnn.log" result simdrnn_rc=0
    # Training minutes plus validation and start-up, with a margin.
    limit=$(awk -v m="$train_minutes" 'BEGIN { printf "%d", m * 60 * 1.5 + 600 }')
    log "train: torch_train.py, $train_minutes minutes, $train_threads threads (log $tlog)"
    if ! timeout "$limit" "${torch_env[@]}" OMP_NUM_THREADS="$train_threads" "$python" \
            "$here/torch_train.py" --minutes "$train_minutes" --threads "$train_threads" </dev/null \
            >"$tlog" 2>&1; then
        log "torch_train.py failed; the end of $tlog:"
        tail -20 "$tlog" >&2
        exit 1
    fi
    cat "$tlog" >&2
    result=$(grep '^RESULT ' "$tlog" | tail -1)
    [ -n "$result" ] || { log "torch_train.py printed no RESULT line (see $tlog)"; exit 1; }
    if [ -n "$simdrnn_bin" ]; then
        log "train: $simdrnn_bin train (torch_train.py's configuration; log $slog)"
        # In the results directory: it writes its loss plot (loss.svg) to the working directory. The same model,
        # data, optimizer and time as torch_train.py: constant learning rate (--lr-final 1), not simdrnn's defaults.
        (cd "$out" && timeout "$harness_timeout" "$simdrnn_bin" train --cell lstm --layers 1 --hidden 256 --seq-len 100 \
            --batch 32 --lr 0.002 --lr-final 1 --clip 5 --minutes "$train_minutes") </dev/null >"$slog" 2>&1 || simdrnn_rc=$?
        cat "$slog" >&2
    fi
    {
        echo "### Training speed: character-level LSTM on tinyshakespeare"
        echo
        machine_line
        echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')."
        echo
        echo "PyTorch (torch_train.py --minutes $train_minutes --threads $train_threads; torch $(dpkg-query -W -f='${Version}' python3-torch 2>/dev/null || echo '?'),"
        echo "$coretype_note; $torch_malloc_note; $omp_note):"
        echo
        echo '```'
        grep -E '^(config|torch|data|final) ' "$tlog" || true
        echo "$result"
        echo '```'
        echo
        if [ -z "$simdrnn_bin" ]; then
            echo "SimdRnn: $(describe_simdrnn "$simdrnn_note" "" 0)."
        else
            echo "SimdRnn ($simdrnn_bin train, torch_train.py's configuration; exit status $simdrnn_rc), the end of its output:"
            echo
            echo '```'
            tail -15 "$slog"
            echo '```'
        fi
    } | tee "$out/train.md"
    log "logs: $tlog${simdrnn_bin:+, $slog}; summary: $out/train.md"
}

out="$here/results/$stamp"
mkdir -p "$out"
trap 'rmdir "$out" 2>/dev/null || true' EXIT # leaves no empty directory behind a failed start
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "native-compare/run.sh --suite $suite: $(cpu_line), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); load average $load_start"
echo
first=1
for s in $run_suites; do
    [ "$first" = 1 ] || echo
    first=0
    "run_suite_$s"
done
