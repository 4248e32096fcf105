#!/usr/bin/env bash
# Why nvcc segfaults inside the sandbox on the GPU machine: step by step.
set -u
BW=$PWD/.kp-node/bwrap/bwrap
N=$(command -v nvcc); echo "nvcc=$N real=$(readlink -f "$N")"; ls -ld /usr/local/cuda* /bin /lib /lib64 /sbin 2>&1
echo 'int main(){return 0;}' > /tmp/p.cu; mkdir -p /tmp/sc && chmod 777 /tmp/sc
step() { local name=$1; shift; timeout 60 "$@" > /tmp/step.out 2>&1; echo "[$name] rc=$? $(tail -c 400 /tmp/step.out | tr '\n' '|')"; }
step plain nvcc -c /tmp/p.cu -o /tmp/sc/p.o
step nobody setpriv --reuid=65534 --regid=65534 --clear-groups nvcc -c /tmp/p.cu -o /tmp/sc/p1.o
step prlimit prlimit --cpu=900:901 --data=17179869184 --nproc=256 --core=0 -- nvcc -c /tmp/p.cu -o /tmp/sc/p2.o
step bw-simple $BW --ro-bind / / --dev /dev --proc /proc --bind /tmp/sc /tmp/sc --unshare-all --die-with-parent nvcc -c /tmp/p.cu -o /tmp/sc/p3.o
step bw-capdrop $BW --ro-bind / / --dev /dev --proc /proc --bind /tmp/sc /tmp/sc --unshare-pid --unshare-net --cap-drop ALL --cap-add CAP_SETUID --cap-add CAP_SETGID --cap-add CAP_SETPCAP --cap-add CAP_DAC_READ_SEARCH nvcc -c /tmp/p.cu -o /tmp/sc/p4.o
step bw-drop $BW --ro-bind / / --dev /dev --proc /proc --bind /tmp/sc /tmp/sc --unshare-pid --unshare-net --cap-drop ALL --cap-add CAP_SETUID --cap-add CAP_SETGID --cap-add CAP_SETPCAP --cap-add CAP_DAC_READ_SEARCH -- setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs nvcc -c /tmp/p.cu -o /tmp/sc/p5.o
step bw-clearenv $BW --ro-bind / / --dev /dev --proc /proc --bind /tmp/sc /tmp/sc --clearenv --setenv PATH "$PATH" --setenv HOME /tmp nvcc -c /tmp/p.cu -o /tmp/sc/p6.o
step bw-clearenv-nopath $BW --ro-bind / / --dev /dev --proc /proc --bind /tmp/sc /tmp/sc --clearenv --setenv HOME /tmp $N -c /tmp/p.cu -o /tmp/sc/p7.o
step bw-tmpfs-tmp $BW --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --bind /tmp/sc /tmp/sc nvcc -c /tmp/sc/../p.cu -o /tmp/sc/p8.o
echo "env: $(env | grep -E '^(PATH|LD_LIBRARY_PATH|CUDA|NVCC|LIBRARY_PATH|CPATH)' | tr '\n' ' ')"
step bw-nvcc-dryrun $BW --ro-bind / / --dev /dev --proc /proc --bind /tmp/sc /tmp/sc --clearenv --setenv HOME /tmp --setenv PATH /usr/bin:/bin $N -dryrun -c /tmp/p.cu -o /tmp/sc/p9.o
step bw-mask-drivers bash -c "args=(); for f in \$(ls /usr/lib/x86_64-linux-gnu | grep -E '^lib(cuda|nvidia-[A-Za-z0-9_-]+|nvcuvid)\.so'); do [ -f /usr/lib/x86_64-linux-gnu/\$f ] && [ ! -L /usr/lib/x86_64-linux-gnu/\$f ] && args+=(--ro-bind /dev/null /usr/lib/x86_64-linux-gnu/\$f); done; echo masked \${#args[@]}; $BW --ro-bind / / --dev /dev --proc /proc --bind /tmp/sc /tmp/sc \"\${args[@]}\" nvcc -c /tmp/p.cu -o /tmp/sc/p10.o"
ls /usr/lib/x86_64-linux-gnu | grep -E '^lib(cuda|nvidia-[A-Za-z0-9_-]+|nvcuvid)\.so' | tr '\n' ' '; echo
ls -la /usr/local/nvidia 2>&1 | head -3
# The product's own bwrap command lines, logged by a wrapper.
cat > /tmp/bwlog.sh <<EOS
#!/bin/bash
n=\$(ls /tmp/bwargs.* 2>/dev/null | wc -l); printf '%s\0' "\$@" > /tmp/bwargs.\$n
exec $BW "\$@"
EOS
chmod +x /tmp/bwlog.sh
xz -dc .kp-node/node.xz > /tmp/node && chmod +x /tmp/node
/tmp/node dist/cli.js compare examples/cuda/vector_add/vector_add.cu --spec examples/cuda/vector_add/vector_add.spec.json --candidate examples/cuda/vector_add/candidates/zeros_output.cu --workspace /tmp/ws --pairs 10 --bwrap /tmp/bwlog.sh > /tmp/cmp.out 2>&1; echo "compare rc=$?"; grep -i "builds\|segm" /tmp/cmp.out | head -3
for f in /tmp/bwargs.*; do echo "== $f"; tr '\0' ' ' < $f | cut -c1-6000; echo; done | head -c 14000
# Replay the first logged command line with nvcc -dryrun in place of the real compile: which sub-step segfaults.
f=$(grep -l nvcc /tmp/bwargs.* | head -1); mapfile -d '' A < "$f"
echo "replay $f: $(${BW} "${A[@]}" > /tmp/replay.out 2>&1; echo rc=$?) $(tail -c 600 /tmp/replay.out | tr '\n' '|')"
