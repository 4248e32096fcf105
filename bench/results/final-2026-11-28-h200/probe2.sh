#!/usr/bin/env bash
# Which part of the product's sandbox makes nvcc's sub-step segfault on the GPU machine.
set -u
BW=$PWD/.kp-node/bwrap/bwrap
mkdir -p /tmp/sc/t && chmod -R 777 /tmp/sc && printf '__global__ void k(float*x){x[0]=1;}\n' > /tmp/sc/p.cu
ls -la /usr/bin/gcc /usr/bin/g++ /usr/bin/cc 2>&1 | tr '\n' '|'; echo; ls /opt; echo "gcc: $(gcc --version | head -1); /opt/gcc: $(/opt/gcc/bin/g++ --version | head -1)"
ENVS=(--clearenv --setenv HOME /tmp --setenv TMPDIR /tmp/sc/t --setenv PATH "$PATH" --setenv LANG C.UTF-8 --setenv LC_ALL en_US.UTF-8 --setenv LD_LIBRARY_PATH /usr/local/nvidia/lib64:/usr/local/nvidia/lib)
FS=(--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --ro-bind-try /etc/ld.so.cache /etc/ld.so.cache --ro-bind-try /etc/ld.so.conf /etc/ld.so.conf --ro-bind-try /etc/ld.so.conf.d /etc/ld.so.conf.d --ro-bind-try /etc/alternatives /etc/alternatives --ro-bind-try /etc/passwd /etc/passwd --ro-bind-try /etc/group /etc/group --proc /proc --dev /dev --perms 1777 --tmpfs /tmp --tmpfs /usr/local/nvidia --bind /tmp/sc /tmp/sc --chdir /tmp/sc)
ISO=(--die-with-parent --new-session --unshare-pid --unshare-net --unshare-ipc --unshare-uts --unshare-cgroup-try --cap-drop ALL --cap-add CAP_SETUID --cap-add CAP_SETGID --cap-add CAP_SETPCAP --cap-add CAP_DAC_READ_SEARCH)
LIM=(/usr/bin/prlimit --cpu=900:901 --data=17179869184 --nproc=256 --core=0 --)
DROP=(/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs)
NV=(/usr/local/cuda/bin/nvcc -O3 -arch=sm_90 -std=c++17 -shared -Xcompiler -fPIC -o /tmp/sc/o.so /tmp/sc/p.cu)
step() { local name=$1; shift; timeout 90 "$@" > /tmp/step.out 2>&1; echo "[$name] rc=$? $(grep -v '^#\$ _' /tmp/step.out | tail -c 700 | tr '\n' '|')"; }
step full $BW "${ISO[@]}" "${FS[@]}" "${ENVS[@]}" -- "${LIM[@]}" "${DROP[@]}" "${NV[@]}"
step no-prlimit $BW "${ISO[@]}" "${FS[@]}" "${ENVS[@]}" -- "${DROP[@]}" "${NV[@]}"
step no-drop $BW "${ISO[@]}" "${FS[@]}" "${ENVS[@]}" -- "${LIM[@]}" "${NV[@]}"
step no-iso $BW "${FS[@]}" "${ENVS[@]}" -- "${LIM[@]}" "${DROP[@]}" "${NV[@]}"
step with-opt $BW "${ISO[@]}" "${FS[@]}" --ro-bind /opt /opt "${ENVS[@]}" -- "${LIM[@]}" "${DROP[@]}" "${NV[@]}"
step data-only "${LIM[@]}" "${NV[@]}"
step verbose $BW "${ISO[@]}" "${FS[@]}" "${ENVS[@]}" -- "${LIM[@]}" "${DROP[@]}" "${NV[@]}" -v
grep -E '^#\$ ' /tmp/step.out | cut -c1-300 | tail -12
