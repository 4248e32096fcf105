#!/usr/bin/env bash
# Follow-up: why sandboxed candidate builds failed on the GPU machine, and whether the fidelity offset comes from
# the sandbox or from the other GPU's load.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
BW=$PWD/.kp-node/bwrap/bwrap
ONLY='^vector_add$' CANDS='fast_float4|zeros_output' SKIP_NCU=1 THROUGHPUT=0 REPEATS=0 CLI_ARGS="--bwrap $BW" timeout 120 bash bench/gpu-run.sh /tmp/node /tmp/g1 > /tmp/g1.log 2>&1
echo "--- g1.log"; head -5 /tmp/g1.log
echo "--- compare.log"; tail -20 /tmp/g1/vector_add.compare.log
echo "--- builds probe"; grep -o '"builds"[^}]*}' /tmp/g1/vector_add.compare.json | head -3 | cut -c1-3000
grep -o '"message":"[^"]*"' /tmp/g1/vector_add.compare.json | sort | uniq -c | head -10 | cut -c1-2000
for s in nosb sb; do
  if [ $s = sb ]; then A="--bwrap $BW"; else A=--no-sandbox; fi
  ONLY='^vector_add$' CANDS='^$' THROUGHPUT=0 REPEATS=0 FIDELITY='vector_add n=(4096|1048576|16777216)$' CLI_ARGS="$A" timeout 150 bash bench/gpu-run.sh /tmp/node /tmp/f-$s > /tmp/f-$s.log 2>&1
  echo "--- fidelity $s"; grep '^fidelity' /tmp/f-$s.log | cut -c1-220
done
tar czf "$R/run2.tgz" --exclude='*.so' -C /tmp g1 g1.log f-nosb f-nosb.log f-sb f-sb.log
