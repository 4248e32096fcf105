#!/usr/bin/env bash
# Builds every harness of this bundle with nvcc and runs it on the GPU: ceilings once, then per harness
# `check` (seeds $SEEDS at the default sizes, and seed 1 at the spec's last sweep point) and `time`.
# Saves each JSON report under RESULTS_DIR/<example>/<variant>/ and prints a summary table (summarize.py).
#
#   bash run.sh [RESULTS_DIR]            (default: ./results beside this script)
#
# Environment: ARCH (default: the GPU's, from nvidia-smi; else sm_90), NVCC (nvcc), ONLY (an extended regex
# on "example/variant"), SEEDS ("1 2"), WARMUP (5), ITERS (30), SETS (3), JOBS (parallel nvcc, nproc),
# SCRATCH (output dumps, deleted per example; default /tmp/kp-smoke-dumps), TIMEOUT (per run, 300 s).
# Output dumps can be large (256 MiB per output at the default sizes), so they stay out of RESULTS_DIR.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
results=$(mkdir -p "${1:-$here/results}" && cd "${1:-$here/results}" && pwd)
NVCC=${NVCC:-nvcc}
SEEDS=${SEEDS:-"1 2"}
WARMUP=${WARMUP:-5}
ITERS=${ITERS:-30}
SETS=${SETS:-3}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 4)}
SCRATCH=${SCRATCH:-/tmp/kp-smoke-dumps}
TIMEOUT=${TIMEOUT:-300}
ONLY=${ONLY:-.}
build=$here/build

if [ -z "${ARCH:-}" ]; then
  cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n1 | tr -d ' .')
  ARCH=sm_${cc:-90}
fi
echo "== KernelPilot GPU smoke: arch $ARCH, results in $results"
{ date; echo "ARCH=$ARCH"; "$NVCC" --version; nvidia-smi 2>&1 || echo "(no nvidia-smi)"; } > "$results/env.txt" 2>&1

ids=$(tail -n +2 "$here/manifest.tsv" | cut -f1 | grep -E "$ONLY" || true)
[ -n "$ids" ] || { echo "no harness matches ONLY='$ONLY'"; exit 2; }

# --- build: the runtime once, then every harness in parallel
mkdir -p "$build"
flags=(-O3 -lineinfo "-arch=$ARCH" -std=c++17)
if ! "$NVCC" "${flags[@]}" -c -o "$build/kp_runtime.o" "$here/runtime/kp_runtime.cu" > "$results/build-runtime.log" 2>&1; then
  echo "building the runtime failed:"; cat "$results/build-runtime.log"; exit 1
fi
export NVCC here build results
export FLAGS="${flags[*]}"
echo "$ids" | xargs -P "$JOBS" -I{} bash -c '
  id={}; mkdir -p "$build/$id" "$results/$id"
  if $NVCC $FLAGS -o "$build/$id/harness" "$here/harness/$id/harness.cu" "$build/kp_runtime.o" > "$results/$id/build.log" 2>&1
  then echo "built $id"; else echo "BUILD FAILED $id (see $results/$id/build.log)"; rm -f "$build/$id/harness"; fi'

# --- run. report FILE CMD...: keep the one report line ({"kind":...}), stdout+stderr in FILE.log
report() {
  local file=$1; shift
  timeout "$TIMEOUT" "$@" > "$file.log" 2>&1
  local rc=$?
  grep '^{"kind":' "$file.log" | tail -n1 > "$file"
  [ -s "$file" ] || echo "{\"kind\":\"error\",\"stage\":\"smoke\",\"message\":\"exit $rc without a report (see $file.log)\"}" > "$file"
  return $rc
}

first=$(echo "$ids" | head -n1)
if [ -x "$build/$first/harness" ]; then
  report "$results/ceilings.json" "$build/$first/harness" ceilings && echo "ceilings: $(cat "$results/ceilings.json")"
fi

for example in $(echo "$ids" | cut -d/ -f1 | uniq); do
  for id in $(echo "$ids" | grep "^$example/"); do
    bin=$build/$id/harness
    [ -x "$bin" ] || continue
    sweep=$(awk -F'\t' -v id="$id" '$1 == id { print $5 }' "$here/manifest.tsv")
    for seed in $SEEDS; do
      rm -rf "$SCRATCH/$id/check-$seed"; mkdir -p "$SCRATCH/$id/check-$seed"
      report "$results/$id/check-$seed.json" "$bin" check --seed "$seed" --out "$SCRATCH/$id/check-$seed"
    done
    if [ "$sweep" != "-" ]; then
      rm -rf "$SCRATCH/$id/check-sweep"; mkdir -p "$SCRATCH/$id/check-sweep"
      # shellcheck disable=SC2086  # $sweep is a list of --size arguments
      report "$results/$id/check-sweep.json" "$bin" check --seed 1 --out "$SCRATCH/$id/check-sweep" $sweep
    fi
    rm -rf "$SCRATCH/$id/timed"; mkdir -p "$SCRATCH/$id/timed"
    report "$results/$id/time.json" "$bin" time --seed 1000 --warmup "$WARMUP" --iters "$ITERS" --sets "$SETS" --out "$SCRATCH/$id/timed"
    echo "ran $id"
  done
  if command -v python3 > /dev/null; then
    python3 "$here/summarize.py" "$here/manifest.tsv" "$results" "$SCRATCH" "$example" "$SEEDS" >> "$results/summary.txt" 2>> "$results/summarize.log"
  fi
  rm -rf "${SCRATCH:?}/$example"
done

echo
if [ -s "$results/summary.txt" ]; then
  python3 "$here/summarize.py" --header
  cat "$results/summary.txt"
else
  echo "(no summary: python3 missing or summarize.py failed, see $results/summarize.log); reports are in $results"
fi
