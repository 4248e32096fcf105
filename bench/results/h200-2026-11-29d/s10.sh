#!/usr/bin/env bash
# The built-in search on the autotuned matmul (configs added next to the autotuner's pick), 4 rounds of 4, sandboxed.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
export PYTHONUNBUFFERED=1
s=$(date +%s); EXAMPLES="matmul" STEPS="search" SEARCH_ROUNDS=4 CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" timeout 480 bash bench/gpu-triton.sh /tmp/node /tmp/mm > /tmp/mm.log 2>&1; echo "matmul search rc=$? in $(( $(date +%s) - s )) s" >> /tmp/mm.log
find /tmp/mm -name '*.so' -delete
tar czf "$R/configs-search.tgz" -C /tmp mm mm.log
cat /tmp/mm/summary.txt | cut -c1-260; grep -h "Python gate\|round" /tmp/mm/matmul-optimize-search.stderr | head -20; tail -n 2 /tmp/mm.log
