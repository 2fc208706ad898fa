#!/usr/bin/env bash
# ttserver developer entry point. Two subcommands:
#   ./dev.sh run    install missing Debian packages, build, and run ttserver in the
#                   foreground on 127.0.0.1:1978 (hash database and update log in ./data/)
#   ./dev.sh test [plain|asan|tsan]...
#                   install missing Debian packages, lint the man pages, and build and
#                   run the tests (unit + integration) in each part named (default: all):
#                   plain = every test in $BUILD_DIR (default build/); asan = every test
#                   under AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/;
#                   tsan = the tests labelled tsan under ThreadSanitizer in build-tsan/.
#                   Non-zero if any part fails; every part runs even after one failed.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}
# Build and run dependencies (Debian 12 package names); libsqlite3-dev and
# libpq-dev are the database clients tttail's sinks use.
PACKAGES=(build-essential cmake pkg-config libkyotocabinet-dev libevent-dev libcli11-dev
          libhttp-parser-dev libsqlite3-dev libpq-dev zlib1g-dev)
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

# build DIR TARGET [CMAKE_ARGS...]: configures DIR and builds TARGET in it.
build() {
  local dir=$1 target=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target "$target"
}

# Sanitized builds are optimised less (-O1) and keep line tables only (-g1), to
# save build time: line tables are enough for the reports' stacks.
SANITIZED=(-DTT_BUILD_TESTS=ON "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")

# Left out of the TSan part, which is for the tests of concurrency: the protocol
# exchanges of the integration_tests program (its durability test stays), and
# the tests of volume, whose tens of megabytes or 100k+ records take TSan
# minutes each and hit their own deadlines (the ASan part runs them all).
TSAN_EXCLUDED='^(BadInputTest|BinaryVectorsTest|ToolsTest)\.|LargeRequestInManyPieces'
TSAN_EXCLUDED+='|SlowReaderGetsEverything|200kRecords|BootstrapCutShortByKill9|ExactlyOnceThroughKill9'

# test_part NAME: builds and runs one part of `./dev.sh test`; returns non-zero if the
# build or a test failed. (Called as `test_part ... ||`, so set -e is off inside it.)
test_part() {
  local start=$SECONDS status=0
  case "$1" in
    plain)
      build "$BUILD_DIR" all -DTT_BUILD_TESTS=ON || return 1
      ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 600 || status=$?
      ;;
    asan)
      build build-asan all -DTT_SANITIZE=address,undefined "${SANITIZED[@]}" || return 1
      ctest --test-dir build-asan --output-on-failure -j2 --timeout 600 || status=$?
      ;;
    tsan)
      build build-tsan tsan_tests -DTT_SANITIZE=thread "${SANITIZED[@]}" || return 1
      ctest --test-dir build-tsan --output-on-failure -j2 --timeout 600 -L tsan \
        -E "$TSAN_EXCLUDED" || status=$?
      ;;
    *)
      echo "dev.sh: unknown test part '$1' (plain, asan or tsan)" >&2
      return 2
      ;;
  esac
  echo "dev.sh: test part $1: $([ "$status" -eq 0 ] && echo passed || echo FAILED)" \
       "in $((SECONDS - start)) s" >&2
  return "$status"
}

case "${1:-}" in
  run)
    shift
    install_packages "${PACKAGES[@]}"
    build "$BUILD_DIR" all -DTT_BUILD_TESTS=OFF
    mkdir -p data/ulog
    exec "$BUILD_DIR/ttserver/ttserver" -host 127.0.0.1 -port 1978 -ulog data/ulog -sid 1 "$@" data/casket.kch
    ;;
  test)
    shift
    parts=("$@")
    [ ${#parts[@]} -eq 0 ] && parts=(plain asan tsan)
    install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    echo "dev.sh: linting man pages"
    lint=$(mandoc -T lint man/*.1 || true)
    if [ -n "$lint" ]; then
      echo "$lint" >&2
      echo "dev.sh: man page lint failed" >&2
      exit 1
    fi
    failed=()
    for part in "${parts[@]}"; do
      test_part "$part" || failed+=("$part")
    done
    if [ ${#failed[@]} -gt 0 ]; then
      echo "dev.sh: FAILED test parts: ${failed[*]}" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 run [ttserver options] | test [plain|asan|tsan]..." >&2
    exit 2
    ;;
esac
