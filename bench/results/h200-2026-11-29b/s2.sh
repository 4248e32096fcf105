#!/usr/bin/env bash
# Session 2026-11-29b, call 2 (after the Python gate's timing fix): optimize on the KernelBench task 19_ReLU with the
# scripted endpoint (its honest solution and every cheat as answers); our KernelBench gate on every shared task
# (the fast_p table); the Triton matmul example (bench, compare, the model loop). All sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
BW="--bwrap $PWD/.kp-node/bwrap/bwrap"
T0=$(date +%s)
left() { echo $(( ${1} - ( $(date +%s) - T0 ) )); }

mkdir -p /tmp/answers && cp test/fixtures/kernelbench/solutions/19_ReLU/*.py test/fixtures/kernelbench/solutions-gpu/19_ReLU/*.py /tmp/answers/
s=$(date +%s)
CLI_ARGS="$BW" timeout 190 bash bench/gpu-kernelbench-optimize.sh /tmp/node /tmp/kbopt .kp-node/kb/level1/19_ReLU.py /tmp/answers > /tmp/kbopt.log 2>&1; echo "kb optimize rc=$? in $(( $(date +%s) - s )) s" >> /tmp/kbopt.log
tar czf "$R/kbopt.tgz" -C /tmp kbopt kbopt.log answers
tail -14 /tmp/kbopt.log | cut -c1-300

s=$(date +%s)
SKIP_KB=1 CLI_ARGS="$BW" timeout $(left 470) bash bench/gpu-kernelbench.sh /tmp/node /tmp/kb .kp-node/kb > /tmp/kb.log 2>&1; echo "gpu-kernelbench (ours) rc=$? in $(( $(date +%s) - s )) s" >> /tmp/kb.log
tar czf "$R/kb.tgz" -C /tmp kb kb.log
tail -8 /tmp/kb.log | cut -c1-300

s=$(date +%s)
EXAMPLES=matmul STEPS="bench compare model" CLI_ARGS="$BW" timeout $(left 575) bash bench/gpu-triton.sh /tmp/node /tmp/triton > /tmp/triton.log 2>&1; echo "gpu-triton rc=$? in $(( $(date +%s) - s )) s" >> /tmp/triton.log
find /tmp/triton -name '*.so' -delete
tar czf "$R/triton.tgz" -C /tmp triton triton.log
tail -20 /tmp/triton.log | cut -c1-300
