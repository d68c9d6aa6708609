#!/usr/bin/env bash
# Runs dpmammo's CPU benchmarks and the peers (OpenBLAS via numpy, PyTorch CPU) back to back, 2 threads each,
# and keeps every table and JSON document under runs/bench-cpu-<time>/. Build first: mvn -B -q package -DskipTests.
# Usage: tools/bench_cpu.sh [gemm|conv|all]
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
out=runs/bench-cpu-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
jar=target/dpmammo.jar
java_vec=(java --add-modules jdk.incubator.vector -Ddpmammo.threads=2 -jar "$jar")
peer=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/bench_peer.py)
{ lscpu | grep -E 'Model name|^CPU\(s\)|L2|L3'; uptime; } > "$out/machine.txt"
for b in gemm conv; do
  [[ $which == all || $which == "$b" ]] || continue
  "${java_vec[@]}" bench "$b" 2>/dev/null | tee "$out/$b-vector.txt"
  "${peer[@]}" "$b" | tee "$out/$b-peer.txt"
done
if [[ $which == all || $which == gemm ]]; then
  java -Ddpmammo.threads=2 -jar "$jar" bench gemm --only square256,square512,square1024,swin-qkv,swin-attn-qk \
    | tee "$out/gemm-scalar.txt"
fi
uptime >> "$out/machine.txt"
echo "results in $out"
