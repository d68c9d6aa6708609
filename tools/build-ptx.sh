#!/usr/bin/env bash
# Regenerates the committed kernel binaries from src/main/cuda/*.cu, so a machine without nvcc still builds a
# working jar:
#   src/main/resources/org/dpmammo/cuda/<family>.ptx         portable PTX, JIT-compiled by the driver at load time
#   src/main/resources/org/dpmammo/cuda/<family>.sm_90.cubin  native H100/H200 code, loaded first on sm_90 devices
#   src/main/resources/org/dpmammo/cuda/kernels.manifest      one line per family: name, SHA-256 of the .cu, targets
#
# The PTX target is the lowest nvcc supports (compute_75 with CUDA 13; compute_80 for a family that declares
# "// ptx-arch: compute_80" because it uses sm_80 instructions). Note: PTX from CUDA 13 declares ISA 9.0, which
# only drivers of the CUDA 13 generation (R580+) can JIT; the sm_90 cubin avoids the JIT on H100/H200.
# KernelResourcesTest fails when the manifest no longer matches the sources, and recompiles to compare when nvcc
# is on the PATH.
#
# usage: tools/build-ptx.sh [OUT_DIR]     (default: the resource folder above)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-src/main/resources/org/dpmammo/cuda}"
mkdir -p "$out"
command -v nvcc >/dev/null || { echo "build-ptx: nvcc not found on PATH" >&2; exit 1; }
manifest="$out/kernels.manifest"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
echo "# family sha256-of-source ptx-target cubin-target (written by tools/build-ptx.sh)" >"$tmp"
for src in src/main/cuda/*.cu; do
  name="$(basename "$src" .cu)"
  arch="$(sed -n 's#^// ptx-arch: \(compute_[0-9]*\).*#\1#p' "$src" | head -1)"
  arch="${arch:-compute_75}"
  # A family may ask for more flags on its first line, e.g. "// nvcc-flags: -fmad=false" (KernelResourcesTest too).
  read -r -a flags <<<"$(sed -n '1s#^// nvcc-flags: \(.*\)$#\1#p' "$src")"
  nvcc -ptx -arch="$arch" "${flags[@]}" -o "$out/$name.ptx" "$src"
  nvcc -cubin -arch=sm_90 "${flags[@]}" -o "$out/$name.sm_90.cubin" "$src"
  echo "$name $(sha256sum "$src" | cut -d' ' -f1) $arch sm_90" >>"$tmp"
  echo "build-ptx: $src -> $name.ptx ($arch), $name.sm_90.cubin"
done
mv "$tmp" "$manifest"
trap - EXIT
