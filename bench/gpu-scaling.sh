#!/usr/bin/env bash
# Several GPUs evaluating candidates side by side, measured: the same candidate set gated with 1 GPU and with N,
# through the bundled CLI (dist/cli.js) and a carried node binary (no node_modules there):
#   bash bench/gpu-scaling.sh NODE_BIN OUTDIR        (from the repository root; needs nvcc and nvidia-smi)
# The candidate set: every candidate of each example in SCALE_EXAMPLES (its own launch where candidates/<name>.launch.json
# exists), COPIES times, each copy a distinct source (a comment) so each is really compiled — an optimizer's stream
# of candidates, cheats and all. One `compare` per example and GPU count, its GPUs chosen with CUDA_VISIBLE_DEVICES
# (the first COUNT of those the machine offers); the evaluation holds every GPU it sees and gives each candidate a
# free one (bench/evaluation.ts). Before the measured runs, one warm-up compare on all GPUs builds the runtime and
# the baselines and caches every GPU's ceilings, so no run pays for them.
# Candidates per minute count from the end of preparing the baseline (compare's JSON: seconds.sincePrepared of the
# last verdict): preparing is once per baseline whatever the GPUs. OUTDIR/scaling-<COUNT>gpu-<ex>.json (compare
# --json), .log, .run.json (wall seconds, exit code). The LAST output is the table (also OUTDIR/scaling.txt and
# OUTDIR/scaling.json, bench/scaling-summary.mjs): candidates per minute per GPU count and the ratio to 1 GPU against
# the targets (≥ 1.8× with 2 GPUs, ≥ 3.4× with 4); exit 0 when every measured count meets its target, 1 otherwise.
# Knobs: COUNTS (GPU counts, default "1 N" with N every GPU nvidia-smi lists), SCALE_EXAMPLES ("vector_add softmax"),
# COPIES (2), CANDS (regex on candidate names), PAIRS (100), CLI_ARGS (more options for every compare, e.g.
# "--no-sandbox" or "--bwrap /path/to/bwrap"), EXAMPLES (examples/cuda), CLI (dist/cli.js), WS (scratch workspace).
set -uo pipefail

NODE=${1:?usage: bash bench/gpu-scaling.sh NODE_BIN OUTDIR}
OUT=${2:?usage: bash bench/gpu-scaling.sh NODE_BIN OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
EXAMPLES=${EXAMPLES:-examples/cuda}
SCALE_EXAMPLES=${SCALE_EXAMPLES:-vector_add softmax}
COPIES=${COPIES:-2}
CANDS=${CANDS:-.}
PAIRS=${PAIRS:-100}
CLI=${CLI:-dist/cli.js}
WS=${WS:-$OUT/ws}
read -r -a EXTRA <<< "${CLI_ARGS:-}"

[ -f "$CLI" ] || { echo "no $CLI: run 'npm run build' where node_modules exist and carry dist/" >&2; exit 2; }
"$NODE" --version > /dev/null || { echo "node binary '$NODE' does not run" >&2; exit 2; }
# The GPUs to choose from: CUDA_VISIBLE_DEVICES's plain indices when set, else every GPU nvidia-smi lists (its index
# order; the query is the one KernelPilot's own inventory uses).
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  IFS=, read -r -a ALL <<< "$CUDA_VISIBLE_DEVICES"
else
  listed=$(nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader,nounits 2> /dev/null | grep -c ,)
  mapfile -t ALL < <(seq 0 $((listed - 1)))
fi
[ "${#ALL[@]}" -gt 0 ] || { echo "nvidia-smi lists no GPU" >&2; exit 2; }
COUNTS=${COUNTS:-1 ${#ALL[@]}}
for count in $COUNTS; do
  [ "$count" -ge 1 ] && [ "$count" -le "${#ALL[@]}" ] || { echo "COUNTS: $count GPUs asked, ${#ALL[@]} available" >&2; exit 2; }
done
{ date; nvidia-smi 2>&1; nvcc --version 2>&1; "$NODE" --version; echo "nproc=$(nproc) COUNTS=$COUNTS SCALE_EXAMPLES=$SCALE_EXAMPLES COPIES=$COPIES PAIRS=$PAIRS CLI_ARGS=${CLI_ARGS:-}"; } > "$OUT/env.txt"

now_ms() { date +%s%3N; }
seconds_since() { local t=$(( $(now_ms) - $1 )); printf "%d.%03d" $((t / 1000)) $((t % 1000)); }
first_gpus() { local IFS=,; echo "${ALL[*]:0:$1}"; }

# candidate_args EX TAG COPIES: --candidate/--candidate-launch pairs for COPIES distinct copies of the example's candidates.
candidate_args() {
  local ex=$1 tag=$2 copies=$3 dir=$EXAMPLES/$1/candidates f name copy i
  mkdir -p "$WS/$tag/$ex"
  for ((i = 0; i < copies; i++)); do
    for f in "$dir"/*.cu; do
      name=$(basename "$f" .cu)
      echo "$name" | grep -Eq "$CANDS" || continue
      copy=$WS/$tag/$ex/${name}_$i.cu
      { echo "// scaling candidate $tag $i"; cat "$f"; } > "$copy"
      printf '%s\n' --candidate "$copy"
      [ -f "$dir/$name.launch.json" ] && printf '%s\n' --candidate-launch "$dir/$name.launch.json"
    done
  done
}

# compare_run EX TAG GPUS COPIES: one compare of the example's candidate set on those GPUs.
compare_run() {
  local ex=$1 tag=$2 gpus=$3 copies=$4 t0 rc args
  mapfile -t args < <(candidate_args "$ex" "$tag" "$copies")
  t0=$(now_ms)
  CUDA_VISIBLE_DEVICES=$gpus "$NODE" "$CLI" compare "$EXAMPLES/$ex/$ex.cu" --spec "$EXAMPLES/$ex/$ex.spec.json" "${args[@]}" --workspace "$WS" --pairs "$PAIRS" --json "${EXTRA[@]}" > "$OUT/scaling-$tag-$ex.json" 2> "$OUT/scaling-$tag-$ex.log"
  rc=$?
  echo "{\"example\":\"$ex\",\"gpus\":\"$gpus\",\"seconds\":$(seconds_since "$t0"),\"exitCode\":$rc}" > "$OUT/scaling-$tag-$ex.run.json"
  # compare exits 0 (all accepted) or 3 (some rejected): both are results; anything else is an error.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then echo "$tag $ex: ERROR rc=$rc: $(tail -n 1 "$OUT/scaling-$tag-$ex.log")"; else echo "$tag $ex: rc=$rc in $(seconds_since "$t0") s [${SECONDS}s]"; fi
}

echo "== warm-up on GPUs $(first_gpus "${#ALL[@]}") [${SECONDS}s]"
for ex in $SCALE_EXAMPLES; do compare_run "$ex" warmup "$(first_gpus "${#ALL[@]}")" 1; done
for count in $COUNTS; do
  echo "== $count GPU(s): $(first_gpus "$count") [${SECONDS}s]"
  for ex in $SCALE_EXAMPLES; do compare_run "$ex" "${count}gpu" "$(first_gpus "$count")" "$COPIES"; done
done
"$NODE" bench/scaling-summary.mjs "$OUT" $COUNTS
