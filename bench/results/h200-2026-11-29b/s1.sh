#!/usr/bin/env bash
# Session 2026-11-29b, call 1: every CUDA example and cheat re-gated (sandboxed), then the Triton examples (bench,
# compare with cheats, optimize with the scripted endpoint and the built-in search), sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
s=$(date +%s)
CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" SKIP_NCU=1 THROUGHPUT=0 REPEATS=0 timeout 170 bash bench/gpu-run.sh /tmp/node /tmp/gate > /tmp/gate.log 2>&1; echo "gpu-run rc=$? in $(( $(date +%s) - s )) s" >> /tmp/gate.log
find /tmp/gate -name '*.so' -delete
tar czf "$R/gate.tgz" -C /tmp gate gate.log
sed -n '/^== summary/,$p' /tmp/gate.log | cut -c1-400
s=$(date +%s)
CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" timeout ${TRITON_TIMEOUT:-370} bash bench/gpu-triton.sh /tmp/node /tmp/triton > /tmp/triton.log 2>&1; echo "gpu-triton rc=$? in $(( $(date +%s) - s )) s" >> /tmp/triton.log
find /tmp/triton -name '*.so' -delete
tar czf "$R/triton.tgz" -C /tmp triton triton.log
tail -70 /tmp/triton.log | cut -c1-500
