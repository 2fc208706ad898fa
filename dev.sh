#!/usr/bin/env bash
# ttserver developer entry point. Five subcommands:
#   ./dev.sh run    install missing Debian packages, build, and run ttserver in the
#                   foreground on 127.0.0.1:1978 (hash database and update log in ./data/)
#   ./dev.sh test [plain|asan|tsan|package]...
#                   install missing Debian packages, lint the man pages, and build and
#                   run the tests (unit + integration) in each part named (default:
#                   asan tsan package): asan = every test under AddressSanitizer +
#                   UndefinedBehaviorSanitizer in build-asan/; tsan = the tests labelled
#                   tsan under ThreadSanitizer in build-tsan/; plain = every test on the
#                   optimised build in $BUILD_DIR (default build/); package = build the
#                   Debian package, lintian, install it (root), run and purge it
#                   (tests/package/package_test.sh).
#   ./dev.sh package
#                   build the Debian package (CPack) in build-package/ and print its path
#                   Non-zero if any part fails; every part runs even after one failed.
#   ./dev.sh fuzz [SECONDS] [--merge] [TARGET...]
#                   build the libFuzzer targets of tests/fuzz/ with clang (ASan, UBSan)
#                   in build-fuzz/ and run each (or the TARGETs) for SECONDS (default
#                   60); --merge adds the inputs that found new coverage to
#                   tests/fuzz/corpus/; non-zero when a target crashed
#   ./dev.sh chaos [--faults N] [--seed S] [...]
#                   build, then run the fault-injection harness (tests/chaos/) for a
#                   long schedule; a seed is drawn when none is given, and printed.
#                   Other options go to the harness (build/tests/chaos/chaos --help)
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}
# Build and run dependencies (Debian 12 package names); libsqlite3-dev and
# libpq-dev are the database clients tttail's sinks use; libssl-dev is
# OpenSSL for --tls-port (through libevent's libevent_openssl).
PACKAGES=(build-essential cmake pkg-config libkyotocabinet-dev libevent-dev libcli11-dev
          libhttp-parser-dev libsqlite3-dev libpq-dev zlib1g-dev libsystemd-dev libssl-dev)
# Additionally needed by the tests: GoogleTest, man page lint, the reference
# memcached and redis-server, and the real clients the integration tests drive
# (memccapable, memccp and memccat; pymemcache and python-memcached; Perl
# Cache::Memcached; Ruby Dalli, whose package does not pull in ruby itself;
# curl; redis-cli and redis-py), the PostgreSQL server that tttail's
# integration test starts, twemproxy (nutcracker) for the scale-out test, and
# the openssl command, which makes the TLS tests' certificates and is their
# s_client.
TEST_PACKAGES=(libgtest-dev libgmock-dev mandoc memcached libmemcached-tools python3
               python3-pymemcache python3-memcache libcache-memcached-perl ruby ruby-dalli
               curl postgresql redis-server redis-tools python3-redis nutcracker openssl)

# The package and its test: lintian checks it, fakeroot lets dpkg-deb give
# root ownership without root.
PACKAGE_PACKAGES=(lintian fakeroot)
PACKAGE_BUILD_DIR=${PACKAGE_BUILD_DIR:-build-package}

# The fuzz targets need clang and its libFuzzer/sanitizer runtimes.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}

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

# Builds the Debian package in $PACKAGE_BUILD_DIR (no tests) and prints its path.
package() {
  install_packages "${PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"
  build "$PACKAGE_BUILD_DIR" all -DTT_BUILD_TESTS=OFF >&2
  rm -f "$PACKAGE_BUILD_DIR"/ttserver_*.deb
  (cd "$PACKAGE_BUILD_DIR" && cpack -G DEB >&2)
  ls "$PACKAGE_BUILD_DIR"/ttserver_*.deb
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
    package)
      local deb
      deb=$(package) || return 1
      tests/package/package_test.sh "$deb" || status=$?
      ;;
    *)
      echo "dev.sh: unknown test part '$1' (plain, asan, tsan or package)" >&2
      return 2
      ;;
  esac
  echo "dev.sh: test part $1: $([ "$status" -eq 0 ] && echo passed || echo FAILED)" \
       "in $((SECONDS - start)) s" >&2
  return "$status"
}

# The dictionary of the target that mixes every protocol on one connection:
# the five protocols' dictionaries in one file (libFuzzer takes one).
protocol_switch_dict() {
  local dict="$FUZZ_BUILD_DIR/protocol_switch.dict"
  cat tests/fuzz/dict/{binary,memcached_text,memcached_binary,http,resp}.dict >"$dict"
  echo "$dict"
}

# The corpora a target reads besides its own: the protocol switch starts from
# the inputs of each protocol's session.
fuzz_extra_corpora() {
  case "$1" in
    protocol_switch)
      echo tests/fuzz/corpus/{binary_session,memcached_text,memcached_binary,http_session,resp_session}
      ;;
  esac
}

# The dictionary of a fuzz target's protocol (tests/fuzz/dict/), if it has one.
fuzz_dict() {
  case "$1" in
    binary_request | binary_session) echo tests/fuzz/dict/binary.dict ;;
    memcached_text) echo tests/fuzz/dict/memcached_text.dict ;;
    memcached_binary) echo tests/fuzz/dict/memcached_binary.dict ;;
    http_session) echo tests/fuzz/dict/http.dict ;;
    resp_session) echo tests/fuzz/dict/resp.dict ;;
    protocol_switch) protocol_switch_dict ;;
    ulog_record | ulog_segment | repl_slave | tail_stream) echo tests/fuzz/dict/ulog.dict ;;
  esac
}

# Runs one fuzz target for $2 seconds (new inputs go to its work directory,
# not to the corpus in the tree), merges them into the corpus when $3 is 1,
# and prints its line of the summary. Returns 1 when it crashed.
fuzz_target() {
  local target=$1 seconds=$2 merge=$3
  local bin="$FUZZ_BUILD_DIR/tests/fuzz/fuzz_$target" work="$FUZZ_BUILD_DIR/fuzz-work/$target"
  local corpus="tests/fuzz/corpus/$target" dict_args=() dict extra
  dict=$(fuzz_dict "$target")
  read -r -a extra <<<"$(fuzz_extra_corpora "$target")"
  [ -n "$dict" ] && dict_args=(-dict="$dict")
  rm -rf "$work"
  mkdir -p "$work/new"
  nice -n 10 "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "${dict_args[@]}" "$work/new" "$corpus" \
    "${extra[@]}" \
    >"$work/log" 2>&1 || true
  if [ "$merge" = 1 ]; then
    nice -n 10 "$bin" -merge=1 "${dict_args[@]}" "$corpus" "$work/new" >>"$work/log" 2>&1 || true
  fi
  local executions coverage crashes
  executions=$(grep -o 'number_of_executed_units: [0-9]*' "$work/log" | tail -1 | grep -o '[0-9]*$')
  coverage=$(grep -E '^#[0-9]+' "$work/log" | grep -o 'cov: [0-9]* ft: [0-9]*' | tail -1)
  crashes=$(find "$work" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' \
    -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | sort)
  printf '%-17s %12s %7s %7s %7s %8s\n' "$target" "${executions:-?}" \
    "$(echo "$coverage" | awk '{print $2}')" "$(echo "$coverage" | awk '{print $4}')" \
    "$(ls "$corpus" | wc -l)" "$(echo -n "$crashes" | grep -c . || true)"
  if [ -n "$crashes" ]; then
    echo "$crashes" | sed 's/^/    reproducer: /'
    echo "    log: $work/log"
    return 1
  fi
}

fuzz() {
  local seconds=60 merge=0 targets=()
  for arg in "$@"; do
    case "$arg" in
      --merge) merge=1 ;;
      '' | *[!0-9]*) targets+=("$arg") ;;
      *) seconds=$arg ;;
    esac
  done
  install_packages "${PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$FUZZ_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DTT_FUZZ=ON "${launcher[@]}" >/dev/null
  cmake --build "$FUZZ_BUILD_DIR" -j"$(nproc)" --target fuzz_targets
  [ ${#targets[@]} -eq 0 ] && mapfile -t targets < <(ls tests/fuzz/corpus)
  printf '%-17s %12s %7s %7s %7s %8s\n' target executions cov ft corpus crashes
  local failed=0
  for target in "${targets[@]}"; do
    fuzz_target "$target" "$seconds" "$merge" || failed=1
  done
  return $failed
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
    # Every test runs in the asan part; plain, the same tests on the optimised
    # build, is left out of the default to keep the whole under 30 minutes.
    [ ${#parts[@]} -eq 0 ] && parts=(asan tsan package)
    install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"
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
  fuzz)
    shift
    fuzz "$@"
    ;;
  package)
    package
    ;;
  chaos)
    shift
    install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    build "$BUILD_DIR" chaos -DTT_BUILD_TESTS=ON
    exec "$BUILD_DIR/tests/chaos/chaos" --faults 200 "$@"
    ;;
  *)
    echo "usage: $0 run [ttserver options] | test [plain|asan|tsan|package]... | package |" \
         "fuzz [seconds] [--merge] [target...] | chaos [--faults N] [--seed S] [...]" >&2
    exit 2
    ;;
esac
