#!/usr/bin/env bash
# The system programs the tests talk to, installed when missing (Debian's packages, as root),
# or a stop at once that names them: `npm test` runs this first (pretest), and so does .ci/run.
#   python3-websockets  a WebSocket peer written by others (the interop tests, system python3)
#   openssl             throw-away TLS material for the wss tests and the secure sample
#   redis-server        @duet/redis's tests start their own on a free port
#   chromium            the chat demo's browser test (playwright-core ships no browser)
#   DUET_PEERS_BIN      where Debian puts them (default /usr/bin; a test points it elsewhere)
set -euo pipefail

bin="${DUET_PEERS_BIN:-/usr/bin}"
missing=()
"$bin/python3" -c 'import websockets' >/dev/null 2>&1 || missing+=(python3-websockets)
[ -x "$bin/openssl" ] || missing+=(openssl)
[ -x "$bin/redis-server" ] || missing+=(redis-server)
[ -x "$bin/chromium" ] || missing+=(chromium)
[ "${#missing[@]}" -eq 0 ] && exit 0

command_line="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  {
    echo "The tests need system packages that are not installed: ${missing[*]}."
    if command -v apt-get >/dev/null 2>&1; then
      echo "Install them as root, then run the tests again:  sudo sh -c '$command_line'"
    else
      echo "This machine has no apt-get: install the equivalents of these Debian packages, then run the tests again."
    fi
  } >&2
  exit 1
fi

echo "Installing the tests' system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
