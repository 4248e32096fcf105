#!/usr/bin/env bash
# `kernelpilot optimize` on a KernelBench task with the scripted endpoint, on a GPU machine (python3 + torch there, no
# node: a node binary is passed in), through the bundled CLI (dist/cli.js):
#   bash bench/gpu-kernelbench-optimize.sh NODE_BIN OUTDIR TASK ANSWERS_DIR        (from the repository root)
# ANSWERS_DIR holds ModelNew files (e.g. test/fixtures/kernelbench/solutions/19_ReLU plus solutions-gpu/19_ReLU):
# bench/scripted-endpoint.mjs serves each as one answer, honest ones first; the loop gates every one against the
# task's Model (one round, a candidate per answer, no repairs).
# Writes OUTDIR/optimize.json (the run's report, --json), optimize.stderr, endpoint.jsonl and summary.txt (printed
# last): per attempt the answer, its verdict, and PASS where the gate did what the answer's name says (honest*,
# fast*, example*: accepted; nondeterministic: accepted, its probe is advisory; every other name: rejected).
# Knobs: PYTHON (python3), PAIRS (30), CLI_ARGS (e.g. "--no-sandbox", or "--bwrap /path/to/bwrap").
set -uo pipefail

NODE=${1:?usage: bash bench/gpu-kernelbench-optimize.sh NODE_BIN OUTDIR TASK ANSWERS_DIR}
OUT=${2:?usage: bash bench/gpu-kernelbench-optimize.sh NODE_BIN OUTDIR TASK ANSWERS_DIR}
TASK=${3:?usage: bash bench/gpu-kernelbench-optimize.sh NODE_BIN OUTDIR TASK ANSWERS_DIR}
ANSWERS=${4:?usage: bash bench/gpu-kernelbench-optimize.sh NODE_BIN OUTDIR TASK ANSWERS_DIR}
mkdir -p "$OUT/ws"
OUT=$(cd "$OUT" && pwd)
PYTHON=${PYTHON:-python3}
PAIRS=${PAIRS:-30}
read -r -a EXTRA <<< "${CLI_ARGS:-}"
[ -f dist/cli.js ] || { echo "no dist/cli.js: run 'npm run build' where node_modules exist and carry dist/" >&2; exit 2; }

rm -f "$OUT/endpoint.url"
"$NODE" bench/scripted-endpoint.mjs --example "$ANSWERS" --url-file "$OUT/endpoint.url" --log "$OUT/endpoint.jsonl" & endpoint=$!
trap 'kill "$endpoint" 2> /dev/null' EXIT
for _ in $(seq 100); do [ -s "$OUT/endpoint.url" ] && break; sleep 0.1; done
answers=$("$NODE" bench/scripted-endpoint.mjs --example "$ANSWERS" --list | wc -l)
echo "== optimize $TASK: $answers scripted answers" >&2
start=$(date +%s.%N)
KERNELPILOT_API_KEY=scripted "$NODE" dist/cli.js optimize "$TASK" --workspace "$OUT/ws" --python "$PYTHON" --pairs "$PAIRS" --rounds 1 --candidates "$answers" --repairs 0 --base-url "$(cat "$OUT/endpoint.url")" --model scripted "${EXTRA[@]}" --json > "$OUT/optimize.json" 2> "$OUT/optimize.stderr"
echo "exit $? in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >&2

"$PYTHON" - "$OUT" <<'PY' | tee "$OUT/summary.txt"
import json, os, re, sys
out = sys.argv[1]
try:
    d = json.load(open(os.path.join(out, "optimize.json")))
except Exception as e:  # noqa: BLE001
    tail = open(os.path.join(out, "optimize.stderr")).read().strip().splitlines()[-3:]
    print(f"no report ({type(e).__name__}):", *tail, sep="\n  ")
    print("SOME FAIL")
    sys.exit(0)
print(f"{d['kernel']}: {d['message']}; gate records re-derived: {d['gateRecords']['rederived']}, mismatches: {len(d['mismatches'])}")
ok = not d["mismatches"]
for a in d["attempts"]:
    m = re.match(r"Scripted answer (\S+):", a.get("description") or "")
    name = m.group(1) if m else "?"
    want = bool(re.match(r"(honest|fast|example|nondeterministic)", name))
    good = a["accepted"] == want
    ok = ok and good
    print(f"  {'PASS' if good else 'FAIL'} {a['id']} {name} ({a['strategy']}): {a['result']}")
print("ALL PASS" if ok else "SOME FAIL")
PY
