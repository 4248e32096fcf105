#!/usr/bin/env bash
# KernelPilot GPU smoke test: builds the generated CUDA harness of every example and candidate in
# examples/cuda/, runs ceilings, check and time on the GPU, saves the JSON reports and prints a table
# (each variant's verdict against the baseline, expected PASS for baseline/fast_*, FAIL for the cheats).
#
# On a dev machine (node + the repo's node_modules), generate the bundle the GPU machine will build:
#     node --import ./scripts/ts.mjs scripts/gen-harness.ts bench/gpu-harness
# On the GPU machine, from the repository root (needs nvcc and bash; python3 for the table):
#     bash bench/gpu-smoke.sh                 # results in $OUT when set, else bench/gpu-harness/results
#     ONLY='vector_add|softmax' ITERS=50 bash bench/gpu-smoke.sh
# When node and tsx are available where it runs, the bundle is regenerated first, from the current sources.
# Knobs (ARCH, NVCC, ONLY, SEEDS, WARMUP, ITERS, SETS, JOBS, SCRATCH, TIMEOUT) are described in
# bench/gpu-smoke/run.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${BUNDLE:-$root/bench/gpu-harness}

if command -v node > /dev/null 2>&1 && [ -d "$root/node_modules/tsx" ]; then
  (cd "$root" && node --import ./scripts/ts.mjs scripts/gen-harness.ts "$bundle")
fi
if [ ! -f "$bundle/run.sh" ] || [ ! -f "$bundle/manifest.tsv" ]; then
  echo "no harness bundle at $bundle: run 'node --import ./scripts/ts.mjs scripts/gen-harness.ts bench/gpu-harness' on a machine with node first" >&2
  exit 2
fi
command -v "${NVCC:-nvcc}" > /dev/null 2>&1 || { echo "nvcc not found (set NVCC)" >&2; exit 2; }

exec bash "$bundle/run.sh" "${OUT:-$bundle/results}"
