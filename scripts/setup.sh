#!/usr/bin/env bash
# Installs everything Meshwork needs to build, run and test on Debian 12, from Debian's packages
# and the npm registry only. Idempotent: a second run installs nothing and takes about a second.
# Works as root with no prompts (CI, debootstrap minbase) or as a user with sudo.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meshwork}
log() { printf '[setup] %s\n' "$*"; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

# Debian packages, grouped by what needs them.
PKGS=(
  # native toolchain
  build-essential g++ cmake ninja-build ccache pkg-config git ca-certificates file xz-utils dpkg-dev
  clang lld libclang-rt-14-dev
  # native libraries
  libboost-dev libssl-dev openssl nlohmann-json3-dev libsqlite3-dev sqlite3 zlib1g-dev
  libturbojpeg0-dev libjpeg62-turbo-dev libpugixml-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libpq-dev libcurl4-openssl-dev
  libvncserver-dev libx11-dev libxtst-dev libxext-dev libxfixes-dev libxrandr-dev libisal-dev
  # WebAssembly toolchain (emscripten 3.1.6, clang 14); its optimizer needs acorn
  emscripten node-acorn binaryen
  # browser end-to-end tests
  chromium fonts-dejavu-core fonts-droid-fallback
  # real protocol peers and tools used by tests and benchmarks
  curl procps psmisc tmux xvfb x11-utils x11-apps tigervnc-standalone-server x11vnc amtterm wsl wrk
  tigervnc-tools x11-xserver-utils xdotool xclip
  vim less htop whiptail dialog bsdutils
  postgresql nginx-light
  # a real SMTP server for the mail tests (account verification, password reset)
  python3-aiosmtpd
  # Let's Encrypt's test CA (and its DNS server) for the ACME tests
  pebble
  # disk images served over Intel AMT IDE-R (a bootable ISO 9660 CD-ROM, a FAT floppy)
  xorriso dosfstools
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm: keep an existing Node (e.g. a newer one already on the machine), else Debian's.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "Debian packages: all present"
fi

# Services installed as dependencies must not hold ports our tests use; they are started by tests.
for svc in nginx postgresql; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    log "stopping system service $svc (tests start their own instances)"
    "${SUDO[@]}" systemctl stop "$svc" || true
  fi
done

# Source packages compiled to WebAssembly (emscripten ports do not work on Debian).
SRC="$CACHE/src"
mkdir -p "$SRC"
need_src=0
for d in imgui zlib libjpeg-turbo pugixml libvncserver; do [ -f "$SRC/$d/.unpacked" ] || need_src=1; done
if [ $need_src -eq 1 ]; then
  if ! apt-get indextargets --format '$(IDENTIFIER)' 2>/dev/null | grep -q '^Sources$'; then
    log "adding deb-src entries for Debian source packages"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: *deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
        "${SUDO[@]}" tee /etc/apt/sources.list.d/meshwork-deb-src.sources >/dev/null
    else
      # One-line format (debootstrap writes /etc/apt/sources.list this way).
      for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && [ "$f" != /etc/apt/sources.list.d/meshwork-deb-src.list ] && grep -hE '^deb ' "$f" || true
      done | sed 's/^deb /deb-src /' | "${SUDO[@]}" tee /etc/apt/sources.list.d/meshwork-deb-src.list >/dev/null
    fi
    "${SUDO[@]}" apt-get update -q
  fi
  for d in imgui zlib libjpeg-turbo pugixml libvncserver; do
    [ -f "$SRC/$d/.unpacked" ] && continue
    log "fetching Debian source package $d into $SRC/$d"
    tmp=$(mktemp -d "$SRC/.dl-$d.XXXXXX")
    # The newest version first; when a mirror lacks it (seen: debian-security answering 404 for
    # a source package it lists), the other versions the Sources indexes name, newest first.
    fetched=0
    for v in "" $(apt-cache showsrc "$d" 2>/dev/null | sed -n 's/^Version: //p' | sort -ruV); do
      rm -f "$tmp"/*
      if (cd "$tmp" && apt-get source -q --download-only "$d${v:+=$v}" >/dev/null 2>&1); then
        fetched=1; break
      fi
      log "  $d${v:+ $v}: download failed, trying another version"
    done
    [ $fetched -eq 1 ] || { echo "[setup] cannot download Debian source package $d" >&2; exit 1; }
    (cd "$tmp" && dpkg-source -x --no-check ./*.dsc unpacked >/dev/null)
    rm -rf "$SRC/$d"
    mv "$tmp/unpacked" "$SRC/$d"
    rm -rf "$tmp"
    touch "$SRC/$d/.unpacked"
  done
else
  log "Debian source packages for wasm: present in $SRC"
fi

# npm packages pinned in package.json + package-lock.json (playwright-core, pngjs; no browser
# download). Reinstalled when the lock file's hash differs from the one recorded at install.
lock_hash=$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$ROOT/node_modules/.meshwork-lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
  log "installing npm packages from package-lock.json"
  (cd "$ROOT" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > "$ROOT/node_modules/.meshwork-lock-hash"
else
  log "npm packages: present"
fi

log "done (cache: $CACHE)"
