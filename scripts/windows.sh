#!/usr/bin/env bash
# The Windows leg: installs the mingw-w64 cross compiler and wine64 if they
# are missing, then configures, builds and tests the `windows` preset
# (cmake/toolchains/mingw-w64.cmake: x86_64 Windows programs, run by ctest
# under wine64) through scripts/test.sh, which prints the summary.
#
#   bash scripts/windows.sh
#
# Run as root, or as a user with sudo. Target: Debian 12 (bookworm).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(
  g++-mingw-w64-x86-64-posix   # x86_64-w64-mingw32-g++-posix: GCC 12, posix threads (std::thread)
  wine64                       # runs the test programs
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if (( ${#missing[@]} > 0 )); then
  if (( EUID == 0 )); then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "windows.sh: missing packages: ${missing[*]}; run as root (or install sudo)" >&2
    exit 1
  fi
  echo "windows.sh: installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

exec bash scripts/test.sh windows
