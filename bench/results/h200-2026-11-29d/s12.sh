#!/usr/bin/env bash
# HEAD check after the per-child seeds (3982516) and the config search: Triton compare on vector_add and matmul, then
# 19_ReLU optimize with its 9 answers. Sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
BW="--bwrap $PWD/.kp-node/bwrap/bwrap"
s=$(date +%s); EXAMPLES="vector_add matmul" STEPS="compare" CLI_ARGS="$BW" timeout 150 bash bench/gpu-triton.sh /tmp/node /tmp/t12 > /tmp/t12.log 2>&1; echo "triton rc=$? in $(( $(date +%s) - s )) s" >> /tmp/t12.log
mkdir -p /tmp/answers && cp test/fixtures/kernelbench/solutions/19_ReLU/*.py test/fixtures/kernelbench/solutions-gpu/19_ReLU/*.py /tmp/answers/
s=$(date +%s); CLI_ARGS="$BW" timeout 250 bash bench/gpu-kernelbench-optimize.sh /tmp/node /tmp/k12 .kp-node/kb/level1/19_ReLU.py /tmp/answers > /tmp/k12.log 2>&1; echo "kb optimize rc=$? in $(( $(date +%s) - s )) s" >> /tmp/k12.log
find /tmp/t12 -name '*.so' -delete
tar czf "$R/head-check.tgz" -C /tmp t12 t12.log k12 k12.log
cat /tmp/t12/summary.txt /tmp/k12/summary.txt 2>&1 | cut -c1-200; tail -n 1 /tmp/t12.log; tail -n 1 /tmp/k12.log
grep -ho '"seed": [0-9]*' -r /tmp/k12/ws 2>/dev/null | sort -u | head -12
