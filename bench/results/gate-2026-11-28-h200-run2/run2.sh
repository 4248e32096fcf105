#!/usr/bin/env bash
# Second validation run (helper gate-core): (1) which L2 flush makes the gate's kernel time agree with ncu (memset,
# read, memset+read; vector_add at 2^20, 2^24, 2^26), and ncu's cache control at two small sizes; (2) every example
# and candidate gated with the flush that agreed best; fidelity at 8 points; 20-candidate throughput; repeats.
set -uo pipefail
cd "$(dirname "$0")"
xz -dc ../node.xz > /tmp/node && chmod +x /tmp/node
rm -f ~/.cache/kernelpilot/ceilings.json
R=/tmp/r2; mkdir -p $R/flush; WS=/tmp/kp-ws2; mkdir -p $WS
N=/tmp/node; CLI=dist/cli.js; T=bench/gpu-tools.mjs; EX=examples/cuda/vector_add
for n in 1048576 16777216 67108864; do
  $N $T spec-at $EX/vector_add.spec.json n=$n $PWD/$EX/vector_add.cu > $WS/s$n.json
  $N $CLI bench $EX/vector_add.cu --spec $WS/s$n.json --workspace $WS --dry-run --json > $R/flush/build$n.json 2>/dev/null
  rt=$($N $T binary $R/flush/build$n.json runtime); so=$($N $T binary $R/flush/build$n.json baseline)
  ncu --clock-control none -k regex:^vector_add --metrics gpu__time_duration.sum --csv $rt baseline --version $so --seeds 1,2,3 --time-seed 7 --warmup 3 --iters 20 --sets 2 --timing events > $R/flush/ncu$n.csv 2>/dev/null
  for f in memset read memset-read; do
    KP_FLUSH=$f $N $CLI bench $EX/vector_add.cu --spec $WS/s$n.json --workspace $WS --iters 50 --json > $R/flush/bench$n-$f.json 2>/dev/null
    $N $T fidelity vector_add "n=$n $f" $R/flush/bench$n-$f.json $R/flush/ncu$n.csv > $R/flush/fid$n-$f.json
  done
done
for n in 4096 65536; do
  $N $T spec-at $EX/vector_add.spec.json n=$n $PWD/$EX/vector_add.cu > $WS/s$n.json
  $N $CLI bench $EX/vector_add.cu --spec $WS/s$n.json --workspace $WS --dry-run --json > $R/flush/build$n.json 2>/dev/null
  rt=$($N $T binary $R/flush/build$n.json runtime); so=$($N $T binary $R/flush/build$n.json baseline)
  ncu --clock-control none --cache-control none -k regex:^vector_add --metrics gpu__time_duration.sum --csv $rt baseline --version $so --seeds 1,2,3 --time-seed 7 --warmup 3 --iters 20 --sets 2 --timing events > $R/flush/ncu$n-nocache.csv 2>/dev/null
done
rm -rf $WS/.kernelpilot
BEST=$($N -e '
  const fs = require("fs"), d = process.argv[1]; const score = {};
  for (const f of fs.readdirSync(d).filter((x) => /^fid.*\.json$/.test(x))) { const r = JSON.parse(fs.readFileSync(d + "/" + f)); const how = r.point.split(" ")[1]; score[how] = (score[how] ?? 0) + Math.abs(Math.log(r.ratio)); console.error(f, r.ratio.toFixed(4)); }
  console.log(Object.entries(score).sort((a, b) => a[1] - b[1])[0][0]);' $R/flush)
echo "best flush: $BEST" | tee $R/flush/best.txt
export KP_FLUSH=$BEST FIDELITY='vector_add n=(4096|65536|1048576|16777216|67108864)$|softmax rows=65536|transpose rows=8192|matmul m=2048' THROUGHPUT=20 REPEATS=3 REPEAT_EXAMPLES="vector_add softmax"
timeout 300 bash bench/gpu-run.sh /tmp/node $R > $R/console.log 2>&1
echo "gpu-run rc=$?" >> $R/console.log
tar czf "$OUT/run2.tgz" -C /tmp r2
cp $R/summary.txt "$OUT/" 2>/dev/null
cat $R/flush/best.txt; tail -c 7000 $R/console.log
