#!/usr/bin/env bash
# Next session, call B (issue 13): Triton matmul compared with its cheats and optimized with the scripted endpoint;
# vector_add's built-in search again after the timing fix (its num_stages variants should read ~1.00x); optimize on
# 19_ReLU with every scripted answer (the 2026-11-29b run was cut after 6 of 9). Sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
BW="--bwrap $PWD/.kp-node/bwrap/bwrap"
mkdir -p /tmp/answers && cp test/fixtures/kernelbench/solutions/19_ReLU/*.py test/fixtures/kernelbench/solutions-gpu/19_ReLU/*.py /tmp/answers/
s=$(date +%s)
CLI_ARGS="$BW" timeout 250 bash bench/gpu-kernelbench-optimize.sh /tmp/node /tmp/kbopt .kp-node/kb/level1/19_ReLU.py /tmp/answers > /tmp/kbopt.log 2>&1; echo "kb optimize rc=$? in $(( $(date +%s) - s )) s" >> /tmp/kbopt.log
tar czf "$R/kbopt.tgz" -C /tmp kbopt kbopt.log
cat /tmp/kbopt/summary.txt 2>&1 | cut -c1-260
