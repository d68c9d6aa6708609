#!/usr/bin/env bash
# Builds one commit twice, each time from a fresh copy in its own temporary folder, and checks that the two
# target/dpmammo.jar (and target/bom.json) are byte-identical. The two builds differ on purpose in what a build
# must not depend on: the folder, the time of day, the time zone, the locale and the umask.
#
# usage: tools/check-reproducible.sh [COMMIT]     (default HEAD; uncommitted changes are not part of it)
#   MVN_ARGS   extra Maven options, for example -o (offline; the CycloneDX plugin then skips target/bom.json, so only
#              the jar is compared)
# Exit status 0 when the files match, 1 when they differ (the differing entries are listed), 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
commit="${1:-HEAD}"
git rev-parse --verify --quiet "$commit^{commit}" >/dev/null || { echo "check-reproducible: no commit '$commit'" >&2; exit 2; }
mvn_args="${MVN_ARGS-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
outputs=(target/dpmammo.jar target/bom.json)

build() { # folder tz locale umask
  mkdir -p "$1"
  git archive "$commit" | tar -x -C "$1"
  # shellcheck disable=SC2086
  (cd "$1" && umask "$4" && TZ="$2" LC_ALL="$3" mvn -B -q $mvn_args package -DskipTests >"$1.log" 2>&1) \
    || { echo "check-reproducible: build in $1 failed:" >&2; tail -20 "$1.log" >&2; exit 1; }
}
build "$work/first" UTC C 022
build "$work/second-build" Pacific/Kiritimati C.UTF-8 002

status=0
for f in "${outputs[@]}"; do
  if [ ! -f "$work/first/$f" ] && [ ! -f "$work/second-build/$f" ] && [ "$f" = target/bom.json ]; then
    echo "check-reproducible: $f not written by either build (the CycloneDX plugin skips offline builds)"
    continue
  fi
  for side in first second-build; do
    [ -f "$work/$side/$f" ] || { echo "check-reproducible: the build in $side wrote no $f" >&2; exit 1; }
  done
  a="$(sha256sum "$work/first/$f" | cut -d' ' -f1)"
  b="$(sha256sum "$work/second-build/$f" | cut -d' ' -f1)"
  if [ "$a" = "$b" ]; then
    echo "check-reproducible: $f identical ($a)"
  else
    echo "check-reproducible: $f DIFFERS ($a vs $b)"
    status=1
    if [[ "$f" == *.jar ]]; then
      # Which entries differ: names, order, timestamps or content.
      diff <(unzip -Z -T "$work/first/$f" | sed 1,2d) <(unzip -Z -T "$work/second-build/$f" | sed 1,2d) | head -20 || true
    else
      diff "$work/first/$f" "$work/second-build/$f" | head -20 || true
    fi
  fi
done
exit "$status"
