#!/usr/bin/env bash
# Setup: installs what lvsd's tests and lab need (Debian packages, node modules); idempotent and quick when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# user-mode-linux: the guest kernel with IPVS; the rest runs inside the guest from this machine's filesystem
# systemd: systemd-analyze, which verifies the units in systemd/
PKGS=(user-mode-linux ipvsadm keepalived nginx-light kmod iputils-arping tcpdump curl strace procps iputils-ping systemd)
# services these packages would start on this machine (a host nginx on port 80 is not wanted)
SERVICES=(nginx keepalived)

installed() { { dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true; } | awk '$NF == "installed" { print $1 }'; }

missing=()
have=" $(installed "${PKGS[@]}" | tr '\n' ' ') "
for p in "${PKGS[@]}"; do
  [[ $have == *" $p "* ]] || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  command -v apt-get >/dev/null || { echo "setup: missing ${missing[*]} and no apt-get: install them by hand (Debian/Ubuntu package names)" >&2; exit 1; }
  if [[ $(id -u) == 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "setup: missing ${missing[*]}: run this script as root (or with passwordless sudo) to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  # keep package scripts from starting services on this machine while installing
  added_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    added_policy=1
  fi
  cleanup() { if ((added_policy)); then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi; }
  trap cleanup EXIT
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # never leave the services we just installed running or enabled on this machine
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    for s in "${SERVICES[@]}"; do
      for p in "${missing[@]}"; do
        if [[ $p == "$s"* ]]; then "${SUDO[@]}" systemctl disable --now "$s" >/dev/null 2>&1 || true; fi
      done
    done
  fi
  cleanup
  trap - EXIT
fi

# node modules: (re)install when missing or when package-lock.json changed since the last install
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  # npm 11 writes lock files without rollup's optional per-platform packages and then refuses them in `npm ci`
  # ("Missing: @rollup/rollup-…"); `npm install` reads the same lock file and installs the same versions
  if ! npm ci --no-audit --no-fund; then
    echo "setup: npm ci refused the lock file; installing from it with npm install"
    npm install --no-audit --no-fund
  fi
fi

# native/ (the packet addon and the script launcher): rebuilt when a source is newer than what was built from it
built=native/build/Release
if [[ ! -x $built/lvsd-spawn || ! -f $built/lvsd_packet.node ]] || [[ -n $(find native -maxdepth 1 \( -name '*.c' -o -name '*.h' -o -name binding.gyp \) -newer "$built/lvsd-spawn" -print -quit) ]]; then
  echo "setup: building native/"
  npm run --silent install
fi
