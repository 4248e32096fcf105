#!/usr/bin/env bash
# Fidelity run 2 (helper fidelity, issue 8). Run 1 found CUPTI's concurrent-kernel tracing slows vector_add ~7 %
# (it instruments the kernel); this build traces kernels with CUPTI_ACTIVITY_KIND_KERNEL instead.
#   P  probe.cu: concurrent vs serialized kernel tracing vs no CUPTI, each with events around the launch and
#      events behind a blocking kernel (no host gap); ncu on the probe's launches
#   G  bench/gpu-run.sh (this build's gate, default timing): fidelity vs ncu (same launches), run-to-run repeats
#   K  the same gate with KP_CUPTI_KERNELS=concurrent (the old tracing) at three vector_add points, same ncu CSVs
set -uo pipefail
cd "$(dirname "$0")"
xz -dc ../node.xz > /tmp/node && chmod +x /tmp/node
R=/tmp/f2; mkdir -p $R/gate
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,temperature.memory,clocks_event_reasons.active --format=csv -lms 200 > $R/smi.csv 2>&1 &
SMI=$!
T=$(dirname "$(readlink -f "$(which nvcc)")")/..
export KP_CUPTI_DIRS=$T/lib64:$T/lib:$T/extras/CUPTI/lib64:$T/targets/x86_64-linux/lib
stamp() { echo "== $1 [$SECONDS s] $(date +%T.%N)" | tee -a $R/steps.log; }
stamp P1; timeout 30 ./probe --modes wr,wr_blk,b2b > $R/P-concurrent.csv 2>&1
stamp P2; timeout 30 ./probe --serial --modes wr,wr_blk,b2b --dump > $R/P-serial.csv 2>&1
stamp P3; timeout 30 ./probe --no-cupti --modes wr,wr_blk,b2b > $R/P-nocupti.csv 2>&1
stamp P4; timeout 40 ncu --clock-control none --csv -k 'regex:^(vector_add|empty_kernel)$' --cache-control all --metrics gpu__time_duration.sum ./probe --no-cupti --modes wr --iters 8 --warmup 1 > $R/P-ncu.csv 2>&1
stamp G
ONLY='^(vector_add|softmax|transpose|saxpy)$' CANDS='^$' THROUGHPUT=0 REPEATS=3 REPEAT_EXAMPLES="vector_add softmax" CLI_ARGS=--no-sandbox \
  FIDELITY='vector_add|softmax rows=65536|transpose rows=8192|saxpy n=67108864' timeout 170 bash bench/gpu-run.sh /tmp/node $R/gate > $R/gate/console.log 2>&1
echo "gpu-run rc=$?" >> $R/gate/console.log
stamp K
for n in 4096 16777216 67108864; do
  tag=vector_add-n-$n
  KP_CUPTI_KERNELS=concurrent timeout 20 /tmp/node dist/cli.js bench examples/cuda/vector_add/vector_add.cu --spec /tmp/kp-gpu-ws/fidelity-$tag.spec.json --workspace /tmp/kp-k --iters 50 --json --no-sandbox > $R/gate/concurrent-$tag.bench.json 2>> $R/K.err
  /tmp/node bench/gpu-tools.mjs fidelity vector_add "n=$n concurrent-kernel tracing" $R/gate/concurrent-$tag.bench.json $R/gate/fidelity-$tag.ncu.csv > $R/gate/concurrent-$tag.json && echo "K $(cat $R/gate/concurrent-$tag.json)" | tee -a $R/steps.log
done
kill $SMI
grep -h '^summary\|^cupti' $R/P-*.csv
tar czf "$OUT/f2.tgz" -C /tmp f2
cat $R/gate/summary.txt
cat $R/steps.log
