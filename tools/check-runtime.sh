#!/usr/bin/env bash
# Checks target/dpmammo-runtime.tar.gz (tools/build-jre.sh) the way a machine without a JDK would use it: unpacks
# it into a fresh temporary folder and runs `privacy epsilon`, `--version` (which must name a vector GEMM kernel)
# and `selftest` through bin/dpmammo, with no java on the PATH and no JAVA_HOME. As root with unshare(1) available,
# it runs inside a private mount namespace where /usr/lib/jvm is hidden under an empty tmpfs, so that no JDK exists
# for the runtime to fall back on. --demo also runs the demo (about 2–3 minutes on 2 quiet cores).
#
# usage: tools/check-runtime.sh [--demo]
set -euo pipefail
cd "$(dirname "$0")/.."
tarball="$PWD/target/dpmammo-runtime.tar.gz"
[ -f "$tarball" ] || { echo "check-runtime: $tarball missing; run tools/build-jre.sh" >&2; exit 1; }
demo=no
case "${1:-}" in
  "") ;;
  --demo) demo=yes ;;
  *) echo "usage: tools/check-runtime.sh [--demo]" >&2; exit 2 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"

cat >"$work/check.sh" <<'EOF'
#!/bin/sh
set -eu
work="$1"; demo="$2"; hide="$3"
if [ "$hide" = yes ]; then mount -t tmpfs none /usr/lib/jvm; fi
if command -v java >/dev/null 2>&1; then echo "check-runtime: a java is still on the PATH: $(command -v java)" >&2; exit 1; fi
echo "check-runtime: no java on the PATH; JAVA_HOME ${JAVA_HOME:-unset}; JDK folder hidden: $hide"
d="$work/dpmammo-runtime/bin/dpmammo"
"$d" privacy epsilon --sample-rate 0.01 --steps 1000 --noise-multiplier 1.1 --delta 1e-5 --accountant rdp
version="$("$d" --version)"
echo "$version"
case "$version" in *"GEMM kernel vector-"*) ;; *) echo "check-runtime: not the SIMD kernel" >&2; exit 1 ;; esac
"$d" selftest --failures-only | tail -1
if [ "$demo" = yes ]; then "$d" demo --out "$work/demo-out" && test -f "$work/demo-out/report.html"; fi
echo "check-runtime: ok"
EOF
chmod +x "$work/check.sh"
hide=no
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && [ -d /usr/lib/jvm ]; then hide=yes; fi
# A PATH without the JDK's bin folders; the JDK's /usr/bin/java link dangles once /usr/lib/jvm is hidden.
path=/usr/local/bin:/usr/bin:/bin
run=(env -i PATH="$path" HOME="$work" LANG=C.UTF-8)
if [ "$hide" = yes ]; then
  "${run[@]}" unshare -m --propagation private "$work/check.sh" "$work" "$demo" yes
else
  echo "check-runtime: not root or no unshare: the JDK folder stays visible, only the PATH is cleaned" >&2
  "${run[@]}" "$work/check.sh" "$work" "$demo" no
fi
