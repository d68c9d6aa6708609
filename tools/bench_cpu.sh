#!/usr/bin/env bash
# Runs dpmammo's CPU benchmarks and the peers (OpenBLAS via numpy, PyTorch CPU) back to back, 2 threads each, and
# keeps the JSON documents under runs/bench-cpu-<time>/ (docs/BENCHMARKS.md quotes them).
# Build first: mvn -B -q package -DskipTests.   Usage: tools/bench_cpu.sh [gemm|conv|all]
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
out=runs/bench-cpu-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
jar=target/dpmammo.jar
peer=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 tools/bench_peer.py)
{ lscpu | grep -E 'Model name|^CPU\(s\)|L2|L3'; java -version 2>&1 | head -1; echo "start: $(uptime)"; } > "$out/machine.txt"
for b in gemm conv; do
  [[ $which == all || $which == "$b" ]] || continue
  java --add-modules jdk.incubator.vector -Ddpmammo.threads=2 -jar "$jar" bench "$b" --json 2>/dev/null > "$out/$b-vector.json"
  "${peer[@]}" "$b" --json > "$out/$b-peer.json"
done
if [[ $which == all || $which == gemm ]]; then
  java -Ddpmammo.simd=scalar -Ddpmammo.threads=2 -jar "$jar" bench gemm --json > "$out/gemm-scalar.json"
fi
echo "end: $(uptime)" >> "$out/machine.txt"
echo "$out"
