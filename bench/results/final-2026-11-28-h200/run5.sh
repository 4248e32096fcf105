#!/usr/bin/env bash
# After the fail-closed 'timed' change: every example and every cheat re-gated, candidates sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" SKIP_NCU=1 THROUGHPUT=0 REPEATS=0 timeout 300 bash bench/gpu-run.sh /tmp/node /tmp/gate > /tmp/gate.log 2>&1; echo "gpu-run rc=$?" >> /tmp/gate.log
find /tmp/gate -name '*.so' -delete
tar czf "$R/gate.tgz" -C /tmp gate gate.log
sed -n '/^== summary/,$p' /tmp/gate.log | cut -c1-900
