#!/bin/bash
# Alternates jars (e.g. main's and a branch's) on DpStepPairs, one line per run with the load average before and
# after, so that the neighbours on a shared machine fall on both alike. Every jar needs DpBench.Steps (main from
# 2026-12-06 11:00 UTC on; older jars are measured with `bench dpsgd`, whose paired columns do the same).
# usage: tools/dp-step/dp_step_pairs.sh gan-d|swin-cpu PAIRS ROUNDS JAR...   (build first: mvn -B -q package -DskipTests)
set -euo pipefail
model=$1 pairs=$2 rounds=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
javac -nowarn -cp "$1" -d "$dir" "$(dirname "$0")/DpStepPairs.java"
for ((r = 1; r <= rounds; r++)); do
  for jar in "$@"; do
    before=$(cut -d' ' -f1 /proc/loadavg)
    out=$(java --add-modules jdk.incubator.vector -Ddpmammo.threads=2 -Xmx4g -cp "$jar:$dir" DpStepPairs "$model" pairs "$pairs" 2>/dev/null | tail -1)
    echo "$(date -u +%H:%M:%S) load $before..$(cut -d' ' -f1 /proc/loadavg) $model $jar: $out"
  done
done
