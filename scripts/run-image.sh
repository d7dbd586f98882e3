#!/usr/bin/env bash
# Runs an image from a registry under runc the way a restricted pod runs it: read-only root
# filesystem, its own numeric non-root user, no capabilities, no privilege escalation, an empty
# writable /tmp, host networking (loopback) and bind mounts given with -v. For checking an image
# where no node runs; the process's output goes to the terminal, its exit code is returned.
#
#   bash scripts/run-image.sh [--insecure] [-e NAME=VALUE]... [-v HOST:CONTAINER[:ro]]... IMAGE [ARG...]
#
# Needs root, runc, umoci and skopeo (Debian packages).
set -euo pipefail

tls=true
mounts=()
envs=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --insecure) tls=false; shift ;;
    -v) mounts+=("$2"); shift 2 ;;
    -e) envs+=("$2"); shift 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
image="$1"; shift

work="$(mktemp -d)"
trap 'runc delete -f "$(basename "$work")" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
skopeo copy --quiet --src-tls-verify="$tls" "docker://$image" "oci:$work/oci:image"
umoci unpack --image "$work/oci:image" "$work/bundle" >/dev/null

skopeo inspect --config "oci:$work/oci:image" > "$work/image-config.json"

python3 - "$work/bundle/config.json" "$work/image-config.json" "$#" "$@" "${#envs[@]}" "${envs[@]}" \
  "${mounts[@]}" <<'PY'
import json, sys
path, image_config, nargs = sys.argv[1], sys.argv[2], int(sys.argv[3])
args = sys.argv[4:4 + nargs]
nenvs = int(sys.argv[4 + nargs])
envs = sys.argv[5 + nargs:5 + nargs + nenvs]
mounts = sys.argv[5 + nargs + nenvs:]
c = json.load(open(path))
p = c["process"]
if args:
    # Like a pod's args: the image's entrypoint stays, its command is replaced.
    p["args"] = (json.load(open(image_config))["config"].get("Entrypoint") or []) + args
p["env"] = p.get("env", []) + envs
p["terminal"] = False
p["noNewPrivileges"] = True
p["capabilities"] = {k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")}
c["root"]["readonly"] = True
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/tmp"]
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "mode=1777", "size=1g"]})
for spec in mounts:
    parts = spec.split(":")
    opts = ["rbind", "ro" if len(parts) > 2 and parts[2] == "ro" else "rw"]
    c["mounts"].append({"destination": parts[1], "type": "bind", "source": parts[0], "options": opts})
json.dump(c, open(path, "w"))
PY
cd "$work/bundle"
runc run "$(basename "$work")"
