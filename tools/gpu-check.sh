#!/usr/bin/env bash
# The GPU acceptance run, for a GPU host with no JDK, no Maven and no network: it needs only this folder with
# target/dpmammo.jar and target/dpmammo-runtime (tools/build-jre.sh) in it, and python3 with a CUDA build of PyTorch for the
# peer column (without it the table has our numbers only). Steps, each bounded by a time limit:
#   1. selftest --device cuda: every CUDA op and DP kernel against the CPU backend, and one non-private and one DP
#      training step of a tiny Swin and of the GAN compared with the CPU (pass/fail table)
#   2. bench gpu: SGEMM float32/TF32 at square sizes and the DP kernels' throughput
#   3. bench gemm|swin|gan|dpsgd --device cuda: the models' GEMM shapes, Swin-T forward+backward at batch 128 and
#      224², the study's GAN iteration at batch 8 and 128², a DP-SGD step against a non-private one
#   4. a full-model DP fine-tune of Swin-T at 224², batch 128, on phantom data for at most 75 s (classifier train
#      --device cuda --dp --freeze none): images/s if an epoch of 256 images finishes, and peak GPU memory
#   5. tools/gpu_peer.py: the same measurements in PyTorch on the same GPU, and the one table
# Everything goes to OUT_DIR (default target/gpu-check). About 8 minutes on one H100 or H200 when every step uses its
# whole limit. Exit status: that of the self-test (1 if a check failed or no GPU could be used).
#
# usage: tools/gpu-check.sh [OUT_DIR]
#   DEVICE=cpu QUICK=1 tools/gpu-check.sh   rehearses every step on the CPU at toy sizes (what a machine without a
#                                           GPU can check: the jar, the JRE, every command line, the peer script)
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/gpu-check}"
device="${DEVICE:-cuda}"
quick="${QUICK:-0}"
java="${JAVA:-target/dpmammo-runtime/bin/java}"
jar=target/dpmammo.jar
[ -x "$java" ] || { echo "gpu-check: $java missing; build it with tools/build-jre.sh (or set JAVA)" >&2; exit 1; }
[ -f "$jar" ] || { echo "gpu-check: $jar missing" >&2; exit 1; }
mkdir -p "$out"
jvm_flags=(-Xmx32g)
# step NAME LIMIT_S ARGS...: runs dpmammo ARGS under a time limit, output to OUT_DIR/NAME.txt, status to OUT_DIR/NAME.rc.
step() {
  local name="$1" limit="$2"
  shift 2
  echo "== $name (limit ${limit}s): dpmammo $*"
  timeout --kill-after=10 "$limit" "$java" --add-modules jdk.incubator.vector "${jvm_flags[@]}" -jar "$jar" "$@" >"$out/$name.txt" 2>&1
  local rc=$?
  echo "$rc" >"$out/$name.rc"
  tail -n 3 "$out/$name.txt"
  return "$rc"
}

if [ "$quick" = 1 ]; then
  # Toy sizes: the same commands, seconds each on a CPU.
  gpu_sizes=256,512; gemm_only=(--only square256,swin-attn-qk); swin=(--preset cpu --batch 2 --repeat 1)
  gan=(--preset cpu --batch 2 --iters 1 --warmup 0); dpsgd=(--batch 4 --reps 1)
  tune=(--preset tiny --train phantom:32:64:1 --val phantom:32:16:2 --batch-size 16 --physical-batch 16); tune_images=64
  peer=(--quick)
else
  gpu_sizes=1024,2048,4096,8192; gemm_only=(); swin=(--preset paper --batch 128 --repeat 3)
  gan=(--preset paper --batch 8 --iters 5 --warmup 2); dpsgd=(--batch 64 --reps 5)
  tune=(--preset paper --train phantom:224:256:1 --val phantom:224:32:2 --batch-size 128 --physical-batch 32); tune_images=256
  peer=()
fi

if command -v nvidia-smi >/dev/null; then nvidia-smi >"$out/nvidia-smi.txt" 2>&1; fi

step selftest 90 selftest --device "$device" --failures-only
selftest=$?
if [ "$selftest" -ne 0 ] && [ "$device" = cuda ]; then
  # Kernel faults surface at the next synchronisation; rerun synchronising after every launch to name the kernel.
  jvm_flags=(-Xmx32g -Ddpmammo.cuda.sync=true -Ddpmammo.trace=true)
  step selftest-sync 90 selftest --device cuda --failures-only
  jvm_flags=(-Xmx32g)
fi

if [ "$device" = cuda ]; then
  step bench-gpu 75 bench gpu --sizes "$gpu_sizes" --json-file "$out/bench-gpu.json"
fi
step bench-gemm 40 bench gemm --device "$device" --runs 3 "${gemm_only[@]}" --json
step bench-swin 75 bench swin --device "$device" "${swin[@]}" --json
step bench-gan 30 bench gan --device "$device" "${gan[@]}" --json
step bench-dpsgd 30 bench dpsgd --device "$device" "${dpsgd[@]}" --json

# The DP fine-tune, with GPU memory sampled every 200 ms beside it.
sampler=""
if [ "$device" = cuda ] && command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$out/tune-memory.csv" 2>/dev/null &
  sampler=$!
fi
rm -rf "$out/tune-run"
step dp-finetune 75 classifier train --device "$device" --out "$out/tune-run" --freeze none --dp --target-epsilon 8 \
  --epochs 1 --threads 4 "${tune[@]}"
[ -n "$sampler" ] && kill "$sampler" 2>/dev/null
seconds="$(sed -n 's/^epoch 0: .*(\([0-9.]*\) s)$/\1/p' "$out/dp-finetune.txt" | tail -1)"
peak_mib="$( [ -s "$out/tune-memory.csv" ] && sort -n "$out/tune-memory.csv" | tail -1 || echo "")"
cat >"$out/dp-finetune.json" <<EOF
{"images": $tune_images, "epoch_seconds": ${seconds:-null}, "limit_seconds": 75, "exit": $(cat "$out/dp-finetune.rc"), "peak_gpu_mib": ${peak_mib:-null}}
EOF

echo
python="${PYTHON:-python3}"
if command -v "$python" >/dev/null; then
  timeout 60 "$python" tools/gpu_peer.py --ours "$out" --device "$device" "${peer[@]}" 2>"$out/peer-errors.txt" | tee "$out/table.txt"
  [ -s "$out/peer-errors.txt" ] && { echo "(peer notes:"; cat "$out/peer-errors.txt"; echo ")"; }
else
  echo "no python3 here: the measurements are in $out/*.txt and *.json"
fi
echo "selftest --device $device: $([ "$selftest" -eq 0 ] && echo passed || echo "FAILED (exit $selftest; $out/selftest.txt)")"
exit "$selftest"
