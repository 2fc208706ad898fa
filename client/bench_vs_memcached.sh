#!/usr/bin/env bash
# Runs ttserver (binary protocol, on-disk hash database) and Debian's memcached
# (text protocol) side by side, alternating, and prints the medians of
# ttbench's ops/s, p99 latency and server CPU per request.
#
#   client/bench_vs_memcached.sh [build-dir] [repetitions] [requests-per-run]
#
# Both servers get the same worker-thread count; ttbench uses 4 connections
# and 100-byte values. Numbers are only comparable within one run. Extra
# ttserver options come from TT_ARGS, e.g. TT_ARGS="-ulog" adds an update log
# (a directory in the scratch dir, sid 1).
set -euo pipefail
BUILD=${1:-build}
REPS=${2:-5}
REQUESTS=${3:-200000}
THREADS=${THREADS:-4}
CONNS=${CONNS:-4}
PIPELINE=${PIPELINE:-1}
TTBENCH="$BUILD/client/ttbench"
[ -x "$TTBENCH" ] || { echo "missing $TTBENCH (build first)" >&2; exit 1; }
source "$(dirname "$0")/bench_servers.sh"

# run NAME PROTO PORT PID MODE → appends ttbench's key=value line to $work/NAME-MODE
run() {
  "$TTBENCH" --host 127.0.0.1 --port "$3" --protocol "$2" --mode "$5" --conns "$CONNS" \
    --pipeline "$PIPELINE" --value-size 100 --requests "$REQUESTS" --server-pid "$4" |
    grep '=' | tail -n 1 >>"$work/$1-$5"
}

for rep in $(seq 1 "$REPS"); do
  for mode in write read; do
    run tt tt "$TT_PORT" "$TT_PID" "$mode"
    run mc memcached "$MC_PORT" "$MC_PID" "$mode"
  done
  echo "repetition $rep of $REPS done" >&2
done

printf '%-6s %-10s %12s %10s %14s\n' mode server ops_per_s p99_us cpu_us_per_op
for mode in write read; do
  for s in tt mc; do
    printf '%-6s %-10s %12s %10s %14s\n' "$mode" "$([ $s = tt ] && echo ttserver || echo memcached)" \
      "$(median "$work/$s-$mode" ops_per_s)" "$(median "$work/$s-$mode" p99_us)" \
      "$(median "$work/$s-$mode" cpu_us_per_op)"
  done
  awk -v a="$(median "$work/tt-$mode" ops_per_s)" -v b="$(median "$work/mc-$mode" ops_per_s)" \
    -v c="$(median "$work/tt-$mode" cpu_us_per_op)" -v d="$(median "$work/mc-$mode" cpu_us_per_op)" \
    -v m="$mode" 'BEGIN { printf "%-6s ratio ttserver/memcached: ops/s %.2f, CPU per request %.2f\n", m, a/b, c/d }'
done
