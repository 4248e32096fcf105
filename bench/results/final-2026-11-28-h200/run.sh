#!/usr/bin/env bash
# Final GPU run of the session (2 GPUs, in parallel): GPU 0 re-gates every example and every cheat under the
# final gate (candidates sandboxed with a carried bwrap when the machine allows it), fidelity at 10 points,
# throughput and repeats; GPU 1 runs bench/gpu-optimize.sh (the model loop on a scripted endpoint + the built-in
# search, issue 9). Usage (device tool, repo root): bash .kp-node/final/run.sh   (writes under $OUT)
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
BWD=$PWD/.kp-node/bwrap
{ id; uname -a; cat /etc/os-release 2>/dev/null | head -2; command -v setpriv prlimit; cat /proc/sys/kernel/unprivileged_userns_clone /proc/sys/user/max_user_namespaces 2>&1; } > "$R/machine.txt" 2>&1
probe() { "$BWD/bwrap" --ro-bind / / --dev /dev --proc /proc --unshare-all --die-with-parent true; }
SB=--no-sandbox
if probe >> "$R/machine.txt" 2>&1; then SB="--bwrap $BWD/bwrap"; echo "bwrap runs as is" >> "$R/machine.txt"
elif LD_LIBRARY_PATH=$BWD probe >> "$R/machine.txt" 2>&1; then export LD_LIBRARY_PATH=$BWD; SB="--bwrap $BWD/bwrap"; echo "bwrap runs with its carried libraries" >> "$R/machine.txt"
else echo "bwrap cannot run here: gate run without the sandbox" >> "$R/machine.txt"; fi
echo "gate CLI_ARGS=$SB" >> "$R/machine.txt"
mkdir -p "$R/gate"
( CUDA_VISIBLE_DEVICES=0 CLI_ARGS="$SB" REPEATS=3 THROUGHPUT=20 \
  FIDELITY='vector_add n=(4096|65536|1048576|4194304|16777216|67108864)$|softmax rows=65536|transpose rows=8192|matmul M=2048|reduce_sum n=134217728' \
  timeout 500 bash bench/gpu-run.sh /tmp/node "$R/gate" > "$R/gate.log" 2>&1; echo "gpu-run rc=$?" >> "$R/gate.log" ) &
g=$!
( CUDA_VISIBLE_DEVICES=1 CLI_ARGS=--no-sandbox timeout 500 bash bench/gpu-optimize.sh /tmp/node /tmp/opt > "$R/opt.log" 2>&1; echo "gpu-optimize rc=$?" >> "$R/opt.log" ) &
o=$!
wait $g $o
tar czf "$R/opt.tgz" --exclude='*.so' --exclude='*.o' --exclude='kp_gate' -C /tmp opt
cp /tmp/opt/summary.txt "$R/opt-summary.txt" 2>/dev/null
find "$R/gate" -name '*.so' -delete
du -sh "$R"/* | sort -h | tail -5
tail -n 40 "$R/gate.log"; echo; tail -n 30 "$R/opt.log"; echo; cat "$R/machine.txt"
