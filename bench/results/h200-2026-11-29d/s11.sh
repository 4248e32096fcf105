#!/usr/bin/env bash
# The config search again after the sibling fix (be366b3): matmul, 4 rounds of 4, sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
s=$(date +%s); EXAMPLES="matmul" STEPS="search" SEARCH_ROUNDS=4 CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" timeout 480 bash bench/gpu-triton.sh /tmp/node /tmp/mm2 > /tmp/mm2.log 2>&1; echo "matmul search rc=$? in $(( $(date +%s) - s )) s" >> /tmp/mm2.log
find /tmp/mm2 -name '*.so' -delete
tar czf "$R/configs-search2.tgz" -C /tmp mm2 mm2.log
cat /tmp/mm2/summary.txt | cut -c1-260; grep -h "Python gate\|round" /tmp/mm2/matmul-optimize-search.stderr | head -20; tail -n 2 /tmp/mm2.log
