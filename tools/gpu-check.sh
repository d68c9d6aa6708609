#!/usr/bin/env bash
# The GPU acceptance run, for a GPU host that has no JDK, no Maven and no network: it needs only
# target/dpmammo.jar and target/dpmammo-runtime (tools/build-jre.sh) copied over with this folder.
#   1. selftest --device cuda: every CUDA op and DP kernel against the CPU backend (pass/fail table)
#   2. bench gpu: SGEMM float32/TF32 GFLOP/s at 1024-8192 and DP-kernel throughput
#   3. tools/gpu_peer.py, when python3 with PyTorch is present: the same measurements in PyTorch, side by side
# Everything is written to OUT_DIR (default target/gpu-check); the comparison table is printed last.
# Exit status: that of the self-test (1 if any check failed or no GPU could be used).
#
# usage: tools/gpu-check.sh [OUT_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/gpu-check}"
java="${JAVA:-target/dpmammo-runtime/bin/java}"
jar=target/dpmammo.jar
[ -x "$java" ] || { echo "gpu-check: $java missing; build it with tools/build-jre.sh (or set JAVA)" >&2; exit 1; }
[ -f "$jar" ] || { echo "gpu-check: $jar missing" >&2; exit 1; }
mkdir -p "$out"
run() { "$java" --add-modules jdk.incubator.vector "${jvm_flags[@]}" -jar "$jar" "$@"; }
jvm_flags=()

if command -v nvidia-smi >/dev/null; then nvidia-smi >"$out/nvidia-smi.txt" 2>&1; fi

echo "== selftest --device cuda"
run selftest --device cuda 2>&1 | tee "$out/selftest.txt"
selftest=${PIPESTATUS[0]}
if [ "$selftest" -ne 0 ]; then
  # Kernel faults surface at the next synchronisation; rerun synchronising after every launch to name the kernel.
  echo "== selftest --device cuda again, synchronising after every launch"
  jvm_flags=(-Ddpmammo.cuda.sync=true -Ddpmammo.trace=true)
  run selftest --device cuda --failures-only 2>&1 | tee "$out/selftest-sync.txt"
  jvm_flags=()
fi

echo "== bench gpu"
run bench gpu --json-file "$out/bench-gpu.json" 2>&1 | tee "$out/bench-gpu.txt"
bench=${PIPESTATUS[0]}

peer=skipped
if [ "$bench" -eq 0 ] && command -v python3 >/dev/null && python3 -c "import torch" 2>/dev/null; then
  python3 tools/gpu_peer.py --ours "$out/bench-gpu.json" >"$out/peer.txt" 2>&1 && peer=ok || peer=failed
fi

echo
echo "== summary"
echo "selftest --device cuda: $([ "$selftest" -eq 0 ] && echo passed || echo "FAILED (exit $selftest)")"
echo "bench gpu: $([ "$bench" -eq 0 ] && echo "done ($out/bench-gpu.txt)" || echo "FAILED (exit $bench)")"
echo "Swin-T / GAN GPU training steps: not benchmarked (the models do not exist yet)"
if [ "$peer" = ok ]; then
  cat "$out/peer.txt"
else
  echo "PyTorch comparison: $peer (needs python3 with a CUDA build of torch)"
  [ -f "$out/bench-gpu.txt" ] && grep -E "^sgemm|^dp " "$out/bench-gpu.txt"
fi
exit "$selftest"
