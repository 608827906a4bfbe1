#!/bin/sh
# Runs a Windows program under wine64 for ctest and catch_discover_tests:
# the CROSSCOMPILING_EMULATOR of cmake/toolchains/mingw-w64.cmake, which
# passes WINE (wine64), WINESERVER and WINEPREFIX in the environment.
#
# The wineserver keeps the program's standard output and error open for a
# while after the program has exited (it holds them as handles of the
# process; one it starts itself also inherits them and stays 3 s after its
# last client). ctest waits until the pipes it reads close, so each test
# would last that much longer, or until the server leaves. So the program
# writes into files, copied out once it has exited, and one server, started
# here with nothing of ours open, serves every test and leaves once none
# has come for 30 s (when one is running already, this start does nothing).
"$WINESERVER" -p30 </dev/null >/dev/null 2>&1 || true

out=$(mktemp) && err=$(mktemp) || exit 125
"$WINE" "$@" <&- >"$out" 2>"$err" &
pid=$!
finish() {
  cat "$out"
  cat "$err" >&2
  rm -f "$out" "$err"
}
# A test that times out is killed by ctest: stop the program too, and keep
# what it printed.
trap 'kill $pid 2>/dev/null; finish; exit 143' TERM INT
wait $pid
rc=$?
finish
exit $rc
