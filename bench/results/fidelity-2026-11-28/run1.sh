#!/usr/bin/env bash
# Fidelity run 1 (helper fidelity, issue 8): every hypothesis for the gate-vs-ncu gap in one call.
#   A  probe.cu with CUPTI: each L2-flush variant x vector_add 0 (empty), 2^12 ... 2^26; a dump of every activity
#      around one timed launch; SM clock after each sample
#   B  probe.cu without CUPTI (events only): does activity tracing slow the kernel?
#   C  ncu on the probe's launches: --cache-control all, and --cache-control none after each of our flushes
#   D  ncu cycle metrics for the small kernels (gpu__time_duration vs sm/gpc cycles elapsed / clock)
#   E  the probe's CUPTI records under ncu, for the same launches ncu times
#   F  the gate itself (dist/cli.js, KP_L2_FLUSH variants of this build) at 2^24 and 2^26, ncu on the same launches
# nvidia-smi samples clocks, power and temperatures every 100 ms throughout (smi.csv).
set -uo pipefail
cd "$(dirname "$0")"
xz -dc ../node.xz > /tmp/node && chmod +x /tmp/node
R=/tmp/f1; mkdir -p $R; WS=/tmp/kp-f1; mkdir -p $WS
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,temperature.memory,clocks_event_reasons.active --format=csv -lms 100 > $R/smi.csv 2>&1 &
SMI=$!
T=$(dirname "$(readlink -f "$(which nvcc)")")/..
export KP_CUPTI_DIRS=$T/lib64:$T/lib:$T/extras/CUPTI/lib64:$T/targets/x86_64-linux/lib
stamp() { echo "== $1 [$SECONDS s] $(date +%T.%N)" | tee -a $R/steps.log; }
NCU=(ncu --clock-control none --csv -k 'regex:^(vector_add|empty_kernel)$')
stamp A; timeout 60 ./probe --dump > $R/A-probe-cupti.csv 2> $R/A.err
stamp B; timeout 40 ./probe --no-cupti --modes wr,wrd,none,b2b > $R/B-probe-nocupti.csv 2> $R/B.err
stamp C1; timeout 70 "${NCU[@]}" --cache-control all --metrics gpu__time_duration.sum ./probe --no-cupti --modes wr --iters 8 --warmup 1 > $R/C1-ncu-all.csv 2>&1
stamp C2; timeout 80 "${NCU[@]}" --cache-control none --metrics gpu__time_duration.sum ./probe --no-cupti --modes none,wr,wrd,r --sizes 4096,1048576,16777216,67108864 --iters 6 --warmup 1 > $R/C2-ncu-none.csv 2>&1
stamp D; timeout 50 "${NCU[@]}" --cache-control all --metrics gpu__time_duration.sum,sm__cycles_elapsed.max,sm__cycles_elapsed.avg.per_second,gpc__cycles_elapsed.max,gpc__cycles_elapsed.avg.per_second ./probe --no-cupti --modes wr --sizes 0,4096,65536,1048576 --iters 5 --warmup 1 > $R/D-ncu-cycles.csv 2>&1
stamp E; timeout 40 "${NCU[@]}" --cache-control all --metrics gpu__time_duration.sum ./probe --modes wr --sizes 0,4096,16777216 --iters 5 --warmup 1 > $R/E-ncu-with-cupti.csv 2>&1
stamp F
N=/tmp/node; CLI=dist/cli.js; TL=bench/gpu-tools.mjs; EX=examples/cuda/vector_add
for n in 16777216 67108864 4096; do
  $N $TL spec-at $EX/vector_add.spec.json n=$n $PWD/$EX/vector_add.cu > $WS/s$n.json
  $N $CLI bench $EX/vector_add.cu --spec $WS/s$n.json --workspace $WS --dry-run --json --no-sandbox > $R/F-build$n.json 2>> $R/F.err
  rt=$($N $TL binary $R/F-build$n.json runtime); so=$($N $TL binary $R/F-build$n.json baseline)
  timeout 40 ncu --clock-control none -k regex:^vector_add --metrics gpu__time_duration.sum --csv $rt baseline --version $so --seeds 1,2,3 --time-seed 7 --warmup 3 --iters 20 --sets 2 --timing events > $R/F-ncu$n.csv 2>> $R/F.err
  for f in write-read write-read-discard read-discard write-discard; do
    [ $n = 4096 ] && [ $f != write-read ] && [ $f != write-read-discard ] && continue
    KP_L2_FLUSH=$f timeout 30 $N $CLI bench $EX/vector_add.cu --spec $WS/s$n.json --workspace $WS --iters 50 --json --no-sandbox > $R/F-bench$n-$f.json 2>> $R/F.err
    $N $TL fidelity vector_add "n=$n $f" $R/F-bench$n-$f.json $R/F-ncu$n.csv > $R/F-fid$n-$f.json && echo "F $(cat $R/F-fid$n-$f.json)" | tee -a $R/steps.log
  done
  stamp "F $n done"
done
kill $SMI
grep '^summary' $R/A-probe-cupti.csv $R/B-probe-nocupti.csv
grep -h '^cupti' $R/*.csv
tar czf "$OUT/f1.tgz" -C /tmp f1
cat $R/steps.log
