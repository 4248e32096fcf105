#!/usr/bin/env bash
# `kernelpilot optimize` on a GPU machine, through the bundled CLI (dist/cli.js) and a carried node binary (no
# node_modules there):
#   bash bench/gpu-optimize.sh NODE_BIN OUTDIR        (from the repository root; needs nvcc and nvidia-smi)
# For every example in examples/cuda/:
#  (a) the model loop against a scripted OpenAI-compatible endpoint on this machine (bench/scripted-endpoint.mjs,
#      plain node): in one round, one candidate per scripted answer — the example's honest fast candidate, each of
#      its cheats, a compile failure that the repair turn fixes, and a slower correct one. It must end with the fast
#      candidate and never a cheat. OUTDIR/<ex>.scripted.json (optimize --json), .scripted.log (progress),
#      .endpoint.jsonl (what the endpoint served, in order), .scripted.report.json (`kernelpilot report --json`: every
#      figure re-derived, the gate's from its own records).
#  (b) the built-in search (--no-model, SEARCH_ROUNDS × SEARCH_CANDIDATES): its verified speedup or its honest
#      "nothing faster found", and candidates evaluated per minute. OUTDIR/<ex>.search.json, .search.log,
#      .search.report.json.
# Each run's records (the optimize run and the gate record of every evaluation) stay in OUTDIR/ws/<ex>/.kernelpilot/
# runs/, so `kernelpilot report RUN --workspace OUTDIR/ws/<ex>` re-derives them anywhere. OUTDIR/<ex>.<part>.run.json:
# wall seconds (preparation included) and exit codes. The LAST output is the summary table (also OUTDIR/summary.txt,
# bench/optimize-summary.mjs); the script exits 0 when every example passed, 1 otherwise.
# Knobs: ONLY (extended regex on example names), SEARCH_ROUNDS (2), SEARCH_CANDIDATES (4), CLI_ARGS (more options for
# every optimize, e.g. "--no-sandbox", or "--bwrap /path/to/bwrap" where bubblewrap is not installed: README says how
# to carry it), EXAMPLES (the examples folder), CLI (the CLI bundle). Tests run it on the stand-in GPU by putting its
# programs first on PATH (test/unit/gpu-optimize-script.test.ts).
set -uo pipefail

NODE=${1:?usage: bash bench/gpu-optimize.sh NODE_BIN OUTDIR}
OUT=${2:?usage: bash bench/gpu-optimize.sh NODE_BIN OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
EXAMPLES=${EXAMPLES:-examples/cuda}
ONLY=${ONLY:-.}
SEARCH_ROUNDS=${SEARCH_ROUNDS:-2}
SEARCH_CANDIDATES=${SEARCH_CANDIDATES:-4}
CLI=${CLI:-dist/cli.js}
ENDPOINT=bench/scripted-endpoint.mjs
read -r -a EXTRA <<< "${CLI_ARGS:-}"

[ -f "$CLI" ] || { echo "no $CLI: run 'npm run build' where node_modules exist and carry dist/" >&2; exit 2; }
"$NODE" --version > /dev/null || { echo "node binary '$NODE' does not run" >&2; exit 2; }
{ date; nvidia-smi 2>&1; nvcc --version 2>&1; "$NODE" --version; echo "CLI_ARGS=${CLI_ARGS:-}"; } > "$OUT/env.txt"

now_ms() { date +%s%3N; }
seconds_since() { local t=$(( $(now_ms) - $1 )); printf "%d.%03d" $((t / 1000)) $((t % 1000)); }
json_field() { "$NODE" -e 'try { const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]]; if (v !== undefined) console.log(v); } catch {}' "$1" "$2"; }

ENDPOINT_PID=
stop_endpoint() { [ -n "$ENDPOINT_PID" ] && kill "$ENDPOINT_PID" 2> /dev/null && wait "$ENDPOINT_PID" 2> /dev/null; ENDPOINT_PID=; }
trap stop_endpoint EXIT

# optimize_run EX PART ARGS...: one `optimize --json` run, its wall time and exit code, then `report` on its record.
optimize_run() {
  local ex=$1 part=$2 t0 rc run_dir
  shift 2
  t0=$(now_ms)
  "$NODE" "$CLI" optimize "$@" "${EXTRA[@]}" --json > "$OUT/$ex.$part.json" 2> "$OUT/$ex.$part.log"
  rc=$?
  echo "{\"example\":\"$ex\",\"part\":\"$part\",\"seconds\":$(seconds_since "$t0"),\"exitCode\":$rc}" > "$OUT/$ex.$part.run.json"
  run_dir=$(json_field "$OUT/$ex.$part.json" runDir)
  if [ -n "$run_dir" ]; then
    "$NODE" "$CLI" report "$run_dir" --json > "$OUT/$ex.$part.report.json" 2>> "$OUT/$ex.$part.log"
    echo "$part rc=$rc, report rc=$? [${SECONDS}s]: $(json_field "$OUT/$ex.$part.json" message)"
  else
    echo "$part rc=$rc [${SECONDS}s]: ERROR $(tail -n 1 "$OUT/$ex.$part.log")"
  fi
}

for dir in "$EXAMPLES"/*/; do
  ex=$(basename "$dir")
  echo "$ex" | grep -Eq "$ONLY" || continue
  src=$dir$ex.cu
  spec=$dir$ex.spec.json
  kernel=$("$NODE" bench/gpu-tools.mjs kernel "$spec")
  ws=$OUT/ws/$ex
  mkdir -p "$ws"
  echo "== $ex ($kernel) [${SECONDS}s]"

  # (a) the scripted model: one candidate slot per scripted answer, one repair turn each.
  answers=$("$NODE" "$ENDPOINT" --example "$dir" --list | wc -l)
  url_file=$OUT/$ex.endpoint-url
  rm -f "$url_file" "$OUT/$ex.endpoint.jsonl"
  "$NODE" "$ENDPOINT" --example "$dir" --url-file "$url_file" --log "$OUT/$ex.endpoint.jsonl" 2> "$OUT/$ex.endpoint.log" &
  ENDPOINT_PID=$!
  for _ in $(seq 100); do [ -s "$url_file" ] && break; sleep 0.1; done
  if [ -s "$url_file" ]; then
    # The endpoint needs no key; the CLI needs one to ask a model, from the environment as always.
    KERNELPILOT_API_KEY=scripted-endpoint-takes-any-key optimize_run "$ex" scripted "$src" --kernel "$kernel" --spec "$spec" --workspace "$ws" \
      --no-search --model scripted --base-url "$(cat "$url_file")" --rounds 1 --candidates "$answers" --repairs 1
  else
    echo "scripted: ERROR the endpoint did not start: $(tail -n 2 "$OUT/$ex.endpoint.log")"
  fi
  stop_endpoint

  # (b) the built-in search.
  KERNELPILOT_API_KEY= OPENAI_API_KEY= optimize_run "$ex" search "$src" --kernel "$kernel" --spec "$spec" --workspace "$ws" \
    --no-model --rounds "$SEARCH_ROUNDS" --candidates "$SEARCH_CANDIDATES"
done

echo
echo "== summary ($OUT) [${SECONDS}s]"
"$NODE" bench/optimize-summary.mjs "$OUT" | tee "$OUT/summary.txt"
exit "${PIPESTATUS[0]}"
