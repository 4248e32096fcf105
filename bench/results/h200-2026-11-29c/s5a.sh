#!/usr/bin/env bash
# Next session, call B (issue 13): Triton matmul compared with its cheats and optimized with the scripted endpoint;
# vector_add's built-in search again after the timing fix (its num_stages variants should read ~1.00x); optimize on
# 19_ReLU with every scripted answer (the 2026-11-29b run was cut after 6 of 9). Sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
BW="--bwrap $PWD/.kp-node/bwrap/bwrap"
s=$(date +%s)
EXAMPLES=matmul STEPS="compare model" CLI_ARGS="$BW" timeout 240 bash bench/gpu-triton.sh /tmp/node /tmp/triton > /tmp/triton.log 2>&1; echo "matmul rc=$? in $(( $(date +%s) - s )) s" >> /tmp/triton.log
s=$(date +%s)
EXAMPLES=vector_add STEPS="search" CLI_ARGS="$BW" timeout 150 bash bench/gpu-triton.sh /tmp/node /tmp/triton2 > /tmp/triton2.log 2>&1; echo "vector_add search rc=$? in $(( $(date +%s) - s )) s" >> /tmp/triton2.log
find /tmp/triton /tmp/triton2 -name '*.so' -delete
tar czf "$R/triton.tgz" -C /tmp triton triton.log triton2 triton2.log
cat /tmp/triton/summary.txt /tmp/triton2/summary.txt 2>&1 | cut -c1-260
