#!/usr/bin/env bash
# Writes the twemproxy (nutcracker) configuration of a pool of ttserver
# shards to standard output: ketama consistent hashing over the shards' names
# (not their addresses, so that a shard keeps its keys when its slave is
# promoted in its place: see README.md "Scale-out"), the memcached protocol
# (or with --redis the Redis protocol), and no ejection of a failing host unless --eject is given: ejection hashes
# a dead shard's keys to the other shards, where writes then hide behind the
# shard's own values once it is back (twemproxy's "data partitioning").
#
# usage: client/twemproxy_config.sh [options] NAME=HOST:PORT...
#   --listen ADDR:PORT    where twemproxy serves clients (default 127.0.0.1:22121)
#   --pool NAME           the pool's name (default ttserver)
#   --timeout MS          wait for a server's reply at most this long (default 1000)
#   --redis               clients speak the Redis protocol (RESP) to the proxy, which
#                         speaks it to the shards; default: memcached
#   --eject               eject a server that fails (auto_eject_hosts): for a cache,
#                         not a database; without it, requests for a down shard fail
#   --failure-limit N     with --eject: after N failures in a row (default 2)
#   --retry-timeout MS    with --eject: try it again after this long (default 30000)
# Check the output with `nutcracker -t -c FILE`.
set -euo pipefail

usage() {
  sed -n '/^# usage:/,/^# Check/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

listen=127.0.0.1:22121 pool=ttserver timeout=1000 failure_limit=2 retry_timeout=30000 eject=false
redis=false
shards=()
while [ $# -gt 0 ]; do
  case "$1" in
    --listen) listen=${2:?}; shift 2 ;;
    --pool) pool=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --failure-limit) failure_limit=${2:?}; shift 2 ;;
    --retry-timeout) retry_timeout=${2:?}; shift 2 ;;
    --eject) eject=true; shift ;;
    --redis) redis=true; shift ;;
    -h | --help) usage ;;
    -*) echo "twemproxy_config.sh: unknown option $1" >&2; usage ;;
    *=*:*) shards+=("$1"); shift ;;
    *) echo "twemproxy_config.sh: '$1' is not NAME=HOST:PORT" >&2; usage ;;
  esac
done
[ ${#shards[@]} -gt 0 ] || { echo "twemproxy_config.sh: no shard given" >&2; usage; }
for number in "$timeout" "$failure_limit" "$retry_timeout"; do
  [[ "$number" =~ ^[0-9]+$ ]] || { echo "twemproxy_config.sh: '$number' is not a number" >&2; exit 2; }
done

cat <<YAML
# twemproxy pool of ttserver shards, written by client/twemproxy_config.sh.
$pool:
  listen: $listen
  hash: fnv1a_64
  distribution: ketama
  redis: $redis
  timeout: $timeout
  preconnect: true
  auto_eject_hosts: $eject
  server_failure_limit: $failure_limit
  server_retry_timeout: $retry_timeout
  servers:
YAML
for shard in "${shards[@]}"; do
  name=${shard%%=*}
  address=${shard#*=}
  [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "twemproxy_config.sh: bad shard name '$name'" >&2; exit 2; }
  echo "    - $address:1 $name"
done
