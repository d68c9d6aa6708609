#!/usr/bin/env bash
# How far CUDA's log/sin/cos move the noise from the JVM's: libdevice (from the local CUDA install) compiled for the
# host with its NVVM intrinsics as C shims (shims.c; rcp.approx is a model, see there), dp.cu's hardened_normal
# run with it, and the same draws on the JVM. Needs nvcc's libdevice, llvm-extract/llvm-dis/llc, g++, a JDK and
# target/classes. Nothing of libdevice is kept in the repository; it is read from the CUDA install at run time.
# usage: tools/kernel-lab/libdevice-noise/measure.sh [COORDINATES]      (default 16000000)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../../.."
n="${1:-16000000}"
work="$root/target/libdevice-noise"
mkdir -p "$work"
bc="${LIBDEVICE:-}"
if [ -z "$bc" ]; then
  for c in "${CUDA_HOME:-/usr/local/cuda}/nvvm/libdevice/libdevice.10.bc" "$(dirname "$(readlink -f "$(command -v nvcc)")")/../nvvm/libdevice/libdevice.10.bc"; do
    if [ -f "$c" ]; then bc="$c"; break; fi
  done
fi
[ -f "$bc" ] || { echo "measure: libdevice.10.bc not found; set LIBDEVICE" >&2; exit 1; }
llvm-extract --func=__nv_log --func=__nv_sin --func=__nv_cos --glob=__cudart_sin_cos_coeffs --glob=.str.1 "$bc" -o "$work/sub.bc"
llvm-dis "$work/sub.bc" -o "$work/sub.ll"
sed -e 's/ addrspace([14])//g' -e 's/ hidden / /g' \
    -e 's/^target datalayout.*$/target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"/' \
    -e 's/^target triple.*$/target triple = "x86_64-pc-linux-gnu"/' \
    -e 's/@llvm\.nvvm\.d2i\.hi/@shim_d2i_hi/g; s/@llvm\.nvvm\.d2i\.lo/@shim_d2i_lo/g; s/@llvm\.nvvm\.d2i\.rn/@shim_d2i_rn/g' \
    -e 's/@llvm\.nvvm\.fabs\.d/@shim_fabs/g; s/@llvm\.nvvm\.fma\.rn\.d/@shim_fma/g; s/@llvm\.nvvm\.lohi\.i2d/@shim_lohi_i2d/g' \
    -e 's/@llvm\.nvvm\.mul\.rn\.d/@shim_mul_rn/g; s/@llvm\.nvvm\.rcp\.approx\.ftz\.d/@shim_rcp_approx/g' \
    -e 's/@__nvvm_reflect/@shim_reflect/g; s/@__internal_trig_reduction_slowpathd/@shim_trig_slowpath/g' \
    "$work/sub.ll" >"$work/host.ll"
llc -O2 -relocation-model=pic -filetype=obj "$work/host.ll" -o "$work/libdevice.o"
gcc -O2 -c "$here/shims.c" -o "$work/shims.o"
g++ -std=c++20 -O2 -ffp-contract=off -U_FORTIFY_SOURCE -Wno-unknown-pragmas -I "$root/tools/kernel-lab" -I "$root/src/main/cuda" \
    "$here/draws.cpp" "$work/libdevice.o" "$work/shims.o" -o "$work/draws"
javac -cp "$root/target/classes" -d "$work" "$here/NoiseDiff.java"
"$work/draws" "$n" >"$work/draws.bin"
java -cp "$root/target/classes:$work" NoiseDiff "$n" "$work/draws.bin"
rm -f "$work/draws.bin"
