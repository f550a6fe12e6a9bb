#!/usr/bin/env bash
#  Installs what zlb needs to build and test, from Debian/Ubuntu packages.
#  Idempotent: installs only what is missing. Uses sudo when not root.
set -euo pipefail

packages=(build-essential cmake pkg-config
          libzmq3-dev libczmq-dev libmsgpack-dev libcmocka-dev
          jq procps psmisc iproute2 nftables
          curl tmux help2man
          clang libclang-rt-14-dev valgrind)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "zlb: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
