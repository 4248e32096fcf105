#!/usr/bin/env bash
# Re-gate at HEAD (issue 13, call A, ~420 s): every Triton example and cheat compared, matmul and vector_add optimized
# with the scripted endpoint, vector_add's search (batches), then optimize on 19_ReLU with all 9 answers. Sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
BW="--bwrap $PWD/.kp-node/bwrap/bwrap"
s=$(date +%s); EXAMPLES="vector_add softmax matmul" STEPS="compare model search" CLI_ARGS="$BW" timeout 300 bash bench/gpu-triton.sh /tmp/node /tmp/triton > /tmp/triton.log 2>&1; echo "triton rc=$? in $(( $(date +%s) - s )) s" >> /tmp/triton.log
mkdir -p /tmp/answers && cp test/fixtures/kernelbench/solutions/19_ReLU/*.py test/fixtures/kernelbench/solutions-gpu/19_ReLU/*.py /tmp/answers/
s=$(date +%s); CLI_ARGS="$BW" timeout 250 bash bench/gpu-kernelbench-optimize.sh /tmp/node /tmp/kbopt .kp-node/kb/level1/19_ReLU.py /tmp/answers > /tmp/kbopt.log 2>&1; echo "kb optimize rc=$? in $(( $(date +%s) - s )) s" >> /tmp/kbopt.log
find /tmp/triton -name '*.so' -delete
tar czf "$R/regate-a.tgz" -C /tmp triton triton.log kbopt kbopt.log
cat /tmp/triton/summary.txt /tmp/kbopt/summary.txt 2>&1 | cut -c1-240; tail -1 /tmp/triton.log /tmp/kbopt.log
