#!/usr/bin/env bash
# Replication catch-up rate: a master (update log, sid 1) is filled with
# RECORDS puts by ttbench (binary protocol, 4 connections pipelining 64
# requests, 100-byte values) and a last marker record; then a brand-new slave
# (sid 2) is started and the time until the marker is readable on it is
# measured: it has then applied every record before it. Prints records/s per
# repetition and the median.
#
# MODE=snapshot (default): the new slave bootstraps from the master's
# snapshot, then the log from there (what a new slave of ours does).
# MODE=log: the slave starts from position 1 (an -rts file holding "1"), so
# it applies the whole update log record by record (what a slave that is
# behind does, and any slave of an original master).
#
#   [MODE=snapshot|log] client/bench_replication.sh [build-dir] [repetitions] [records]
set -euo pipefail
BUILD=${1:-build}
REPS=${2:-3}
RECORDS=${3:-1000000}
MODE=${MODE:-snapshot}
case "$MODE" in snapshot | log) ;; *) echo "MODE must be snapshot or log" >&2; exit 2 ;; esac
TTSERVER="$BUILD/ttserver/ttserver"
TTBENCH="$BUILD/client/ttbench"
TCRMGR="$BUILD/client/tcrmgr"
for bin in "$TTSERVER" "$TTBENCH" "$TCRMGR"; do
  [ -x "$bin" ] || { echo "missing $bin (build first)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "$0")/bench_common.sh"
TUNING='#msiz=1g#bnum=4000000'

# wait_port PORT: until something accepts connections there
wait_port() {
  for _ in $(seq 1 100); do
    "$TCRMGR" inform -port "$1" 127.0.0.1 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  exit 1
}

MASTER_PORT=$(free_port)
mkdir "$work/master-ulog"
"$TTSERVER" -host 127.0.0.1 -port "$MASTER_PORT" -ulog "$work/master-ulog" -sid 1 \
  -log "$work/master.log" "$work/master.kch$TUNING" &
pids+=($!)
wait_port "$MASTER_PORT"
"$TTBENCH" --port "$MASTER_PORT" --protocol tt --mode write --conns 4 --pipeline 64 --value-size 100 \
  --requests "$RECORDS" >/dev/null
"$TCRMGR" put -port "$MASTER_PORT" 127.0.0.1 bench-marker done

rates=()
for rep in $(seq 1 "$REPS"); do
  slave_port=$(free_port)
  mkdir "$work/slave$rep-ulog"
  [ "$MODE" = log ] && echo 1 >"$work/slave$rep.rts"
  start=$(date +%s.%N)
  "$TTSERVER" -host 127.0.0.1 -port "$slave_port" -ulog "$work/slave$rep-ulog" -sid 2 \
    -mhost 127.0.0.1 -mport "$MASTER_PORT" -rts "$work/slave$rep.rts" \
    -log "$work/slave$rep.log" "$work/slave$rep.kch$TUNING" &
  slave_pid=$!
  pids+=("$slave_pid")
  until [ "$("$TCRMGR" get -port "$slave_port" 127.0.0.1 bench-marker 2>/dev/null)" = done ]; do
    sleep 0.05
  done
  end=$(date +%s.%N)
  rate=$(awk -v n=$((RECORDS + 1)) -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')
  echo "repetition $rep ($MODE): $((RECORDS + 1)) records in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s = $rate records/s (slave start-up included)"
  rates+=("$rate")
  kill "$slave_pid"
  wait "$slave_pid" 2>/dev/null || true
done
printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print "median catch-up rate: " a[int((NR+1)/2)] " records/s"}'
