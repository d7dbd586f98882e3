#!/usr/bin/env bash
# Installs Triton's load tool perf_analyzer, which PerfAnalyzerIT and bench/perf-analyzer.sh run
# against the inference server, into $MODELSHIP_TOOLS/perf-analyzer-<version>/:
#   bin/perf_analyzer      the command to run (a wrapper: it takes every argument of the tool)
#   libexec/perf_analyzer  the binary from PyPI's wheel `perf-analyzer` (pinned, hash-checked)
#   sysroot/               Debian 13 (trixie) C and C++ runtime libraries the binary is started with
#
# Why a sysroot: the wheels (2.58 and later) are built for glibc 2.38 (manylinux_2_38); Debian 12
# has glibc 2.36 and libstdc++ up to GLIBCXX_3.4.30, so pip finds no compatible version and the
# binary does not start (`GLIBC_2.38 not found`, `GLIBCXX_3.4.31/32 not found`). The wrapper
# starts it through trixie's dynamic loader with trixie's libc, libstdc++, libgcc_s, and the
# libraries the binary and those pull in (libssl/libcrypto 3, zlib, zstd), so no library comes
# from the host. Nothing is installed into the system: the .debs are fetched with `apt-get download`
# from a private apt state (own sources, lists, cache, empty dpkg status, none of the host's
# apt.conf.d hooks) and unpacked with `dpkg-deb -x`. Root is not needed.
#
# Idempotent: a stamp records what was asked for; a second run checks the tool starts and prints
# its path. Prints the wrapper's path on its last line:
#   perf_analyzer="$(bash scripts/perf-analyzer.sh | tail -1)"
set -euo pipefail

tools="${MODELSHIP_TOOLS:-$HOME/.local/share/modelship}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# PyPI's perf-analyzer (the wheel bundles the C++ binary; its Python part only runs it).
version=2.60.0
wheel_platform=manylinux_2_38_x86_64
wheel_sha256=23ef56b107ae9233e5cf09fbdf508dd9b936a52f1bae2f63f53c8117087b3f25

# Debian 13 packages for the sysroot, pinned to their upstream version, not to the exact Debian
# revision: the mirror keeps only the current revision of a stable release (a point release or a
# security fix, e.g. libc6 2.41-12+deb13u5 -> +deb13u6, deletes the previous one from
# deb.debian.org), so an exact pin would break this script at the next point release. Within a
# stable release Debian keeps the upstream version (ABI) fixed, and the newest revision matching
# the pattern is taken; the exact versions installed are written to the stamp and printed.
# Measured with: libc6 2.41-12+deb13u5, libgcc-s1 and libstdc++6 14.2.0-19, libssl3t64
# 3.5.9-1~deb13u1, zlib1g 1:1.3.dfsg+really1.3.1-1+deb13u1, libzstd1 1.5.7+dfsg-1.
debian_mirror=http://deb.debian.org/debian
debian_suite=trixie
debian_packages=(
  'libc6=2.41-*'                          # glibc 2.41: the loader, libc, libm (GLIBC_2.38)
  'libgcc-s1=14.2.0-*'                    # libgcc_s of GCC 14
  'libstdc++6=14.2.0-*'                   # GLIBCXX_3.4.31/32
  'libssl3t64=3.5.*'                      # libssl.so.3, libcrypto.so.3 (NEEDED by the binary)
  'zlib1g=1:1.3.dfsg+really1.3.1-*'       # libz.so.1 (binary, libcrypto)
  'libzstd1=1.5.7+dfsg-*'                 # libzstd.so.1 (NEEDED by trixie's libcrypto)
)

log() { echo "perf-analyzer: $*" >&2; }

dir="$tools/perf-analyzer-$version"
wrapper="$dir/bin/perf_analyzer"
want="$( { echo "perf-analyzer $version $wheel_platform $wheel_sha256"
           echo "$debian_mirror $debian_suite ${debian_packages[*]}"
           sed -n '/^#!\/bin\/sh$/,/^WRAPPER$/p' "${BASH_SOURCE[0]}"; } | sha256sum | cut -d' ' -f1)"

# The tool starts: `--version` exits 0 and names it, on stderr (its version string is 0.0.0 and a
# commit; the package version is the directory's and the stamp's).
works() { [[ -x "$wrapper" && "$("$wrapper" --version 2>&1)" == "Perf Analyzer Version "* ]]; }

mkdir -p "$tools"
exec 9>"$tools/.perf-analyzer.lock"
flock 9

if [[ "$(head -1 "$dir/.stamp" 2>/dev/null)" == "$want" ]] && works; then
  echo "$wrapper"
  exit 0
fi

start=$(date +%s)
log "installing perf_analyzer $version into $dir"
work="$(mktemp -d)"
new="$dir.new.$$"
trap 'rm -rf "$work" "$new"' EXIT
# apt runs the download as _apt (when started as root), which must be able to write the folders.
chmod 0777 "$work"

# 1. The wheel, hash-checked. Any pip will do: the platform and Python version are given, so the
#    interpreter's own (3.11 here) does not matter.
python=""
for p in "${MODELSHIP_VENV:-$repo/.venv}/bin/python" python3; do
  if "$p" -m pip --version >/dev/null 2>&1; then python="$p"; break; fi
done
[[ -n "$python" ]] || { log "no Python with pip (run scripts/python-env.sh first, or install python3-pip)"; exit 1; }
echo "perf-analyzer==$version --hash=sha256:$wheel_sha256" >"$work/requirements.txt"
"$python" -m pip download --disable-pip-version-check --quiet --no-deps --only-binary=:all: \
  --platform "$wheel_platform" --python-version 3.11 --implementation py \
  -r "$work/requirements.txt" -d "$work/wheel" >&2
"$python" -m zipfile -e "$work"/wheel/perf_analyzer-"$version"-*.whl "$work/wheel/x"

# 2. The trixie packages, from a private apt state. APT_CONFIG is read before the host's
#    apt.conf.d, so pointing Dir::Etc::Parts at an empty folder there keeps the host's hooks
#    (APT::Update::Post-Invoke-Success: AppStream and PackageKit refreshes) and extra index
#    targets out; the host's Acquire settings (proxies, timeouts) are carried over.
apt_dir="$work/apt"
mkdir -p "$apt_dir"/{parts,preferences.d,lists/partial,cache/archives/partial,debs}
: >"$apt_dir/status"
{
  echo "Dir::Etc::Parts \"$apt_dir/parts\";"
  echo 'Dir::Etc::Main "/dev/null";'
  apt-config dump 2>/dev/null | grep '^Acquire::' | grep -v '^Acquire::IndexTargets' || true
} >"$apt_dir/apt.conf"
cat >"$apt_dir/trixie.sources" <<EOF
Types: deb
URIs: $debian_mirror
Suites: $debian_suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
chmod -R a+rwX "$apt_dir"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/trixie.sources" -o "Dir::Etc::SourceParts=$apt_dir/parts"
  -o "Dir::Etc::Preferences=$apt_dir/preferences" -o "Dir::Etc::PreferencesParts=$apt_dir/preferences.d"
  -o "Dir::State=$apt_dir" -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir/cache" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
)
export APT_CONFIG="$apt_dir/apt.conf"
if ! apt-get "${apt_opts[@]}" update >"$work/apt-update.log" 2>&1 \
    || grep -qE '^(E:|W: (Failed to fetch|Some index files failed))' "$work/apt-update.log"; then
  cat "$work/apt-update.log" >&2
  log "apt-get update of $debian_mirror $debian_suite failed (see above)"
  exit 1
fi
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download -q "${debian_packages[@]}" >/dev/null)
unset APT_CONFIG

# 3. The folder, built aside and moved into place whole.
rm -rf "$new"
mkdir -p "$new/bin" "$new/libexec" "$new/sysroot"
debian_versions=()
for deb in "$apt_dir"/debs/*.deb; do
  dpkg-deb -x "$deb" "$new/sysroot"
  debian_versions+=("$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)")
done
rm -rf "$new/sysroot/usr/share/doc" "$new/sysroot/usr/share/lintian"
install -m 0755 "$work/wheel/x/perf_analyzer/bin/perf_analyzer" "$new/libexec/perf_analyzer"
cp "$work/wheel/x/perf_analyzer-$version.dist-info/licenses/LICENSE" "$new/LICENSE" 2>/dev/null || true

# The wrapper (between the markers; they are part of the stamp). --argv0 keeps the name in the
# tool's usage text; GCONV_PATH keeps iconv, if anything uses it, off the host's glibc modules.
cat >"$new/bin/perf_analyzer" <<'WRAPPER'
#!/bin/sh
# perf_analyzer from PyPI's wheel, started with Debian 13's loader and libraries (see
# scripts/perf-analyzer.sh). Takes every argument of perf_analyzer.
here="$(dirname "$(dirname "$(readlink -f "$0")")")"
lib="$here/sysroot/usr/lib/x86_64-linux-gnu"
GCONV_PATH="$lib/gconv" exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" --argv0 "$0" \
  "$here/libexec/perf_analyzer" "$@"
WRAPPER
chmod 0755 "$new/bin/perf_analyzer"

# Every library the binary loads must come from the sysroot, none from the host.
lib="$new/sysroot/usr/lib/x86_64-linux-gnu"
resolved="$("$lib/ld-linux-x86-64.so.2" --list --library-path "$lib" "$new/libexec/perf_analyzer")"
if grep -v -e linux-vdso -e "=> $lib/" <<<"$resolved" | grep -q .; then
  echo "$resolved" >&2
  log "some libraries do not resolve into the sysroot (above): add their trixie packages"
  exit 1
fi

{ echo "$want"
  echo "perf-analyzer $version ($wheel_platform wheel, sha256 $wheel_sha256)"
  echo "debian $debian_suite: ${debian_versions[*]}"
  echo "installed $(date -u +%FT%TZ)"; } >"$new/.stamp"
rm -rf "$dir"
mv "$new" "$dir"

if ! works; then
  "$wrapper" --version >&2 || true
  log "the installed perf_analyzer does not start"
  exit 1
fi
log "perf-analyzer $version with trixie ${debian_versions[*]}: $("$wrapper" --version 2>&1) ($(( $(date +%s) - start ))s)"
echo "$wrapper"
