#!/usr/bin/env bash
# Installs, with apt-get, whatever rill's build, tests, examples and benchmarks
# need and is not installed yet. Quiet and quick when everything is present.
# Run as root, or as a user with sudo. Target: Debian 12 (bookworm).
set -euo pipefail

packages=(
  g++                      # compiler (GCC 12) and libstdc++
  clang-19                 # second compiler (clang before 19 miscompiles Asio 1.22's coroutines)
  libclang-rt-19-dev       # its sanitizer and libFuzzer runtimes
  clang-14                 # only to check the warning rill gives clang before 19
  spin                     # model checker: tests/spin
  gcc                      # C compiler for the verifiers spin writes
  cmake                    # >= 3.23 for CMakePresets.json version 4
  ninja-build
  libasio-dev              # standalone Asio (header-only)
  libfmt-dev
  libexpected-dev          # tl::expected
  catch2                   # Catch2 2.x, tests
  git
  pkg-config
  gnuplot-nox              # benchmark charts
  libboost-fiber-dev       # benchmark peer: Boost.Fiber buffered_channel
  libconcurrentqueue-dev   # benchmark peer: moodycamel::BlockingConcurrentQueue
  libnats-dev              # nats.c (3.4), the client rill::nats is built on
  nats-server              # NATS with JetStream (2.9), started by the rill::nats tests
  iproute2                 # ip netns: the rill::nats network test's own namespace
  nlohmann-json3-dev       # JSON for <rill/nats/json.hpp> (json_codec)
  g++-mingw-w64-x86-64-posix  # the Windows build (preset windows), cross-compiled
  wine64                   # runs the Windows build's tests
  mkdocs                   # the guide (scripts/docs.sh)
  python3-pymdownx         # its snippet includes: every code block is a tested program
  doxygen                  # the API reference
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if (( ${#missing[@]} == 0 )); then
  exit 0
fi

if (( EUID == 0 )); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup.sh: missing packages: ${missing[*]}" >&2
  echo "setup.sh: run as root (or install sudo) so they can be installed" >&2
  exit 1
fi

echo "setup.sh: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup.sh: done"
