#!/usr/bin/env bash
# tools/setup.sh: install every Debian 12 package privnum needs to build, run, test and benchmark.
# Idempotent: it asks dpkg first and calls apt-get only for what is missing.
set -euo pipefail

PKGS=(
  # build
  build-essential meson ninja-build pkg-config clang lld libclang-rt-14-dev llvm clang-format
  # libraries
  dpdk-dev libdpdk-dev liburcu-dev libmsgpack-dev librocksdb-dev libcurl4-openssl-dev
  libmicrohttpd-dev libjansson-dev libcmocka-dev libssl-dev libgnutls28-dev libpcap-dev
  libinih-dev
  # comparison peers for benchmarks
  libsofia-sip-ua-dev
  # run and test tools
  sip-tester tshark iproute2 ethtool curl python3 valgrind jq procps psmisc wrk openssl
)

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
