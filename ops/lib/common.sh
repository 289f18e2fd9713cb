# Shared helpers for ops/ scripts. Source it; it does nothing on its own.
# Everything here is idempotent: it installs only what is missing.

FLOWCPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Debian packages the project needs (C libraries with headers, PostgreSQL server and client, pkg-config).
FLOWCPS_APT_PACKAGES=(pkg-config libopenblas-dev libpq-dev libpng-dev postgresql postgresql-client)

log() { printf '[flowcps] %s\n' "$*" >&2; }
die() { printf '[flowcps] error: %s\n' "$*" >&2; exit 1; }

# Under `set -e`, a failing command ends the script; this names it, so no ops/ script ever exits non-zero without
# saying what failed. Call once, after `set -euo pipefail`.
say_what_failed() {
    set -o errtrace
    # In the main shell only (a failure inside $(…) is reported once, by the command that used it).
    trap 's=$?; if [ "$BASHPID" = "$$" ]; then printf "[flowcps] error: %s stopped: exit %s at line %s: %s\n" "${0##*/}" "$s" "$LINENO" "$BASH_COMMAND" >&2; fi' ERR
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $* (install the packages by hand or run as root)"
    fi
}

# Installs the apt packages that are missing; does nothing when all are present.
ensure_packages() {
    local missing=()
    for p in "${FLOWCPS_APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
    log "installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Puts a Swift toolchain on PATH (the machine ships one in /opt/swift).
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
            if [ -x "$d/swift" ]; then export PATH="$d:$PATH"; break; fi
        done
    fi
    command -v swift >/dev/null 2>&1 || die "no Swift toolchain found (expected /opt/swift/usr/bin/swift)"
}

# Builds in release mode: `build_release [PRODUCT] [swift build options…]` (no product: every product). The log goes
# to .build/build-<product>.log; on failure its tail is shown and the script stops. Without debug information
# (-gnone): a first build of flowcps took 748 CPU-seconds instead of 900 (one build each, Hummingbird's SwiftNIO
# over half of it) and the binary is 23 MB instead of 56, for ops/demo's 15 minutes; backtraces still name functions.
build_release() {
    local product=${1:-all} log
    [ $# -gt 0 ] && shift
    ensure_swift
    mkdir -p "$FLOWCPS_ROOT/.build"
    log="$FLOWCPS_ROOT/.build/build-$product.log"
    local args=(-c release -Xswiftc -gnone)
    [ "$product" = all ] || args+=(--product "$product")
    (cd "$FLOWCPS_ROOT" && swift build "${args[@]}" "$@") >"$log" 2>&1 \
        || { tail -40 "$log" >&2; die "build failed (log: $log)"; }
}
