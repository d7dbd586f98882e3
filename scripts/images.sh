#!/usr/bin/env bash
# Builds Modelship's three images with Jib (no Docker daemon) and pushes them to a registry.
#
#   bash scripts/images.sh [--registry HOST:PORT[/PATH]] [--base IMAGE] [--values FILE]
#
#   --registry  where to push (default 127.0.0.1:5000, the local cluster's registry: start it with
#               scripts/local-registry.sh start). Images are <registry>/modelship/{operator,
#               inference-server,optimizer}:<version>. A loopback registry is spoken to over plain HTTP.
#   --base      the JRE 17 base image: a registry image (e.g. eclipse-temurin:17-jre, for users) or
#               tar://<docker-archive>; default: the one scripts/base-image.sh builds from Debian
#               packages here.
#   --values    also write FILE: the Helm chart's values for these three images, pinned by digest
#               (helm install ... -f FILE).
#
# Prints one line per image, name=reference, the reference pinned by digest:
#   operator=127.0.0.1:5000/modelship/operator:0.1.0-SNAPSHOT@sha256:...
# Every image runs as UID 10001 with no shell needed and a read-only root filesystem (/tmp must be
# writable: ONNX Runtime unpacks its native library there). The operator's and optimizer's digests
# are reproducible (the same sources and base give the same digests); the server's is not yet
# (Quarkus's Jib extension keeps the build's file times).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
registry=127.0.0.1:5000
base=""
values=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --registry) registry="$2"; shift 2 ;;
    --base) base="$2"; shift 2 ;;
    --values) values="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "images.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
log() { echo "images.sh: $*" >&2; }

if [[ -z "$base" ]]; then
  base="tar://$(bash "$repo/scripts/base-image.sh" | tail -n 1)"
fi
insecure=false
case "$registry" in
  127.*|localhost|localhost:*|"[::1]"*) insecure=true ;;
esac

log "building operator, optimizer and inference-server on $base, pushing to $registry"
(cd "$repo" && ./mvnw -B -q -pl operator,optimizer,inference-server -am package jib:build -DskipTests \
  -Dmodelship.image.base="$base" -Dmodelship.image.registry="$registry" \
  -Djib.allowInsecureRegistries="$insecure" \
  -Dquarkus.container-image.build=true -Dquarkus.container-image.push=true \
  -Dquarkus.container-image.registry="$registry" -Dquarkus.container-image.insecure="$insecure" \
  -Dquarkus.jib.base-jvm-image="$base") >&2

version="$(cd "$repo" && sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -n 1)"
reference() { echo "$registry/modelship/$1:$version@$(cat "$repo/$1/target/jib-image.digest")"; }
for module in operator optimizer inference-server; do
  echo "$module=$(reference "$module")"
done
if [[ -n "$values" ]]; then
  cat > "$values" <<EOF
# Written by scripts/images.sh: the images it built and pushed, pinned by digest.
image:
  repository: $registry/modelship/operator
  tag: $version
  digest: $(cat "$repo/operator/target/jib-image.digest")
inferenceServerImage: $(reference inference-server)
optimizerImage: $(reference optimizer)
EOF
  log "chart values for these images: $values"
fi
