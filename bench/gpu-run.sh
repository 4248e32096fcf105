#!/usr/bin/env bash
# KernelPilot on a GPU machine, through the bundled CLI (dist/cli.js) and a carried node binary:
#   bash bench/gpu-run.sh NODE_BIN OUTDIR          (from the repository root; needs nvcc, nvidia-smi, ncu)
# For every example in examples/cuda/: `bench` (OUTDIR/<ex>.bench.json), then `compare` of every candidate
# (OUTDIR/<ex>.<candidate>.compare.json; exit 0 accepted, 3 rejected), with its own launch where
# candidates/<name>.launch.json exists; then ncu timing fidelity for a few examples (OUTDIR/ncu-<ex>.txt);
# the LAST output is the summary table (also OUTDIR/summary.txt).
# Knobs: ONLY (extended regex on example names), CANDS (regex on candidate names), ROUNDS (4), ITERS (30),
# NCU_EXAMPLES ("vector_add transpose softmax matmul"), NCU (ncu), SKIP_NCU=1, REPEATS (5 runs for the run-to-run CV), WS (scratch workspace; run
# folders' check dumps are deleted after each command, records are copied to OUTDIR/records/).
# Results accumulate in OUTDIR, so it can be run in parts (ONLY=...) within a per-command time limit.
set -uo pipefail

NODE=${1:?usage: bash bench/gpu-run.sh NODE_BIN OUTDIR}
OUT=${2:?usage: bash bench/gpu-run.sh NODE_BIN OUTDIR}
mkdir -p "$OUT/records"
OUT=$(cd "$OUT" && pwd)
ONLY=${ONLY:-.}
CANDS=${CANDS:-.}
ROUNDS=${ROUNDS:-4}
ITERS=${ITERS:-30}
NCU=${NCU:-ncu}
NCU_EXAMPLES=${NCU_EXAMPLES:-"vector_add transpose softmax matmul"}
WS=${WS:-/tmp/kp-gpu-ws}
CLI=dist/cli.js
TOOLS=bench/gpu-tools.mjs

[ -f "$CLI" ] || { echo "no $CLI: run 'npm run build' where node_modules exist and carry dist/" >&2; exit 2; }
"$NODE" --version > /dev/null || { echo "node binary '$NODE' does not run" >&2; exit 2; }
mkdir -p "$WS"
{ date; nvidia-smi 2>&1; nvcc --version 2>&1; "$NODE" --version; } > "$OUT/env${CUDA_VISIBLE_DEVICES:+-gpu$CUDA_VISIBLE_DEVICES}.txt"

# Records are small (timings, reports, probes); the dumps (up to GBs per compare) are not kept.
keep_records() {
  local tag=$1 rec
  for rec in "$WS"/.kernelpilot/runs/*/record.json; do
    [ -f "$rec" ] || continue
    cp "$rec" "$OUT/records/$tag.$(basename "$(dirname "$rec")").record.json"
  done
  rm -rf "$WS/.kernelpilot/runs"
}

for dir in examples/cuda/*/; do
  ex=$(basename "$dir")
  echo "$ex" | grep -Eq "$ONLY" || continue
  src=$dir$ex.cu
  spec=$dir$ex.spec.json
  kernel=$("$NODE" "$TOOLS" kernel "$spec")
  echo "== $ex ($kernel) [${SECONDS}s]"
  "$NODE" "$CLI" bench "$src" --kernel "$kernel" --spec "$spec" --workspace "$WS" --json > "$OUT/$ex.bench.json" 2> "$OUT/$ex.bench.log"
  echo "bench rc=$? $(tail -n 1 "$OUT/$ex.bench.log")"
  keep_records "$ex.bench"
  for cand in "$dir"candidates/*.cu; do
    c=$(basename "$cand" .cu)
    echo "$c" | grep -Eq "$CANDS" || continue
    # A candidate with its own launch has it next to it: candidates/<name>.launch.json.
    launch=()
    [ -f "${cand%.cu}.launch.json" ] && launch=(--candidate-launch "${cand%.cu}.launch.json")
    "$NODE" "$CLI" compare "$src" --kernel "$kernel" --spec "$spec" --candidate "$cand" "${launch[@]}" --workspace "$WS" \
      --rounds "$ROUNDS" --iters "$ITERS" --json > "$OUT/$ex.$c.compare.json" 2> "$OUT/$ex.$c.compare.log"
    rc=$?
    echo "compare $c rc=$rc [${SECONDS}s] ($( [ $rc = 0 ] && echo accepted || { [ $rc = 3 ] && echo rejected || echo "ERROR: $(tail -n 1 "$OUT/$ex.$c.compare.log")"; }))"
    keep_records "$ex.$c"
  done
done

# Run-to-run variation: REPEATS separate runs of each example's (cached) baseline harness, 100 timed launches
# each; the CV of their medians is what a user sees benchmarking the same kernel twice.
if [ "${REPEATS:-5}" -gt 1 ]; then
  for dir in examples/cuda/*/; do
    ex=$(basename "$dir")
    echo "$ex" | grep -Eq "$ONLY" || continue
    spec=$dir$ex.spec.json
    kernel=$("$NODE" "$TOOLS" kernel "$spec")
    "$NODE" "$CLI" bench "$dir$ex.cu" --kernel "$kernel" --spec "$spec" --workspace "$WS" --dry-run --json > "$OUT/repeat-$ex.build.json" 2> "$OUT/repeat-$ex.log" || { echo "repeat $ex: build failed"; continue; }
    bin=$("$NODE" "$TOOLS" binary "$OUT/repeat-$ex.build.json")
    logs=()
    for ((r = 1; r <= ${REPEATS:-5}; r++)); do
      "$bin" time --seed $((100 + r)) --warmup 10 --iters 100 --sets 3 > "$OUT/repeat-$ex.$r.log" 2>&1 && logs+=("$OUT/repeat-$ex.$r.log")
    done
    "$NODE" "$TOOLS" repeat-cv "$ex" "${logs[@]}" > "$OUT/repeat-$ex.json" && echo "repeat $ex: $(cat "$OUT/repeat-$ex.json") [${SECONDS}s]"
  done
fi

# ncu timing fidelity: the harness's own median (minus its measured empty-kernel launch+sync latency, which every
# sample includes) against ncu's gpu__time_duration median for the same kernel, same sizes, unlocked clocks.
if [ "${SKIP_NCU:-0}" != 1 ] && command -v "$NCU" > /dev/null 2>&1; then
  for ex in $NCU_EXAMPLES; do
    echo "$ex" | grep -Eq "$ONLY" || continue
    dir=examples/cuda/$ex/
    [ -d "$dir" ] || continue
    spec=$dir$ex.spec.json
    kernel=$("$NODE" "$TOOLS" kernel "$spec")
    "$NODE" "$CLI" bench "$dir$ex.cu" --kernel "$kernel" --spec "$spec" --workspace "$WS" --dry-run --json > "$OUT/ncu-$ex.build.json" 2>> "$OUT/ncu-$ex.log" || { echo "ncu $ex: build failed" | tee "$OUT/ncu-$ex.txt"; continue; }
    bin=$("$NODE" "$TOOLS" binary "$OUT/ncu-$ex.build.json")
    warm=10
    "$bin" time --seed 7 --warmup $warm --iters 50 --sets 3 > "$OUT/ncu-$ex.harness.log" 2>&1
    read -r hmed empty < <("$NODE" "$TOOLS" harness-median "$OUT/ncu-$ex.harness.log") || { echo "ncu $ex: harness time failed" | tee "$OUT/ncu-$ex.txt"; continue; }
    # -s skips the warm-up launches of the kernel (the filter counts only its launches); 5 timed launches profiled.
    "$NCU" --clock-control none -k "regex:$kernel" -s $warm -c 5 --metrics gpu__time_duration.sum --csv "$bin" time --seed 7 --warmup $warm --iters 10 --sets 3 > "$OUT/ncu-$ex.csv" 2> "$OUT/ncu-$ex.log"
    nmed=$("$NODE" "$TOOLS" ncu-median "$OUT/ncu-$ex.csv" 2>> "$OUT/ncu-$ex.log") || { echo "ncu $ex: no ncu result (see ncu-$ex.log)" | tee "$OUT/ncu-$ex.txt"; continue; }
    "$NODE" -e '
      const [ex, h, e, n, json] = process.argv.slice(1); const H = +h, E = +e, N = +n;
      const raw = (H - N) / N, net = (H - E - N) / N;
      const ok = Math.abs(net) <= 0.03 || Math.abs(raw) <= 0.03;
      require("fs").writeFileSync(json, JSON.stringify({ example: ex, harnessMedianMs: H, emptyKernelMs: E, ncuMedianMs: N, rawDiff: raw, netDiff: net, withinTolerance: ok }) + "\n");
      console.log(`${ex}: harness ${H.toPrecision(4)} ms (empty-kernel latency ${E.toPrecision(3)} ms), ncu ${N.toPrecision(4)} ms: raw ${(raw * 100).toFixed(1)} %, net ${(net * 100).toFixed(1)} % → ${ok ? "OK" : "OUTSIDE 3 %"}`);
    ' "$ex" "$hmed" "$empty" "$nmed" "$OUT/ncu-$ex.json" | tee "$OUT/ncu-$ex.txt"
  done
else
  echo "ncu: skipped (SKIP_NCU=1 or no '$NCU' on PATH)"
fi

echo
echo "== summary ($OUT)"
"$NODE" "$TOOLS" table "$OUT" | tee "$OUT/summary.txt"
