#!/usr/bin/env bash
# Builds target/jre, a minimal Java runtime for target/dpmammo.jar, so a GPU host with no JDK can run
# tools/gpu-check.sh from the two files alone. The modules are what jdeps finds the jar using, plus
# jdk.incubator.vector, reserved by the design for the CPU backend's SIMD kernels (jdeps lists a module only once
# bytecode references it, and the README runs the jar with --add-modules jdk.incubator.vector).
#
# usage: tools/build-jre.sh        (after mvn -B package; needs a JDK 17+ with jlink and jdeps on the PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/dpmammo.jar
[ -f "$jar" ] || { echo "build-jre: $jar missing; run mvn -B package first" >&2; exit 1; }
for tool in jdeps jlink; do
  command -v "$tool" >/dev/null || { echo "build-jre: $tool not found; install a JDK 17 or newer" >&2; exit 1; }
done
modules="$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 "$jar"),jdk.incubator.vector"
rm -rf target/jre
jlink --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=2 --output target/jre
echo "build-jre: target/jre ($(du -sh target/jre | cut -f1)) with $modules"
target/jre/bin/java --add-modules jdk.incubator.vector -jar "$jar" --version
