#!/usr/bin/env bash
# Our KernelBench gate on the three 6.4 GB-class tasks whose honest candidates ran out of memory in run1.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
S=/tmp/kp-kb-ws/solutions; rm -rf $S && mkdir -p $S
cp -r test/fixtures/kernelbench/solutions/. test/fixtures/kernelbench/solutions-gpu/. $S/
t0=$(date +%s)
timeout 200 /tmp/node dist/cli.js kernelbench .kp-node/kb/level1/19_ReLU.py .kp-node/kb/level1/23_Softmax.py .kp-node/kb/level1/36_RMSNorm_.py --solutions $S --pairs 30 --json --bwrap $PWD/.kp-node/bwrap/bwrap > /tmp/kb3.json 2> /tmp/kb3.err; echo "rc=$? in $(( $(date +%s) - t0 )) s" >> /tmp/kb3.err
timeout 30 /tmp/node dist/cli.js kernelbench --help > /dev/null 2>&1
tar czf "$R/kb3.tgz" -C /tmp kb3.json kb3.err
tail -15 /tmp/kb3.err
