#!/usr/bin/env bash
# ttserver developer entry point. Three subcommands:
#   ./dev.sh run    install missing Debian packages, build, and run ttserver in the
#                   foreground on 127.0.0.1:1978 (hash database and update log in ./data/)
#   ./dev.sh test   install missing Debian packages, build, run every test
#                   (unit + integration) and lint the man pages; non-zero on any failure
#   ./dev.sh chaos [--faults N] [--seed S] [...]
#                   build, then run the fault-injection harness (tests/chaos/) for a
#                   long schedule; a seed is drawn when none is given, and printed.
#                   Other options go to the harness (build/tests/chaos/chaos --help)
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}
# Build and run dependencies (Debian 12 package names); libsqlite3-dev and
# libpq-dev are the database clients tttail's sinks use.
PACKAGES=(build-essential cmake pkg-config libkyotocabinet-dev libevent-dev libcli11-dev
          libhttp-parser-dev libsqlite3-dev libpq-dev)
# Additionally needed by the tests: GoogleTest, man page lint, the reference
# memcached, and the real clients the integration tests drive (memccapable,
# memccp and memccat; pymemcache and python-memcached; Perl Cache::Memcached;
# Ruby Dalli, whose package does not pull in ruby itself; curl), and the
# PostgreSQL server that tttail's integration test starts.
TEST_PACKAGES=(libgtest-dev libgmock-dev mandoc memcached libmemcached-tools python3
               python3-pymemcache python3-memcache libcache-memcached-perl ruby ruby-dalli
               curl postgresql)

install_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing missing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)"
}

case "${1:-}" in
  run)
    shift
    install_packages "${PACKAGES[@]}"
    build -DTT_BUILD_TESTS=OFF
    mkdir -p data/ulog
    exec "$BUILD_DIR/ttserver/ttserver" -host 127.0.0.1 -port 1978 -ulog data/ulog -sid 1 "$@" data/casket.kch
    ;;
  test)
    install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    build -DTT_BUILD_TESTS=ON
    echo "dev.sh: linting man pages"
    lint=$(mandoc -T lint man/*.1 || true)
    if [ -n "$lint" ]; then
      echo "$lint" >&2
      echo "dev.sh: man page lint failed" >&2
      exit 1
    fi
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 600
    ;;
  chaos)
    shift
    install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    build -DTT_BUILD_TESTS=ON
    exec "$BUILD_DIR/tests/chaos/chaos" --faults 200 "$@"
    ;;
  *)
    echo "usage: $0 run [ttserver options] | test | chaos [--faults N] [--seed S]" >&2
    exit 2
    ;;
esac
