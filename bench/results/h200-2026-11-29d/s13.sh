#!/usr/bin/env bash
# Re-gate after the per-child seeds (3982516) of what call E did not cover: our KernelBench gate on every shared task
# and cheat (less the two cold load_inline builds, ~70 s each, for the time left), and softmax's Triton compare.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
BW="--bwrap $PWD/.kp-node/bwrap/bwrap"
S=/tmp/sol && rm -rf $S && mkdir -p $S/model_ex_add
cp -r test/fixtures/kernelbench/solutions/. test/fixtures/kernelbench/solutions-gpu/. $S/
rm -f $S/model_ex_add/cached_cuda.py
cp .kp-node/kb/examples/model_new_ex_add_triton.py $S/model_ex_add/example_triton.py
mkdir -p /tmp/kb13
s=$(date +%s); timeout 200 /tmp/node dist/cli.js kernelbench .kp-node/kb/level1/*.py .kp-node/kb/level2/*.py .kp-node/kb/examples/model_ex_add.py --solutions $S --pairs 30 $BW --json > /tmp/kb13/ours.json 2> /tmp/kb13/ours.stderr; echo "kernelbench rc=$? in $(( $(date +%s) - s )) s" > /tmp/kb13/log
python3 bench/kernelbench-eval.py table /tmp/kb13/ours.json bench/results/h200-2026-11-29c/kb-s4.jsonl > /tmp/kb13/side-by-side.txt 2>&1
s=$(date +%s); EXAMPLES="softmax" STEPS="compare" CLI_ARGS="$BW" timeout 60 bash bench/gpu-triton.sh /tmp/node /tmp/t13 > /tmp/t13.log 2>&1; echo "triton rc=$? in $(( $(date +%s) - s )) s" >> /tmp/t13.log
find /tmp/t13 -name '*.so' -delete
tar czf "$R/regate-f.tgz" -C /tmp kb13 t13 t13.log
cat /tmp/kb13/log; cut -c1-150 /tmp/kb13/side-by-side.txt | head -22; cat /tmp/t13/summary.txt; tail -n 1 /tmp/t13.log
