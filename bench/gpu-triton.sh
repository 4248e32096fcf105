#!/usr/bin/env bash
# The Triton examples through KernelPilot's gate on a GPU machine (python3 + torch + triton there, no node: a node
# binary is passed in), through the bundled CLI (dist/cli.js):
#   bash bench/gpu-triton.sh NODE_BIN OUTDIR          (from the repository root)
# For each of examples/triton/{vector_add,softmax,matmul}:
# 1. `bench` of the baseline with its spec: OUTDIR/<name>-bench.json and .txt (kernel time, bandwidth, the
#    autotuner's pick for matmul).
# 2. `compare` with every candidate (an honest faster one, fast_*, and cheats, wrong_*/partial_*/mutate_*):
#    OUTDIR/<name>-compare.json and .txt, plus the record under OUTDIR/ws/.kernelpilot/runs/.
# 3. OUTDIR/summary.txt (printed last): per candidate its verdict, failed probes and speedup, and PASS where the gate
#    said what the file name promises (fast_ accepted, every other prefix rejected), else FAIL.
# Knobs: PYTHON (python3), PAIRS (100), CLI_ARGS (e.g. "--no-sandbox", or "--bwrap /path/to/bwrap"),
# DEVICE (auto; cpu runs Triton's interpreter: checks only), SMALL=1 (tiny sizes, for a check of the script itself).
set -uo pipefail

NODE=${1:?usage: bash bench/gpu-triton.sh NODE_BIN OUTDIR}
OUT=${2:?usage: bash bench/gpu-triton.sh NODE_BIN OUTDIR}
mkdir -p "$OUT/ws" "$OUT/specs"
OUT=$(cd "$OUT" && pwd)
PYTHON=${PYTHON:-python3}
PAIRS=${PAIRS:-100}
DEVICE=${DEVICE:-auto}
read -r -a EXTRA <<< "${CLI_ARGS:-}"
[ -f dist/cli.js ] || { echo "no dist/cli.js: run 'npm run build' where node_modules exist and carry dist/" >&2; exit 2; }
"$NODE" --version > /dev/null || { echo "node binary '$NODE' does not run" >&2; exit 2; }
REPO=$(pwd)

for name in vector_add softmax matmul; do
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
  echo "== $name: bench" >&2
  start=$(date +%s.%N)
  (cd "$dir" && "$NODE" "$REPO/dist/cli.js" bench "$name.py" --spec "$spec" --workspace "$OUT/ws" --python "$PYTHON" --device "$DEVICE" "${EXTRA[@]}" --json) > "$OUT/$name-bench.json" 2> "$OUT/$name-bench.stderr"
  echo "exit $? in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
  echo "== $name: compare $(( ${#candidates[@]} / 2 )) candidate(s)" >&2
  start=$(date +%s.%N)
  (cd "$dir" && "$NODE" "$REPO/dist/cli.js" compare "$name.py" --spec "$spec" "${candidates[@]}" --workspace "$OUT/ws" --python "$PYTHON" --device "$DEVICE" --pairs "$PAIRS" "${EXTRA[@]}" --json) > "$OUT/$name-compare.json" 2> "$OUT/$name-compare.stderr"
  echo "exit $? (3: some rejected) in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
done

"$PYTHON" - "$OUT" <<'PY' | tee "$OUT/summary.txt"
import json, os, sys
out = sys.argv[1]
ok = True
for name in ("vector_add", "softmax", "matmul"):
    for kind in ("bench", "compare"):
        path = os.path.join(out, f"{name}-{kind}.json")
        try:
            d = json.load(open(path))
        except Exception as e:  # noqa: BLE001
            err = open(os.path.join(out, f"{name}-{kind}.stderr")).read().strip().splitlines()[-1:] or [""]
            print(f"{name} {kind}: no result ({type(e).__name__}): {err[0]}")
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
            speed = f" {eager['speedup']:.3g}x ({eager['verdict']}, p={eager['test']['pValue']:.2g})" if eager else ""
            pick = (ev.get("report") or {}).get("autotune")
            verdict = "accepted" if accepted else "rejected: " + ", ".join(c["verdict"]["failed"])
            good = accepted == want
            ok = ok and good
            print(f"  {'PASS' if good else 'FAIL'} {name}/{file}: {verdict}{speed}, {ev.get('seconds', '?')} s" + (f" · autotune picked {pick}" if pick else ""))
print("ALL PASS" if ok else "SOME FAIL")
PY
