#!/usr/bin/env bash
# Nsight Compute recordings for the profiler (issue 11): every example's baseline and three hint kernels, one launch
# each under the full section set, exported as raw / details / source CSV; SASS with line info; ncu as an
# unprivileged user (the counter-permission case); tool versions.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
N=/tmp/node; T=bench/gpu-tools.mjs; W=/tmp/prof; mkdir -p $W/rec
{ ncu --version; cuobjdump --version | tail -1; nvdisasm --version | tail -1; nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv
  python3 -c 'import torch, triton; print("torch", torch.__version__, "triton", triton.__version__)'; } > $W/rec/versions.txt 2>&1
one() { # NAME SRC SPEC
  local name=$1 src=$2 spec=$3 k
  k=$($N $T kernel "$spec")
  $N dist/cli.js bench "$src" --kernel "$k" --spec "$spec" --workspace /tmp/ws --dry-run --json > $W/$name.build.json 2> $W/$name.build.log || { echo "$name: build failed"; tail -3 $W/$name.build.log; return; }
  local rt so; rt=$($N $T binary $W/$name.build.json runtime); so=$($N $T binary $W/$name.build.json baseline)
  local t0=$SECONDS
  ncu --clock-control none -k "regex:^${k##*::}" -c 1 --section SpeedOfLight --section LaunchStats --section Occupancy \
    --section SchedulerStats --section WarpStateStats --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
    --section MemoryWorkloadAnalysis_Tables --section SourceCounters --import-source yes -f -o $W/rec/$name \
    "$rt" baseline --version "$so" --seeds 1 --warmup 0 --iters 1 --sets 1 --no-time > $W/rec/$name.ncu.log 2>&1
  echo "$name: ncu rc=$? $((SECONDS - t0)) s"
  ncu -i $W/rec/$name.ncu-rep --page raw --csv --print-units base > $W/rec/$name.raw.csv 2>&1
  ncu -i $W/rec/$name.ncu-rep --page details --csv > $W/rec/$name.details.csv 2>&1
  ncu -i $W/rec/$name.ncu-rep --page source --csv --print-source cuda,sass > $W/rec/$name.source.csv 2>&1
  ncu -i $W/rec/$name.ncu-rep --page source --csv --print-source cuda > $W/rec/$name.source-cuda.csv 2>&1
  cuobjdump -sass "$so" > $W/rec/$name.sass.txt 2>&1
  (cd $W && rm -rf x-$name && mkdir x-$name && cd x-$name && cuobjdump -xelf all "$so" > /dev/null 2>&1; for c in *.cubin; do nvdisasm -g -c "$c" > ../rec/$name.nvdisasm.txt 2>&1; done)
  cp $W/$name.build.json $W/rec/ 
  wc -l $W/rec/$name.*.csv | head -5
}
for d in examples/cuda/*/; do ex=$(basename $d); one $ex $d$ex.cu $d$ex.spec.json; done
for f in test/fixtures/profile/kernels/*.cu; do b=$(basename $f .cu); one $b $f ${f%.cu}.spec.json; done
# Counters without permission: the same ncu run as nobody.
chmod -R a+rX $W /tmp/ws 2>/dev/null; chmod a+rx /tmp/node
if command -v setpriv > /dev/null; then
  so=$($N $T binary $W/saxpy.build.json baseline); rt=$($N $T binary $W/saxpy.build.json runtime)
  setpriv --reuid 65534 --regid 65534 --clear-groups env HOME=/tmp ncu --clock-control none -k regex:^saxpy -c 1 --section SpeedOfLight -f -o /tmp/nobody-rep "$rt" baseline --version "$so" --seeds 1 --warmup 0 --iters 1 --sets 1 --no-time > $W/rec/nobody.ncu.log 2>&1; echo "nobody rc=$?" >> $W/rec/nobody.ncu.log
  tail -5 $W/rec/nobody.ncu.log
fi
ncu --query-metrics --chip gh100 2>/dev/null | head -3 > $W/rec/query.txt
tar czf "$R/prof.tgz" -C $W rec
cat $W/rec/versions.txt
