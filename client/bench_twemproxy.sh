#!/usr/bin/env bash
# Throughput through twemproxy against direct access: three ttserver masters
# (on-disk hash databases with update logs) behind nutcracker configured by
# client/twemproxy_config.sh, and ttbench's memcached-protocol writes and
# reads (4 connections, 100-byte values) sent alternately through the proxy
# and straight to the first master. Prints the medians of ops/s and p99.
#
#   client/bench_twemproxy.sh [build-dir] [repetitions] [requests-per-run]
#
# Numbers are only comparable within one run (and a 2-core machine runs the
# proxy, three servers and the load generator on the same cores).
set -euo pipefail
BUILD=${1:-build}
REPS=${2:-5}
REQUESTS=${3:-200000}
CONNS=${CONNS:-4}
TTBENCH="$BUILD/client/ttbench"
for bin in "$TTBENCH" "$BUILD/ttserver/ttserver" /usr/sbin/nutcracker; do
  [ -x "$bin" ] || { echo "missing $bin (build first; apt-get install nutcracker)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "$0")/bench_common.sh"
shards=()
for n in 1 2 3; do
  port=$(free_port)
  mkdir "$work/ulog$n"
  "$BUILD/ttserver/ttserver" -host 127.0.0.1 -port "$port" -log "$work/tt$n.log" \
    -ulog "$work/ulog$n" -sid "$n" "$work/bench$n.kch#msiz=1g#bnum=4000000" &
  pids+=($!)
  shards+=("shard$n=127.0.0.1:$port")
  [ "$n" = 1 ] && DIRECT_PORT=$port
done
PROXY_PORT=$(free_port)
"$(dirname "$0")/twemproxy_config.sh" --listen "127.0.0.1:$PROXY_PORT" "${shards[@]}" >"$work/nutcracker.yml"
/usr/sbin/nutcracker -c "$work/nutcracker.yml" -s "$(free_port)" -o "$work/nutcracker.log" &
pids+=($!)
sleep 1

# run NAME PORT MODE → appends ttbench's key=value line to $work/NAME-MODE
run() {
  "$TTBENCH" --host 127.0.0.1 --port "$2" --protocol memcached --mode "$3" --conns "$CONNS" \
    --value-size 100 --requests "$REQUESTS" | grep '=' | tail -n 1 >>"$work/$1-$3"
}

for rep in $(seq 1 "$REPS"); do
  for mode in write read; do
    run proxy "$PROXY_PORT" "$mode"
    run direct "$DIRECT_PORT" "$mode"
  done
  echo "repetition $rep of $REPS done" >&2
done

printf '%-6s %-22s %12s %10s\n' mode path ops_per_s p99_us
for mode in write read; do
  for s in proxy direct; do
    printf '%-6s %-22s %12s %10s\n' "$mode" \
      "$([ $s = proxy ] && echo 'twemproxy, 3 masters' || echo 'direct, 1 master')" \
      "$(median "$work/$s-$mode" ops_per_s)" "$(median "$work/$s-$mode" p99_us)"
  done
  awk -v a="$(median "$work/proxy-$mode" ops_per_s)" -v b="$(median "$work/direct-$mode" ops_per_s)" \
    -v m="$mode" 'BEGIN { printf "%-6s ratio proxy/direct: ops/s %.2f\n", m, a/b }'
done
