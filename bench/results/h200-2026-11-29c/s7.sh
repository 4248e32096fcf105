#!/usr/bin/env bash
# Session 3 (issue 13): our KernelBench gate on the shared tasks again, on the final code (isolated children, read-only
# inputs, build folders checked), beside KernelBench's verdicts of this session's first call (kb-s4.jsonl: all valid).
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
s=$(date +%s)
CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" KB_PREVIOUS=.kp-node/final/kb-s4.jsonl timeout 470 bash bench/gpu-kernelbench.sh /tmp/node /tmp/kb .kp-node/kb > /tmp/kb.log 2>&1; echo "gpu-kernelbench rc=$? in $(( $(date +%s) - s )) s" >> /tmp/kb.log
python3 bench/kernelbench-eval.py table /tmp/kb/ours.json /tmp/kb/kernelbench.jsonl > /tmp/kb/side-by-side.txt 2>&1
tar czf "$R/kb7.tgz" -C /tmp kb kb.log
cat /tmp/kb/ours.txt | cut -c1-200 | tail -25; cat /tmp/kb/side-by-side.txt | cut -c1-200 | head -25; tail -3 /tmp/kb.log
