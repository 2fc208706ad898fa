# Sourced by the benchmark scripts: starts ttserver (on-disk hash database,
# $THREADS worker threads) and Debian's memcached (-t $THREADS, -m 1024) on
# free loopback ports in a scratch directory that is removed, with both
# servers, when the script exits. Sets work, TT_PORT, TT_PID, MC_PORT, MC_PID
# and defines median FILE KEY (bench_common.sh). REQUIRES: BUILD and THREADS set; TT_ARGS="-ulog"
# gives ttserver an update log (sid 1). The database is bench.kch$TT_TUNING:
# by default a 1 GiB memory map (memcached gets 1 GiB too) and 4M buckets,
# since Kyoto Cabinet's default 64 MiB map makes every access beyond it a
# pread/pwrite once the benchmarks' random keys have grown the file.
for bin in "$BUILD/ttserver/ttserver" /usr/bin/memcached; do
  [ -x "$bin" ] || { echo "missing $bin (build first; apt-get install memcached)" >&2; exit 1; }
done

work=$(mktemp -d)
source "$(dirname "${BASH_SOURCE[0]}")/bench_common.sh"
TT_PORT=$(free_port)
MC_PORT=$(free_port)
TT_EXTRA=()
if [ "${TT_ARGS:-}" = "-ulog" ]; then
  mkdir "$work/ulog"
  TT_EXTRA=(-ulog "$work/ulog" -sid 1)
fi
"$BUILD/ttserver/ttserver" -host 127.0.0.1 -port "$TT_PORT" -thnum "$THREADS" -log "$work/tt.log" \
  "${TT_EXTRA[@]}" "$work/bench.kch${TT_TUNING-#msiz=1g#bnum=4000000}" &
TT_PID=$!
MC_USER=(); [ "$(id -u)" -eq 0 ] && MC_USER=(-u nobody)
memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$MC_PORT" -U 0 -t "$THREADS" -m 1024 &
MC_PID=$!
trap 'kill $TT_PID $MC_PID 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
sleep 0.5
