#!/usr/bin/env bash
# Re-gate at HEAD (issue 13, call B, ~350 s): our KernelBench gate on every shared task, solution and cheat, beside
# KernelBench's verdicts of 2026-11-29c (kb-s4.jsonl, all valid). Sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
s=$(date +%s); CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" KB_PREVIOUS=bench/results/h200-2026-11-29c/kb-s4.jsonl timeout 500 bash bench/gpu-kernelbench.sh /tmp/node /tmp/kb .kp-node/kb > /tmp/kb.log 2>&1; echo "gpu-kernelbench rc=$? in $(( $(date +%s) - s )) s" >> /tmp/kb.log
python3 bench/kernelbench-eval.py table /tmp/kb/ours.json /tmp/kb/kernelbench.jsonl > /tmp/kb/side-by-side.txt 2>&1
tar czf "$R/regate-b.tgz" -C /tmp kb kb.log
head -3 /tmp/kb/ours.txt; cut -c1-200 /tmp/kb/side-by-side.txt | head -25; tail -1 /tmp/kb.log
