#!/usr/bin/env bash
# Builds examples/ (a separate Maven project) against target/dpmammo.jar and runs its three programs — private
# training on phantom data, accounting, inference on a checkpoint that `classifier train` writes first — checking
# what each prints. So the public API (org.dpmammo.api) and its examples cannot drift apart. About a minute on 2 cores.
#
# usage: tools/check-examples.sh
#   MVN_ARGS   extra Maven options, for example -o (offline)
# Exit status 0 when every example ran and printed what it should, 1 otherwise (naming which).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn_args="${MVN_ARGS-}"
jar=target/dpmammo.jar
# shellcheck disable=SC2086
[ -f "$jar" ] || mvn -B -q $mvn_args package -DskipTests
# shellcheck disable=SC2086
mvn -B -q $mvn_args -f examples/pom.xml compile
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The Vector API module given here, so the examples run the SIMD kernels (an embedding program decides this itself).
run_java() { java --add-modules jdk.incubator.vector -cp "examples/target/classes:$jar" "$@" 2> >(grep -v 'incubator modules' >&2); }

fail() { echo "check-examples: $1" >&2; exit 1; }
expect() { # name output pattern
  grep -Eq "$3" <<<"$2" || fail "$1 did not print /$3/; it printed:"$'\n'"$2"
}

out="$(run_java org.dpmammo.examples.AccountingExample)" || fail "AccountingExample failed"
echo "$out"
expect AccountingExample "$out" '^rdp: σ [0-9.]+ meets ε = 6'
expect AccountingExample "$out" 'rdp 7\.3291'

out="$(run_java org.dpmammo.examples.PrivateTrainingExample "$work/run")" || fail "PrivateTrainingExample failed"
echo "$out"
expect PrivateTrainingExample "$out" '^epoch 7: 10 steps'
expect PrivateTrainingExample "$out" '^ε spent (7\.[0-9]+|8\.0000) at δ 1\.0E-5 \(rdp, 80 steps'
[ -s "$work/run/ledger.json" ] || fail "PrivateTrainingExample wrote no ledger"

java -jar "$jar" classifier train --train phantom:32:48:1 --val phantom:32:24:2 --out "$work/clf" --preset tiny --epochs 1 \
  --batch-size 16 --threads 1 >"$work/train.log" 2>&1 || { cat "$work/train.log" >&2; fail "classifier train (for the inference example) failed"; }
java -jar "$jar" data phantom --out "$work/images" --count 40 --size 64 --seed 3 >/dev/null
out="$(run_java org.dpmammo.examples.InferenceExample "$work/clf/checkpoints/best.safetensors" "$work/images/test/is_benign_true" \
  "$work/images/test/is_benign_false")" || fail "InferenceExample failed"
echo "$out"
expect InferenceExample "$out" 'threshold from validation'
images=$(find "$work/images/test" -name '*.png' | wc -l)
[ "$(grep -c 'P(benign)' <<<"$out")" -eq "$images" ] || fail "InferenceExample did not classify all $images test images"
echo "check-examples: the three examples ran"
