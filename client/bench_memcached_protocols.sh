#!/usr/bin/env bash
# The memcached-protocol and HTTP benchmark of ttserver against Debian's
# memcached, both started here side by side and measured alternately:
#   1. ttbench over the memcached text protocol (set, then get; 4 connections,
#      100-byte values) against both servers;
#   2. memcslap (libmemcached-tools: set, then get; 4 threads) against both;
#   3. memcaslap (libmemcached-tools' memaslap: 4 threads, 4 connections,
#      64-byte keys starting with control bytes, 100-byte values, 10% sets
#      and 90% gets of what it set) against both; a run with an error reply
#      or a get miss stops the script;
#   4. wrk -c 16 HTTP GET of one 100-byte value against ttserver (memcached
#      has no HTTP: this one is reported alone).
# Prints the median of every figure over the repetitions, with the ratios
# ttserver/memcached of ops/s and of server CPU per request (utime+stime of
# the server process from /proc during the run, divided by its requests).
#
#   client/bench_memcached_protocols.sh [build-dir] [repetitions] [requests-per-run]
#
# Needs: memcached libmemcached-tools wrk (Debian packages). Numbers are only
# comparable within one run. TT_ARGS="-ulog" gives ttserver an update log.
set -euo pipefail
BUILD=${1:-build}
REPS=${2:-5}
REQUESTS=${3:-200000}
THREADS=${THREADS:-4}
CONNS=${CONNS:-4}
TTBENCH="$BUILD/client/ttbench"
for bin in "$TTBENCH" /usr/bin/memcslap /usr/bin/memcaslap /usr/bin/wrk; do
  [ -x "$bin" ] || { echo "missing $bin (build first; apt-get install libmemcached-tools wrk)" >&2; exit 1; }
done
source "$(dirname "$0")/bench_servers.sh"

# cpu_ticks PID → utime+stime of the process in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# ttbench_run NAME PORT PID MODE → appends ttbench's key=value line to $work/ttbench-NAME-MODE
ttbench_run() {
  "$TTBENCH" --host 127.0.0.1 --port "$2" --protocol memcached --mode "$4" --conns "$CONNS" \
    --value-size 100 --requests "$REQUESTS" --server-pid "$3" |
    grep '=' | tail -n 1 >>"$work/ttbench-$1-$4"
}

# memcslap_run NAME PORT PID TEST → appends "ops_per_s=… cpu_us_per_op=…" to $work/memcslap-NAME-TEST
memcslap_run() {
  local per_thread=$((REQUESTS / CONNS)) before after secs
  before=$(cpu_ticks "$3")
  secs=$(memcslap --servers="127.0.0.1:$2" --concurrency="$CONNS" --execute-number="$per_thread" \
    --test="$4" 2>&1 | awk '/^Time to (get|set)/ {print $(NF-1)}')
  after=$(cpu_ticks "$3")
  awk -v n=$((per_thread * CONNS)) -v s="$secs" -v c=$(((after - before) * TICK_US)) \
    'BEGIN { printf "ops_per_s=%.0f cpu_us_per_op=%.2f\n", n / s, c / n }' >>"$work/memcslap-$1-$4"
}

printf 'key\n64 64 1\nvalue\n100 100 1\ncmd\n0 0.1\n1 0.9\n' >"$work/memcaslap.cfg"

# memcaslap_run NAME PORT PID → appends "ops_per_s=… cpu_us_per_op=…" to $work/memcaslap-NAME-mix
memcaslap_run() {
  local before after out errors misses ops tps
  before=$(cpu_ticks "$3")
  out=$(memcaslap -s "127.0.0.1:$2" -T "$THREADS" -c "$CONNS" -x "$REQUESTS" \
    -F "$work/memcaslap.cfg" 2>&1)
  after=$(cpu_ticks "$3")
  # memcaslap exits 0 whatever happened: its error replies are lines starting with '<'.
  errors=$(grep -c '^<' <<<"$out" || true)
  misses=$(awk '/^get_misses:/ {print $2}' <<<"$out")
  if [ "$errors" != 0 ] || [ "$misses" != 0 ]; then
    echo "memcaslap against $1: $errors error replies, get_misses ${misses:-?}" >&2
    echo "$out" | head -n 20 >&2
    exit 1
  fi
  # "Run time: 3.0s Ops: 158053 TPS: 52680 Net_rate: 12.5M/s"
  ops=$(awk '/^Run time:/ {for (i = 1; i < NF; i++) if ($i == "Ops:") print $(i + 1)}' <<<"$out")
  tps=$(awk '/^Run time:/ {for (i = 1; i < NF; i++) if ($i == "TPS:") print $(i + 1)}' <<<"$out")
  awk -v n="$ops" -v t="$tps" -v c=$(((after - before) * TICK_US)) \
    'BEGIN { printf "ops_per_s=%s cpu_us_per_op=%.2f\n", t, c / n }' >>"$work/memcaslap-$1-mix"
}

# wrk_run → appends "ops_per_s=… p99_us=… cpu_us_per_op=…" to $work/wrk-tt
wrk_run() {
  local before after out requests
  before=$(cpu_ticks "$TT_PID")
  out=$(wrk -t 2 -c 16 -d 5s --latency "http://127.0.0.1:$TT_PORT/bench-key")
  after=$(cpu_ticks "$TT_PID")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$out" | awk -v c=$(((after - before) * TICK_US)) -v n="$requests" '
    /Requests\/sec/ {rps = $2}
    $1 == "99%" {v = $2; u = 1; if (v ~ /ms$/) u = 1000; else if (v ~ /us$/) u = 1; else if (v ~ /s$/) u = 1000000;
                 sub(/[a-z]+$/, "", v); p99 = v * u}
    END { printf "ops_per_s=%.0f p99_us=%.0f cpu_us_per_op=%.2f\n", rps, p99, c / n }' >>"$work/wrk-tt"
}

printf 'set bench-key 0 0 100\r\n%0100d\r\nquit\r\n' 0 | python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', $TT_PORT)); s.sendall(sys.stdin.buffer.read())
assert s.recv(100).startswith(b'STORED'), 'ttserver did not store the HTTP benchmark key'"

for rep in $(seq 1 "$REPS"); do
  for mode in write read; do
    ttbench_run tt "$TT_PORT" "$TT_PID" "$mode"
    ttbench_run mc "$MC_PORT" "$MC_PID" "$mode"
  done
  for test in set get; do
    memcslap_run tt "$TT_PORT" "$TT_PID" "$test"
    memcslap_run mc "$MC_PORT" "$MC_PID" "$test"
  done
  memcaslap_run tt "$TT_PORT" "$TT_PID"
  memcaslap_run mc "$MC_PORT" "$MC_PID"
  wrk_run
  echo "repetition $rep of $REPS done" >&2
done

# compare TOOL MODE: one line per server and the ratios
compare() {
  local tt="$work/$1-tt-$2" mc="$work/$1-mc-$2"
  printf '%-9s %-6s %-10s %12s %14s\n' "$1" "$2" ttserver "$(median "$tt" ops_per_s)" \
    "$(median "$tt" cpu_us_per_op)"
  printf '%-9s %-6s %-10s %12s %14s\n' "$1" "$2" memcached "$(median "$mc" ops_per_s)" \
    "$(median "$mc" cpu_us_per_op)"
  awk -v a="$(median "$tt" ops_per_s)" -v b="$(median "$mc" ops_per_s)" \
    -v c="$(median "$tt" cpu_us_per_op)" -v d="$(median "$mc" cpu_us_per_op)" -v t="$1 $2" \
    'BEGIN { printf "%-16s ratio ttserver/memcached: ops/s %.2f, CPU per request %.2f\n", t, a/b, c/d }'
}

printf '%-9s %-6s %-10s %12s %14s\n' tool test server ops_per_s cpu_us_per_op
compare ttbench write
compare ttbench read
compare memcslap set
compare memcslap get
compare memcaslap mix
printf '%-9s %-6s %-10s %12s %14s   p99 %s us\n' wrk http-get ttserver "$(median "$work/wrk-tt" ops_per_s)" \
  "$(median "$work/wrk-tt" cpu_us_per_op)" "$(median "$work/wrk-tt" p99_us)"
