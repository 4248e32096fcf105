#!/usr/bin/env bash
# The Triton examples through KernelPilot's gate on a GPU machine (python3 + torch + triton there, no node: a node
# binary is passed in), through the bundled CLI (dist/cli.js):
#   bash bench/gpu-triton.sh NODE_BIN OUTDIR          (from the repository root)
# For each of examples/triton/{vector_add,softmax,matmul}:
# 1. `bench` of the baseline with its spec: OUTDIR/<name>-bench.json and .txt (kernel time, bandwidth, the
#    autotuner's pick for matmul).
# 2. `compare` with every candidate (an honest faster one, fast_*, and cheats, wrong_*/partial_*/mutate_*):
#    OUTDIR/<name>-compare.json and .txt, plus the record under OUTDIR/ws/.kernelpilot/runs/.
# 3. `optimize`: the model loop against bench/scripted-endpoint.mjs serving the example's candidates as answers
#    (OUTDIR/<name>-optimize-model.json), then the built-in search, SEARCH_ROUNDS rounds of 4
#    (<name>-optimize-search.json; on the autotuned matmul it adds configs next to the autotuner's pick).
# 4. OUTDIR/summary.txt (printed last): per candidate its verdict, failed probes and speedup, and PASS where the gate
#    said what the file name promises (fast_ accepted, every other prefix rejected), else FAIL; the same for the
#    model loop's answers; the optimize runs' results and their re-derived gate records.
# Knobs: EXAMPLES ("vector_add softmax matmul"), STEPS ("bench compare model search": which of 1-3 run), PYTHON
# (python3), PAIRS (100), SEARCH_ROUNDS (2), CLI_ARGS (e.g. "--no-sandbox", or "--bwrap /path/to/bwrap"),
# DEVICE (auto; cpu runs Triton's interpreter: checks only), SMALL=1 (tiny sizes, for a check of the script itself).
set -uo pipefail

NODE=${1:?usage: bash bench/gpu-triton.sh NODE_BIN OUTDIR}
OUT=${2:?usage: bash bench/gpu-triton.sh NODE_BIN OUTDIR}
mkdir -p "$OUT/ws" "$OUT/specs"
OUT=$(cd "$OUT" && pwd)
PYTHON=${PYTHON:-python3}
PAIRS=${PAIRS:-100}
SEARCH_ROUNDS=${SEARCH_ROUNDS:-2}
DEVICE=${DEVICE:-auto}
read -r -a EXTRA <<< "${CLI_ARGS:-}"
[ -f dist/cli.js ] || { echo "no dist/cli.js: run 'npm run build' where node_modules exist and carry dist/" >&2; exit 2; }
"$NODE" --version > /dev/null || { echo "node binary '$NODE' does not run" >&2; exit 2; }
REPO=$(pwd)
EXAMPLES=${EXAMPLES:-vector_add softmax matmul}
STEPS=${STEPS:-bench compare model search}
step() { [[ " $STEPS " == *" $1 "* ]]; }
# Tenths of seconds since a `date +%s%N` (bash arithmetic: the GPU machine has no awk or bc).
seconds() { local d=$(( ($(date +%s%N) - $1) / 100000000 )); echo "$(( d / 10 )).$(( d % 10 ))"; }

for name in $EXAMPLES; do
  dir="$REPO/examples/triton/$name"
  spec="$OUT/specs/$name.spec.json"
  # The committed spec, or with tiny sizes (SMALL=1) so the interpreter finishes in seconds.
  "$PYTHON" - "$dir/$name.spec.json" "$spec" "${SMALL:-}" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
if sys.argv[3]:
    spec["sizes"].update({"n_elements": 1000, "n_rows": 6, "n_cols": 300, "M": 64, "N": 64, "K": 96})
    spec["sizes"] = {k: v for k, v in spec["sizes"].items() if k in json.load(open(sys.argv[1]))["sizes"]}
json.dump(spec, open(sys.argv[2], "w"), indent=2)
PY
  candidates=()
  for c in "$dir"/candidates/*.py; do candidates+=(--candidate "$c"); done
  if step bench; then
  echo "== $name: bench" >&2
  start=$(date +%s%N)
  (cd "$dir" && "$NODE" "$REPO/dist/cli.js" bench "$name.py" --spec "$spec" --workspace "$OUT/ws" --python "$PYTHON" --device "$DEVICE" "${EXTRA[@]}" --json) > "$OUT/$name-bench.json" 2> "$OUT/$name-bench.stderr"
  echo "exit $? in $(seconds "$start") s" >&2
  fi
  if step compare; then
  echo "== $name: compare $(( ${#candidates[@]} / 2 )) candidate(s)" >&2
  start=$(date +%s%N)
  (cd "$dir" && "$NODE" "$REPO/dist/cli.js" compare "$name.py" --spec "$spec" "${candidates[@]}" --workspace "$OUT/ws" --python "$PYTHON" --device "$DEVICE" --pairs "$PAIRS" "${EXTRA[@]}" --json) > "$OUT/$name-compare.json" 2> "$OUT/$name-compare.stderr"
  echo "exit $? (3: some rejected) in $(seconds "$start") s" >&2

  fi
  if step model; then
  echo "== $name: optimize, the model loop against bench/scripted-endpoint.mjs (its candidates as answers)" >&2
  rm -f "$OUT/$name-endpoint.url"
  "$NODE" bench/scripted-endpoint.mjs --example "$dir" --url-file "$OUT/$name-endpoint.url" --log "$OUT/$name-endpoint.jsonl" & endpoint=$!
  for _ in $(seq 100); do [ -s "$OUT/$name-endpoint.url" ] && break; sleep 0.1; done
  answers=$("$NODE" bench/scripted-endpoint.mjs --example "$dir" --list | wc -l)
  start=$(date +%s%N)
  (cd "$dir" && KERNELPILOT_API_KEY=scripted "$NODE" "$REPO/dist/cli.js" optimize "$name.py" --spec "$spec" --workspace "$OUT/ws" --python "$PYTHON" --device "$DEVICE" --pairs "$PAIRS" --rounds 1 --candidates "$answers" --repairs 0 --no-search --base-url "$(cat "$OUT/$name-endpoint.url")" --model scripted "${EXTRA[@]}" --json) > "$OUT/$name-optimize-model.json" 2> "$OUT/$name-optimize-model.stderr"
  echo "exit $? in $(seconds "$start") s" >&2
  kill "$endpoint" 2> /dev/null; wait "$endpoint" 2> /dev/null
  fi
  if step search; then
  echo "== $name: optimize, the built-in search ($SEARCH_ROUNDS rounds of 4)" >&2
  start=$(date +%s%N)
  (cd "$dir" && "$NODE" "$REPO/dist/cli.js" optimize "$name.py" --spec "$spec" --workspace "$OUT/ws" --python "$PYTHON" --device "$DEVICE" --pairs "$PAIRS" --rounds "$SEARCH_ROUNDS" --candidates 4 --no-model "${EXTRA[@]}" --json) > "$OUT/$name-optimize-search.json" 2> "$OUT/$name-optimize-search.stderr"
  echo "exit $? in $(seconds "$start") s" >&2
  fi
done

"$PYTHON" - "$OUT" "$EXAMPLES" "$STEPS" <<'PY' | tee "$OUT/summary.txt"
import json, os, sys
out = sys.argv[1]
examples, steps = sys.argv[2].split(), sys.argv[3].split()
ok = True


def load(stem, what):
    """OUT/<stem>.json, or None after saying why not (the last line of its stderr)."""
    try:
        return json.load(open(os.path.join(out, f"{stem}.json")))
    except Exception as e:  # noqa: BLE001
        try:
            err = open(os.path.join(out, f"{stem}.stderr")).read().strip().splitlines()[-1:] or [""]
        except OSError:
            err = ["it did not run (the script was stopped before it)"]
        print(f"{what}: no result ({type(e).__name__}): {err[0]}")
        return None


for name in examples:
    for kind in [k for k in ("bench", "compare") if k in steps]:
        d = load(f"{name}-{kind}", f"{name} {kind}")
        if d is None:
            ok = False
            continue
        if kind == "bench":
            pick = (d["run"]["reference"].get("report") or {}).get("autotune")
            print(f"{name}: {d['lens']}" + (f" · autotune picked {pick}" if pick else ""))
            continue
        for c, ev in zip(d["result"]["candidates"], d["run"]["candidates"]):
            file = os.path.basename(c["file"])
            accepted = c["verdict"]["accepted"]
            want = file.startswith("fast_")
            eager = c.get("eager")
            method = (d["run"]["reference"].get("start") or {}).get("timing", {}).get("method")
            clock = "" if method == "cuda-events" else " (host clock of Triton's interpreter)"
            speed = f" {eager['speedup']:.3g}x ({eager['verdict']}, p={eager['test']['pValue']:.2g}){clock}" if eager else ""
            pick = (ev.get("report") or {}).get("autotune")
            verdict = "accepted" if accepted else "rejected: " + ", ".join(c["verdict"]["failed"])
            good = accepted == want
            ok = ok and good
            print(f"  {'PASS' if good else 'FAIL'} {name}/{file}: {verdict}{speed}, {ev.get('seconds', '?')} s" + (f" · autotune picked {pick}" if pick else ""))
    for kind in [k for k in ("model", "search") if k in steps]:
        d = load(f"{name}-optimize-{kind}", f"{name} optimize ({kind})")
        if d is None:
            ok = False
            continue
        print(f"{name} optimize ({kind}): {d['message']}; gate records re-derived: {d['gateRecords']['rederived']}, mismatches: {len(d['mismatches'])}")
        ok = ok and not d["mismatches"]
        for a in d["attempts"]:
            answer = (a.get("description") or "").split(":")[0].replace("Scripted answer ", "")
            if kind == "model":
                good = a["accepted"] == answer.startswith("fast_")
                ok = ok and good
                print(f"  {'PASS' if good else 'FAIL'} {a['id']} {answer}: {a['result']}")
            else:
                print(f"  {a['id']} {a['strategy']} ({a.get('description', '')}): {a['result']}")
print("ALL PASS" if ok else "SOME FAIL")
PY
