#!/usr/bin/env bash
# Session 3, one call (issue 13): the Triton examples re-gated after the timing fix, the cover fix, the autotune pin
# and the isolated children — vector_add and softmax compared with their cheats, matmul compared and optimized with
# the scripted endpoint (its answers: the example's candidates), vector_add's built-in search. Sandboxed (bwrap).
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
BW="--bwrap $PWD/.kp-node/bwrap/bwrap"
run() { local name=$1 limit=$2; shift 2; local s=$(date +%s); env "$@" CLI_ARGS="$BW" timeout "$limit" bash bench/gpu-triton.sh /tmp/node "/tmp/$name" > "/tmp/$name.log" 2>&1; echo "$name rc=$? in $(( $(date +%s) - s )) s" >> "/tmp/$name.log"; }
run regate 170 EXAMPLES="vector_add softmax" STEPS="compare"
run matmul 230 EXAMPLES=matmul STEPS="compare model"
run search 110 EXAMPLES=vector_add STEPS="search"
find /tmp/regate /tmp/matmul /tmp/search -name '*.so' -delete
tar czf "$R/triton3.tgz" -C /tmp regate regate.log matmul matmul.log search search.log
for n in regate matmul search; do tail -2 /tmp/$n.log; cat /tmp/$n/summary.txt 2>&1 | cut -c1-240; done
