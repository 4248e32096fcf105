#!/usr/bin/env bash
# KernelPilot's gate on a GPU machine, through the bundled CLI (dist/cli.js) and a carried node binary:
#   bash bench/gpu-run.sh NODE_BIN OUTDIR          (from the repository root; needs nvcc, nvidia-smi; ncu for fidelity)
# 1. Per example in examples/cuda/: `bench` (OUTDIR/<ex>.bench.json), then ONE `compare` of all its candidates
#    against one prepared baseline (OUTDIR/<ex>.compare.json, an array; each candidate with its own launch where
#    candidates/<name>.launch.json exists). Exit 0 all accepted, 3 some rejected: either is a result.
# 2. Fidelity (ncu): the harness's kernel time (CUPTI) against ncu's gpu__time_duration (--clock-control none) for
#    the same kernel at the same sizes: vector_add from 2^12 to 2^26 elements and the other examples at 2-3 sizes
#    (OUTDIR/fidelity-<ex>-<point>.json); one point also timed with CUDA events, the method the gate falls back to.
# 3. Speed: the seconds from a candidate's source to its verdict (from compare's JSON), baseline preparation (bench
#    wall time), and throughput: THROUGHPUT copies of vector_add's fast candidate (each a distinct source, so each
#    is compiled) gated in one call (OUTDIR/throughput.json).
# The LAST output is the summary table (also OUTDIR/summary.txt): verdicts, fidelity, speed, verification cost.
# 4. Run-to-run: REPEATS (5) separate `bench` runs of REPEAT_EXAMPLES ("vector_add softmax"): the CV of their medians.
# CLI_ARGS: more options for every bench/compare, e.g. "--bwrap /path/to/bwrap" where bubblewrap is not installed
# (candidates run sandboxed; README says how to carry bwrap) or "--no-sandbox".
# Knobs: ONLY (extended regex on example names), CANDS (regex on candidate names), PAIRS (100), SKIP_NCU=1,
# FIDELITY ("all", or a regex on "example point" lines, e.g. 'vector_add n=(4096|65536)$'), THROUGHPUT (20; 0 skips), REPEATS, NCU (ncu), WS (scratch
# workspace; records are copied to OUTDIR/records/). Results accumulate in OUTDIR, so it can run in parts.
set -uo pipefail

NODE=${1:?usage: bash bench/gpu-run.sh NODE_BIN OUTDIR}
OUT=${2:?usage: bash bench/gpu-run.sh NODE_BIN OUTDIR}
mkdir -p "$OUT/records"
OUT=$(cd "$OUT" && pwd)
ONLY=${ONLY:-.}
CANDS=${CANDS:-.}
PAIRS=${PAIRS:-100}
NCU=${NCU:-ncu}
FIDELITY=${FIDELITY:-all}
THROUGHPUT=${THROUGHPUT:-20}
WS=${WS:-/tmp/kp-gpu-ws}
CLI=dist/cli.js
TOOLS=bench/gpu-tools.mjs
read -r -a EXTRA <<< "${CLI_ARGS:-}"
kp() { "$NODE" "$CLI" "$@" "${EXTRA[@]}"; }

[ -f "$CLI" ] || { echo "no $CLI: run 'npm run build' where node_modules exist and carry dist/" >&2; exit 2; }
"$NODE" --version > /dev/null || { echo "node binary '$NODE' does not run" >&2; exit 2; }
mkdir -p "$WS"
{ date; nvidia-smi 2>&1; nvcc --version 2>&1; "$NODE" --version; } > "$OUT/env${CUDA_VISIBLE_DEVICES:+-gpu$CUDA_VISIBLE_DEVICES}.txt"

keep_records() {
  local tag=$1 rec
  for rec in "$WS"/.kernelpilot/runs/*/record.json; do
    [ -f "$rec" ] || continue
    cp "$rec" "$OUT/records/$tag.$(basename "$(dirname "$rec")").record.json"
  done
  rm -rf "$WS/.kernelpilot/runs"
}

now_ms() { date +%s%3N; }
seconds_since() { local t=$(( $(now_ms) - $1 )); printf "%d.%03d" $((t / 1000)) $((t % 1000)); }

# ---------------------------------------------------------------- 1. every example and every candidate
for dir in examples/cuda/*/; do
  ex=$(basename "$dir")
  echo "$ex" | grep -Eq "$ONLY" || continue
  src=$dir$ex.cu
  spec=$dir$ex.spec.json
  kernel=$("$NODE" "$TOOLS" kernel "$spec")
  echo "== $ex ($kernel) [${SECONDS}s]"
  t0=$(now_ms)
  kp bench "$src" --kernel "$kernel" --spec "$spec" --workspace "$WS" --json > "$OUT/$ex.bench.json" 2> "$OUT/$ex.bench.log"
  rc=$?
  echo "{\"example\":\"$ex\",\"seconds\":$(seconds_since "$t0")}" > "$OUT/$ex.prepare-seconds.json"
  echo "bench rc=$rc $(tail -n 1 "$OUT/$ex.bench.log")"
  keep_records "$ex.bench"
  args=()
  for cand in "$dir"candidates/*.cu; do
    c=$(basename "$cand" .cu)
    echo "$c" | grep -Eq "$CANDS" || continue
    args+=(--candidate "$cand")
    [ -f "${cand%.cu}.launch.json" ] && args+=(--candidate-launch "${cand%.cu}.launch.json")
  done
  ((${#args[@]})) || continue
  kp compare "$src" --kernel "$kernel" --spec "$spec" "${args[@]}" --workspace "$WS" --pairs "$PAIRS" --json > "$OUT/$ex.compare.json" 2> "$OUT/$ex.compare.log"
  rc=$?
  echo "compare rc=$rc [${SECONDS}s] $( [ $rc = 0 ] || [ $rc = 3 ] && "$NODE" "$TOOLS" verdicts "$OUT/$ex.compare.json" || echo "ERROR: $(tail -n 1 "$OUT/$ex.compare.log")")"
  keep_records "$ex.compare"
done

# ---------------------------------------------------------------- 2. fidelity against ncu
# fidelity EX POINT: the gate's kernel time at POINT (NAME=VALUE,...) vs ncu's gpu__time_duration, same sizes.
fidelity() {
  local ex=$1 point=$2 timing=${3:-cupti} dir=examples/cuda/$1/ tag
  tag=$ex-$(echo "$point" | tr ',=' '_-')${3:+-$3}
  local spec=$WS/fidelity-$tag.spec.json kernel
  kernel=$("$NODE" "$TOOLS" kernel "$dir$ex.spec.json")
  "$NODE" "$TOOLS" spec-at "$dir$ex.spec.json" "$point" "$(cd "$dir" && pwd)/$ex.cu" > "$spec" || return
  kp bench "$dir$ex.cu" --kernel "$kernel" --spec "$spec" --workspace "$WS" --iters 50 --timing "$timing" --json > "$OUT/fidelity-$tag.bench.json" 2> "$OUT/fidelity-$tag.log" || { echo "fidelity $tag: bench failed"; return; }
  rm -rf "$WS/.kernelpilot/runs"
  kp bench "$dir$ex.cu" --kernel "$kernel" --spec "$spec" --workspace "$WS" --dry-run --json > "$OUT/fidelity-$tag.build.json" 2>> "$OUT/fidelity-$tag.log"
  local runtime so
  runtime=$("$NODE" "$TOOLS" binary "$OUT/fidelity-$tag.build.json" runtime)
  so=$("$NODE" "$TOOLS" binary "$OUT/fidelity-$tag.build.json" baseline)
  # Same launches as the gate's baseline mode (3 checks, 3 warm-ups, 20 samples), the kernel's only.
  "$NCU" --clock-control none -k "regex:^${kernel##*::}" --metrics gpu__time_duration.sum --csv \
    "$runtime" baseline --version "$so" --seeds 1,2,3 --time-seed 7 --warmup 3 --iters 20 --sets 2 --timing events > "$OUT/fidelity-$tag.ncu.csv" 2>> "$OUT/fidelity-$tag.log"
  "$NODE" "$TOOLS" fidelity "$ex" "$point" "$OUT/fidelity-$tag.bench.json" "$OUT/fidelity-$tag.ncu.csv" > "$OUT/fidelity-$tag.json" && echo "fidelity $(cat "$OUT/fidelity-$tag.json")"
}

if [ "${SKIP_NCU:-0}" != 1 ] && command -v "$NCU" > /dev/null 2>&1; then
  echo "== fidelity [${SECONDS}s]"
  while read -r ex point; do
    [ -n "$ex" ] || continue
    echo "$ex" | grep -Eq "$ONLY" || continue
    [ "$FIDELITY" = all ] || echo "$ex $point" | grep -Eq "$FIDELITY" || continue
    fidelity "$ex" "$point"
  done <<'POINTS'
vector_add n=4096
vector_add n=16384
vector_add n=65536
vector_add n=262144
vector_add n=1048576
vector_add n=4194304
vector_add n=16777216
vector_add n=67108864
saxpy n=1048576
saxpy n=67108864
reduce_sum n=1048576
reduce_sum n=134217728
softmax rows=1024,cols=1024
softmax rows=65536,cols=1024
transpose rows=1024,cols=1024
transpose rows=8192,cols=8192
matmul M=512,N=512,K=512
matmul M=2048,N=2048,K=2048
POINTS
  # The fallback method at one small size: events around launch + device sync include the launch/sync latency.
  echo vector_add | grep -Eq "$ONLY" && { [ "$FIDELITY" = all ] || echo "vector_add n=65536" | grep -Eq "$FIDELITY"; } && fidelity vector_add n=65536 events
else
  echo "fidelity: skipped (SKIP_NCU=1 or no '$NCU' on PATH)"
fi

# ---------------------------------------------------------------- 3. throughput
if [ "$THROUGHPUT" -gt 0 ] && echo vector_add | grep -Eq "$ONLY"; then
  echo "== throughput: $THROUGHPUT distinct candidates in one compare [${SECONDS}s]"
  tdir=$WS/throughput
  rm -rf "$tdir" && mkdir -p "$tdir"
  args=()
  for ((i = 0; i < THROUGHPUT; i++)); do
    # A distinct source each (a comment), so each is really compiled: what an optimizer's stream of candidates costs.
    { echo "// throughput candidate $i $(now_ms)"; cat examples/cuda/vector_add/candidates/fast_float4.cu; } > "$tdir/cand$i.cu"
    args+=(--candidate "$tdir/cand$i.cu" --candidate-launch examples/cuda/vector_add/candidates/fast_float4.launch.json)
  done
  t0=$(now_ms)
  kp compare examples/cuda/vector_add/vector_add.cu --spec examples/cuda/vector_add/vector_add.spec.json "${args[@]}" --workspace "$WS" --pairs "$PAIRS" --json > "$OUT/throughput.compare.json" 2> "$OUT/throughput.log"
  rc=$?
  echo "{\"candidates\":$THROUGHPUT,\"seconds\":$(seconds_since "$t0"),\"exitCode\":$rc,\"cores\":$(nproc)}" > "$OUT/throughput.json"
  echo "throughput: $(cat "$OUT/throughput.json")"
  rm -rf "$WS/.kernelpilot/runs"
fi

# ---------------------------------------------------------------- 4. run-to-run variation
# REPEATS separate `bench` runs (separate processes, fresh seeds); the CV of their medians is what a user sees
# benchmarking the same kernel twice.
if [ "${REPEATS:-5}" -gt 1 ]; then
  for ex in ${REPEAT_EXAMPLES:-vector_add softmax}; do
    echo "$ex" | grep -Eq "$ONLY" || continue
    dir=examples/cuda/$ex/
    for ((r = 1; r <= ${REPEATS:-5}; r++)); do
      kp bench "$dir$ex.cu" --spec "$dir$ex.spec.json" --workspace "$WS" --json > "$OUT/repeat-$ex.$r.json" 2>> "$OUT/repeat-$ex.log"
      rm -rf "$WS/.kernelpilot/runs"
    done
    "$NODE" "$TOOLS" repeat-cv "$ex" "$OUT"/repeat-"$ex".*.json > "$OUT/repeat-$ex.summary.json" && echo "repeat $(cat "$OUT/repeat-$ex.summary.json")"
  done
fi

echo
echo "== summary ($OUT)"
"$NODE" "$TOOLS" table "$OUT" | tee "$OUT/summary.txt"
