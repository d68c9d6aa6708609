#!/bin/bash
# The smallest heap (-Xmx, MB, to within 8 MB) in which N plain steps, and N DP steps, of a `bench dpsgd` model run:
# the live-memory peak of the step, which the bench's peak-heap column cannot give (that column counts garbage not
# yet collected, and swings with the collector's timing). Serial collector, so a probe fails only when live data do
# not fit. Both modes hold both models' weights (DpBench.Steps builds both), a few MB here.
# usage: tools/dp-step/min_heap.sh gan-d|swin-cpu STEPS JAR   (build first: mvn -B -q package -DskipTests)
set -euo pipefail
model=$1 steps=$2 jar=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
javac -nowarn -cp "$jar" -d "$dir" "$(dirname "$0")/DpStepPairs.java"
fits() {
  java --add-modules jdk.incubator.vector -Ddpmammo.threads=2 -XX:+UseSerialGC -Xmx"$2"m -cp "$jar:$dir" \
    DpStepPairs "$model" "$1" "$steps" >/dev/null 2>&1
}
for mode in plain dp; do
  lo=8 hi=4096
  fits "$mode" "$hi" || { echo "$model $mode: does not run in ${hi} MB"; exit 1; }
  while ((hi - lo > 8)); do
    mid=$(((lo + hi) / 2))
    if fits "$mode" "$mid"; then hi=$mid; else lo=$mid; fi
  done
  echo "$model $mode: runs in ${hi} MB, not in ${lo} MB"
done
