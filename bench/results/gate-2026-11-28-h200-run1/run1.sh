#!/usr/bin/env bash
# First validation run of the gate core (helper gate-core): vector_add, its candidates and cheats, fidelity vs ncu
# at 5 sizes, throughput of 12 candidates, 3 repeats. Everything lands in $OUT/run1.tgz plus summary.txt.
set -uo pipefail
cd "$(dirname "$0")"
xz -dc ../node.xz > /tmp/node && chmod +x /tmp/node
rm -f ~/.cache/kernelpilot/ceilings.json
mkdir -p /tmp/r1
export ONLY=vector_add FIDELITY='vector_add n=(4096|65536|1048576|16777216|67108864)$' THROUGHPUT=12 REPEATS=3 REPEAT_EXAMPLES=vector_add
timeout 430 bash bench/gpu-run.sh /tmp/node /tmp/r1 > /tmp/r1/console.log 2>&1
echo "gpu-run rc=$?" >> /tmp/r1/console.log
tar czf "$OUT/run1.tgz" -C /tmp r1
cp /tmp/r1/summary.txt "$OUT/" 2>/dev/null
tail -c 6000 /tmp/r1/console.log
