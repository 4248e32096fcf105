#!/usr/bin/env bash
# Session 2026-11-29b, call 3: our KernelBench gate on every shared task (fast_p), then KernelBench's own evaluation on
# the candidates it has not judged yet (run1's three kept), 3 at a time, and the side-by-side table.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
s=$(date +%s)
KB_PREVIOUS=.kp-node/final/kb-run1.jsonl KB_JOBS=3 CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" timeout 575 bash bench/gpu-kernelbench.sh /tmp/node /tmp/kb .kp-node/kb > /tmp/kb.log 2>&1; echo "gpu-kernelbench rc=$? in $(( $(date +%s) - s )) s" >> /tmp/kb.log
python3 bench/kernelbench-eval.py table /tmp/kb/ours.json /tmp/kb/kernelbench.jsonl > /tmp/kb/side-by-side.txt 2>&1
tar czf "$R/kb.tgz" -C /tmp kb kb.log
tail -40 /tmp/kb.log | cut -c1-400
