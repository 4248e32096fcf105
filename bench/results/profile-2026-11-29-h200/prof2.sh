#!/usr/bin/env bash
# Issue 11 acceptance: `kernelpilot profile` live on every example and the three hint kernels (text and --json);
# issue 13: our KernelBench gate again after the memory fixes (SKIP_KB: KernelBench's own eval runs in the next call).
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
N=/tmp/node; T=bench/gpu-tools.mjs; P=/tmp/prof2; mkdir -p $P
one() { # NAME SRC SPEC
  local k; k=$($N $T kernel "$3")
  local t0=$SECONDS
  $N dist/cli.js profile "$2" --kernel "$k" --spec "$3" --workspace /tmp/pws --json > $P/$1.json 2> $P/$1.err; local rc=$?
  $N dist/cli.js profile "$2" --kernel "$k" --spec "$3" --workspace /tmp/pws > $P/$1.txt 2>> $P/$1.err
  echo "== $1: json rc=$rc, $((SECONDS - t0)) s for both"; head -c 2500 $P/$1.txt; echo
}
for d in examples/cuda/*/; do ex=$(basename $d); one $ex $d$ex.cu $d$ex.spec.json; done
for f in test/fixtures/profile/kernels/*.cu; do b=$(basename $f .cu); one $b $f ${f%.cu}.spec.json; done > $P/hints.log 2>&1
cat $P/hints.log | cut -c1-400
tar czf "$R/prof2.tgz" -C /tmp prof2
SKIP_KB=1 CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" timeout 330 bash bench/gpu-kernelbench.sh /tmp/node /tmp/kb2 .kp-node/kb > /tmp/kb2.log 2>&1; echo "gpu-kernelbench rc=$?" >> /tmp/kb2.log
tar czf "$R/kb2.tgz" -C /tmp kb2 kb2.log
tail -12 /tmp/kb2.log | cut -c1-300
