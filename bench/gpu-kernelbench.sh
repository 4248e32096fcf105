#!/usr/bin/env bash
# KernelPilot's KernelBench gate beside KernelBench's own evaluation, on a GPU machine (python3 + torch + triton +
# nvcc there, no node: a node binary is passed in), through the bundled CLI (dist/cli.js):
#   bash bench/gpu-kernelbench.sh NODE_BIN OUTDIR [SHARED_KERNELBENCH]     (from the repository root)
# SHARED_KERNELBENCH (default ../shared/kernelbench, else /work/shared/kernelbench) holds the tasks (level1/,
# level2/, examples/model_ex_add.py), the example solutions (examples/model_new_ex_add*.py) and KernelBench's
# evaluation (eval/, run in place). The candidates: the example solutions (model_ex_add/example_cuda_inline.py,
# example_triton.py), test/fixtures/kernelbench/solutions (PyTorch-only: honest ones and CPU-testable cheats) and
# solutions-gpu (inline-CUDA and Triton cheats, zeros for Softmax), gathered in WS/solutions.
# 1. `kernelpilot kernelbench` on every task: OUTDIR/ours.json (--json) and ours.txt (the fast_p report).
# 2. KernelBench's eval_kernel_against_ref on every candidate (5 correctness trials, 100 timed runs, fp32):
#    OUTDIR/kernelbench.jsonl, one line per candidate with its seconds (bench/kernelbench-eval.py).
# 3. The side-by-side table of verdicts, speedups and seconds per candidate: OUTDIR/side-by-side.txt (printed last).
# Knobs: PAIRS (30), PYTHON (python3), SIZES (e.g. "--size batch_size=256" to scale the tasks down), SKIP_KB=1,
# KB_JOBS (1: KernelBench's evaluations run that many at once, sharing the GPU), KB_PREVIOUS (a kernelbench.jsonl
# of an earlier run: its candidates with a result are kept, not run again), OURS_PREVIOUS (an ours.json of an earlier
# run on the same candidates: kept instead of running our gate again), CLI_ARGS (e.g. "--no-sandbox", or "--bwrap /path/to/bwrap"), WS (/tmp/kp-kb-ws).
set -uo pipefail

NODE=${1:?usage: bash bench/gpu-kernelbench.sh NODE_BIN OUTDIR [SHARED_KERNELBENCH]}
OUT=${2:?usage: bash bench/gpu-kernelbench.sh NODE_BIN OUTDIR [SHARED_KERNELBENCH]}
SHARED=${3:-}
if [ -z "$SHARED" ]; then
  for d in ../shared/kernelbench shared/kernelbench /work/shared/kernelbench; do [ -d "$d/level1" ] && SHARED=$d && break; done
fi
[ -d "$SHARED/level1" ] || { echo "no KernelBench folder (give it as the third argument)" >&2; exit 2; }
SHARED=$(cd "$SHARED" && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PAIRS=${PAIRS:-30}
PYTHON=${PYTHON:-python3}
KB_JOBS=${KB_JOBS:-1}
[[ "$KB_JOBS" =~ ^[1-9][0-9]*$ ]] || { echo "KB_JOBS=$KB_JOBS: give a positive integer" >&2; exit 2; }
WS=${WS:-/tmp/kp-kb-ws}
read -r -a EXTRA <<< "${CLI_ARGS:-}"
read -r -a SIZE_ARGS <<< "${SIZES:-}"
[ -f dist/cli.js ] || { echo "no dist/cli.js: run 'npm run build' where node_modules exist and carry dist/" >&2; exit 2; }
"$NODE" --version > /dev/null || { echo "node binary '$NODE' does not run" >&2; exit 2; }

rm -rf "$WS/solutions" && mkdir -p "$WS/solutions/model_ex_add"
cp -r test/fixtures/kernelbench/solutions/. test/fixtures/kernelbench/solutions-gpu/. "$WS/solutions/"
cp "$SHARED/examples/model_new_ex_add.py" "$WS/solutions/model_ex_add/example_cuda_inline.py"
cp "$SHARED/examples/model_new_ex_add_triton.py" "$WS/solutions/model_ex_add/example_triton.py"
TASKS=("$SHARED"/level1/*.py "$SHARED"/level2/*.py "$SHARED/examples/model_ex_add.py")

if [ -n "${OURS_PREVIOUS:-}" ]; then
  # An earlier run of ours on the same tasks and candidates (its ours.json): kept, not run again.
  cp "$OURS_PREVIOUS" "$OUT/ours.json.tmp" && mv "$OUT/ours.json.tmp" "$OUT/ours.json" || exit 2
  echo "== kernelpilot kernelbench: kept $OURS_PREVIOUS" >&2
else
  echo "== kernelpilot kernelbench (${#TASKS[@]} tasks, $PAIRS pairs)" >&2
  start=$(date +%s.%N)
  "$NODE" dist/cli.js kernelbench "${TASKS[@]}" --solutions "$WS/solutions" --python "$PYTHON" --pairs "$PAIRS" --json "${SIZE_ARGS[@]}" "${EXTRA[@]}" > "$OUT/ours.json" 2> "$OUT/ours.stderr"
  rc=$?; echo "exit $rc in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >&2
fi
"$PYTHON" - "$OUT/ours.json" > "$OUT/ours.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("device:", d["device"])
for name, s in d["summary"].items():
    if s.get("unavailable"):
        print(f"vs {name}: not measured: {s['unavailable']}")
        continue
    fast = ", ".join(f"fast_{i} {f['count']}/{f['total']}" if f else f"fast_{i} n/a" for i, f in enumerate(s["fastP"]))
    mean = s["geometricMean"]
    print(f"vs {name}: {fast}; geomean {mean['value']:.3g}x over {mean['tasks']} task(s)" if mean else f"vs {name}: {fast}; geomean n/a")
PY
cat "$OUT/ours.txt"

if [ -z "${SKIP_KB:-}" ]; then
  echo "== KernelBench eval_kernel_against_ref ($SHARED/eval, $KB_JOBS at a time)" >&2
  SKIP=()
  if [ -n "${KB_PREVIOUS:-}" ]; then
    # A copy: KB_PREVIOUS may be the very file this run writes.
    cp "$KB_PREVIOUS" "$WS/kernelbench-previous.jsonl" || exit 2
    SKIP=(--skip "$WS/kernelbench-previous.jsonl")
  fi
  start=$(date +%s.%N)
  "$PYTHON" bench/kernelbench-eval.py run --jobs "$KB_JOBS" "${SKIP[@]}" "$SHARED/eval" "$WS/solutions" "${TASKS[@]}" > "$OUT/kernelbench.jsonl" 2> "$OUT/kernelbench.stderr"
  rc=$?; echo "exit $rc in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >&2
fi
"$PYTHON" bench/kernelbench-eval.py table "$OUT/ours.json" "$OUT/kernelbench.jsonl" | tee "$OUT/side-by-side.txt"
