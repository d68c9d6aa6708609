#!/usr/bin/env bash
# Builds target/dpmammo-runtime, a self-contained dpmammo for a machine with no JDK (a hospital server, a GPU host):
#   bin/dpmammo        the launcher: `dpmammo-runtime/bin/dpmammo demo`, same commands as `java -jar dpmammo.jar`
#   bin/java, lib/...  a jlinked Java runtime with only the modules the jar uses, plus jdk.incubator.vector, which
#                      the image loads by default (jlink --add-options), so every run gets the SIMD kernels with no
#                      flag and no relaunch
#   lib/dpmammo.jar    the application (target/dpmammo.jar)
#   lib/server/classes.jsa  the class-data-sharing archive of the runtime's classes, for start-up time
#   legal/             the JDK modules' licence files (jlink)
# and target/dpmammo-runtime.tar.gz, the same folder as one file (entries sorted, owner and times fixed). Copy and
# unpack it anywhere; JVM options go in JDK_JAVA_OPTIONS (for example JDK_JAVA_OPTIONS=-Xmx8g). The runtime is for
# the operating system and processor of the JDK that built it, like the JCuda natives in the jar.
#
# usage: tools/build-jre.sh        (after mvn -B package; needs a JDK 17+ with jlink and jdeps on the PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/dpmammo.jar
out=target/dpmammo-runtime
[ -f "$jar" ] || { echo "build-jre: $jar missing; run mvn -B package first" >&2; exit 1; }
for tool in jdeps jlink; do
  command -v "$tool" >/dev/null || { echo "build-jre: $tool not found; install a JDK 17 or newer" >&2; exit 1; }
done
modules="$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 "$jar")"
case ",$modules," in *,jdk.incubator.vector,*) ;; *) modules="$modules,jdk.incubator.vector" ;; esac
rm -rf "$out" "$out.tar.gz"
# The leading space in --add-options keeps jlink from reading its value as one of its own options.
jlink --add-modules "$modules" "--add-options= --add-modules=jdk.incubator.vector" \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$out"
# The class-data-sharing archive of the JDK's classes, which jlink leaves out: without it every start parses and
# verifies them again (privacy epsilon took 1.5× as long, --version 1.6×; measured in docs/BENCHMARKS.md).
"$out/bin/java" -Xshare:dump >/dev/null 2>&1 || { echo "build-jre: bin/java -Xshare:dump failed" >&2; exit 1; }
cp "$jar" "$out/lib/dpmammo.jar"
cat >"$out/bin/dpmammo" <<'EOF'
#!/bin/sh
# dpmammo on the Java runtime beside this script (JVM options: JDK_JAVA_OPTIONS).
self="$0"
if command -v readlink >/dev/null 2>&1; then self="$(readlink -f "$0")"; fi
home="$(cd "$(dirname "$self")/.." && pwd)"
exec "$home/bin/java" -jar "$home/lib/dpmammo.jar" "$@"
EOF
chmod 755 "$out/bin/dpmammo"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C target -cf - "$(basename "$out")" | gzip -n -9 >"$out.tar.gz"
echo "build-jre: $out ($(du -sh "$out" | cut -f1) on disk; $(du -h "$out.tar.gz" | cut -f1) as $out.tar.gz) with $modules"
"$out/bin/dpmammo" --version
