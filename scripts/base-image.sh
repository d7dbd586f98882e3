#!/usr/bin/env bash
# Builds the Java 17 base image of Modelship's images from Debian packages, with no image
# registry on the internet: a bookworm root filesystem holding only what a JVM and the native
# libraries of ONNX Runtime and XGBoost (the distill pass) load (libc6, libgcc-s1, libstdc++6,
# libgomp1, zlib1g, CA certificates, tzdata), no shell,
# and a JRE made by jlink from this machine's JDK 17. Written as a docker-archive tarball, which
# Jib takes as a base (tar://...).
#
#   bash scripts/base-image.sh            # prints the tarball's path on its last line
#
# Users building for their own cluster may use a public JRE 17 image instead (scripts/images.sh
# --base IMAGE). Reproducible: file times are pinned to SOURCE_DATE_EPOCH (default 0), so the same
# packages and JDK give the same layer digest. Cached: rebuilt only when this script, the package
# versions or the JDK change. Needs root (mmdebstrap), umoci and skopeo (Debian packages).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${MODELSHIP_IMAGES_DIR:-$HOME/.modelship/images}"
tarball="$out_dir/jre17-base.tar"
epoch="${SOURCE_DATE_EPOCH:-0}"
suite=bookworm
mirror="${MODELSHIP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
packages=libc6,libgcc-s1,libstdc++6,libgomp1,zlib1g,ca-certificates,tzdata,base-files,netbase
# Every standard module plus the JDK ones the operator (fabric8's TLS, DNS; the JDK HTTP server of
# its metrics and health endpoint) and the server use.
modules=java.se,jdk.unsupported,jdk.crypto.ec,jdk.management,jdk.zipfs,jdk.naming.dns,jdk.net,jdk.httpserver
uid=10001

log() { echo "base-image: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in mmdebstrap umoci skopeo jlink; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install mmdebstrap umoci skopeo; jlink comes with JDK 17)"
done
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v jlink)")")")"
"$java_home/bin/java" -version 2>&1 | grep -q '"17\.' || die "jlink is not JDK 17's ($java_home)"

mkdir -p "$out_dir"
stamp="$( { sha256sum < "${BASH_SOURCE[0]}"; "$java_home/bin/java" -version 2>&1;
            apt-cache policy ${packages//,/ } 2>/dev/null | grep -E '^[a-z]|Candidate'; echo "$epoch $mirror"; } \
          | sha256sum | cut -d' ' -f1)"
if [[ -f "$tarball" && "$(cat "$tarball.stamp" 2>/dev/null)" == "$stamp" ]]; then
  log "up to date: $tarball"
  echo "$tarball"
  exit 0
fi

work="$(mktemp -d "$out_dir/.base-XXXXXX")"
[[ -n "${MODELSHIP_KEEP_WORK:-}" ]] || trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

log "root filesystem from Debian $suite: $packages"
# extract: unpack the packages alone, run no maintainer script, so no shell or dpkg is needed.
mmdebstrap --quiet --variant=extract --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
  "$suite" "$rootfs" "$mirror"
# ca-certificates' bundle is made by its postinst, which extract does not run.
cat "$rootfs"/usr/share/ca-certificates/*/*.crt > "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -rf "$rootfs/var/cache/apt" "$rootfs/var/lib/apt/lists" "$rootfs/var/log"/*
# A user for the non-root UID, so that tools which look the user up find one.
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nmodelship:x:%d:%d:modelship:/tmp:/usr/sbin/nologin\n' \
  "$uid" "$uid" > "$rootfs/etc/passwd"
printf 'root:x:0:\nmodelship:x:%d:\n' "$uid" > "$rootfs/etc/group"

log "JRE by jlink ($modules)"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=2 --output "$rootfs/opt/java"
# (jlink copies the JDK's CA store, Debian's /etc/ssl/certs/java/cacerts, into the JRE.)
find "$rootfs" -exec touch -h -d "@$epoch" {} +

log "image"
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
layout="$work/oci"
umoci init --layout "$layout"
umoci new --image "$layout:base"
umoci unpack --image "$layout:base" "$work/bundle" >/dev/null
rm -rf "$work/bundle/rootfs"
mv "$rootfs" "$work/bundle/rootfs"
umoci repack --image "$layout:base" --history.created "$created" --history.created_by "scripts/base-image.sh" \
  "$work/bundle"
umoci config --image "$layout:base" --created "$created" --history.created "$created" \
  --history.created_by "scripts/base-image.sh" \
  --config.user "$uid:$uid" --config.workingdir /tmp \
  --config.env PATH=/opt/java/bin:/usr/bin:/bin --config.env JAVA_HOME=/opt/java \
  --config.env LANG=C.UTF-8 --config.env HOME=/tmp
umoci gc --layout "$layout"
rm -f "$tarball"
skopeo copy --quiet "oci:$layout:base" "docker-archive:$tarball:modelship/jre:17"
echo "$stamp" > "$tarball.stamp"
log "built $tarball ($(du -h "$tarball" | cut -f1))"
echo "$tarball"
