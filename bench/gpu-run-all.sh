#!/usr/bin/env bash
# bench/gpu-run.sh on every GPU of the machine at once: the examples are dealt round-robin to one worker per GPU
# (CUDA_VISIBLE_DEVICES=i, its own scratch workspace, log OUTDIR/worker-i.log), then one summary table.
#   bash bench/gpu-run-all.sh NODE_BIN OUTDIR      (same knobs as gpu-run.sh; GPUS limits how many GPUs are used)
# Each example is timed on one GPU only, so workers never share a device; on a 1-GPU machine this is gpu-run.sh.
set -uo pipefail

NODE=${1:?usage: bash bench/gpu-run-all.sh NODE_BIN OUTDIR}
OUT=${2:?usage: bash bench/gpu-run-all.sh NODE_BIN OUTDIR}
mkdir -p "$OUT"
count=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ')
[ "$count" -ge 1 ] || { echo "no GPU (nvidia-smi -L lists none)" >&2; exit 2; }
n=$(( ${GPUS:-$count} < count ? ${GPUS:-$count} : count ))
mapfile -t examples < <(ls -d examples/cuda/*/ | xargs -n1 basename | grep -E "${ONLY:-.}")
# A worker's ONLY is an anchored alternation of its examples.
pids=()
for ((g = 0; g < n; g++)); do
  mine=()
  for ((i = g; i < ${#examples[@]}; i += n)); do mine+=("${examples[i]}"); done
  ((${#mine[@]})) || continue
  only="^($(IFS='|'; echo "${mine[*]}"))\$"
  echo "gpu $g: ${mine[*]}"
  CUDA_VISIBLE_DEVICES=$g ONLY=$only WS=/tmp/kp-gpu-ws-$g bash bench/gpu-run.sh "$NODE" "$OUT" > "$OUT/worker-$g.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for f in "$OUT"/worker-*.log; do echo "-- $f"; sed "/^== summary/,\$d" "$f"; done
echo
echo "== summary ($OUT)"
"$NODE" bench/gpu-tools.mjs table "$OUT" | tee "$OUT/summary.txt"
exit $status
