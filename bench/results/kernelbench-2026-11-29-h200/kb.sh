#!/usr/bin/env bash
# KernelBench side by side (issue 13): our kernelbench gate and KernelBench's eval_kernel_against_ref on the shared
# tasks with the example solutions and our cheats.
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
CLI_ARGS="${CLI_ARGS:---bwrap $PWD/.kp-node/bwrap/bwrap}" timeout ${KB_TIMEOUT:-540} bash bench/gpu-kernelbench.sh /tmp/node /tmp/kb .kp-node/kb > /tmp/kb.log 2>&1; echo "gpu-kernelbench rc=$?" >> /tmp/kb.log
tar czf "$R/kb.tgz" -C /tmp kb kb.log
tail -60 /tmp/kb.log | cut -c1-600
