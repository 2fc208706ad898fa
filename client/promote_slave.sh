#!/usr/bin/env bash
# Promotes the slave of a dead master in a twemproxy pool written by
# client/twemproxy_config.sh (README.md "Failover"): stops the slave's
# replication (tcrmgr setmst without a master), points the pool's shard at
# the slave in the proxy's configuration (same shard name, so the shard keeps
# its keys), checks the file with nutcracker -t, and restarts the proxy with
# --restart's command if given (else says to).
#
# usage: client/promote_slave.sh --config FILE --shard NAME --slave HOST:PORT
#                                [--restart COMMAND] [--tcrmgr PATH]
set -euo pipefail

usage() {
  sed -n '/^# usage:/,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}
fail() { echo "promote_slave.sh: $*" >&2; exit 1; }

config= shard= slave= restart= tcrmgr=${TCRMGR:-tcrmgr}
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=${2:?}; shift 2 ;;
    --shard) shard=${2:?}; shift 2 ;;
    --slave) slave=${2:?}; shift 2 ;;
    --restart) restart=${2:?}; shift 2 ;;
    --tcrmgr) tcrmgr=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "promote_slave.sh: unknown argument $1" >&2; usage ;;
  esac
done
[ -n "$config" ] && [ -n "$shard" ] && [ -n "$slave" ] || usage
[[ "$slave" == *:* ]] || fail "--slave must be HOST:PORT, not '$slave'"
[ -f "$config" ] || fail "no configuration file $config"
grep -Eq "^ +- [^ ]+ $shard\$" "$config" || fail "$config has no server named $shard"
host=${slave%:*}
port=${slave##*:}

# 1. The slave stops following its dead master and keeps what it applied.
"$tcrmgr" setmst -port "$port" "$host" || fail "tcrmgr setmst on $slave failed: is it up?"
echo "promote_slave.sh: $slave no longer replicates"

# 2. The shard's name stays, its address becomes the slave's.
tmp="$config.promote.$$"
sed -E "s|^( +- )[^ ]+( $shard)\$|\\1$slave:1\\2|" "$config" >"$tmp"
if command -v nutcracker >/dev/null || [ -x /usr/sbin/nutcracker ]; then
  nutcracker_bin=$(command -v nutcracker || echo /usr/sbin/nutcracker)
  "$nutcracker_bin" -t -c "$tmp" >/dev/null 2>&1 || { rm -f "$tmp"; fail "the new configuration does not check"; }
fi
mv "$tmp" "$config"
echo "promote_slave.sh: $config: shard $shard is now $slave"

# 3. twemproxy reads its configuration only when it starts.
if [ -n "$restart" ]; then
  sh -c "$restart" || fail "the restart command failed: $restart"
  echo "promote_slave.sh: proxy restarted"
else
  echo "promote_slave.sh: now restart twemproxy (e.g. systemctl restart nutcracker)"
fi
