#!/usr/bin/env bash
# bench/gpu-optimize.sh with candidates sandboxed by the carried bwrap (after the /etc fix).
set -u
R=${OUT:?}
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
CLI_ARGS="--bwrap $PWD/.kp-node/bwrap/bwrap" timeout 400 bash bench/gpu-optimize.sh /tmp/node /tmp/opt > /tmp/opt.log 2>&1; echo "gpu-optimize rc=$?" >> /tmp/opt.log
tar czf "$R/opt.tgz" --exclude='*.so' --exclude='*.o' --exclude='kp_gate' -C /tmp opt opt.log
tail -n 32 /tmp/opt.log
