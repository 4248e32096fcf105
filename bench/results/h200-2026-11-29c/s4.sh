#!/usr/bin/env bash
# Next session, call A (issue 13): KernelBench's own evaluation on every candidate it has not judged validly yet
# (run1's honest and cached_output rows kept; the rows of 2026-11-29b carry our stand-in's error), 3 at a time, beside
# our verdicts of 2026-11-29b (bench/results/h200-2026-11-29b/kernelbench/ours.json, kept: OURS_PREVIOUS).
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
s=$(date +%s)
OURS_PREVIOUS=bench/results/h200-2026-11-29b/kernelbench/ours.json KB_PREVIOUS=.kp-node/final/kb-valid.jsonl KB_JOBS=3 timeout 570 bash bench/gpu-kernelbench.sh /tmp/node /tmp/kb .kp-node/kb > /tmp/kb.log 2>&1; echo "gpu-kernelbench rc=$? in $(( $(date +%s) - s )) s" >> /tmp/kb.log
python3 bench/kernelbench-eval.py table /tmp/kb/ours.json /tmp/kb/kernelbench.jsonl > /tmp/kb/side-by-side.txt 2>&1
tar czf "$R/kb.tgz" -C /tmp kb kb.log
cat /tmp/kb/side-by-side.txt | cut -c1-260; tail -3 /tmp/kb.log
