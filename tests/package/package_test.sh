#!/usr/bin/env bash
# The Debian package test (./dev.sh test package): checks the package built by
# ./dev.sh package with lintian, installs it on this machine with dpkg -i,
# verifies the systemd unit, runs the service's command line as systemd would
# (user ttserver, /etc/default/ttserver's options, a notify socket) until it
# reports READY=1, stores and reads a record with the installed tcrmgr, stops
# it with SIGTERM, then purges the package and checks that the data stayed.
# Needs root (dpkg -i). Usage: package_test.sh PATH.deb
set -euo pipefail
deb=$1
fail() { echo "package_test: FAILED: $*" >&2; exit 1; }
step() { echo "package_test: $*"; }

[ "$(id -u)" -eq 0 ] || fail "run as root: the test installs the package with dpkg -i"
if [ -e /var/lib/ttserver ]; then
  fail "/var/lib/ttserver exists: the test would use and then delete that directory"
fi
if dpkg-query -W ttserver >/dev/null 2>&1; then
  fail "a ttserver package is installed already; remove it first (dpkg --purge ttserver)"
fi

step "lintian $deb"
# Errors and warnings fail the test (none is overridden).
lintian --fail-on error,warning "$deb" || fail "lintian found errors or warnings"

cleanup() {
  [ -n "${server_pid:-}" ] && kill -9 "$server_pid" 2>/dev/null || true
  [ -n "${notify_pid:-}" ] && kill "$notify_pid" 2>/dev/null || true
  dpkg --purge ttserver >/dev/null 2>&1 || true
  rm -rf /var/lib/ttserver "${work:-/nonexistent}"
}
trap cleanup EXIT
work=$(mktemp -d)

step "dpkg -i"
dpkg -i "$deb" || fail "dpkg -i $deb"
version=$(/usr/bin/ttserver --version) || fail "the installed ttserver --version failed"
step "installed: $version"
for tool in tcrmgr ttulmgr ttbench tttail; do
  [ -x "/usr/bin/$tool" ] || fail "/usr/bin/$tool is not installed"
  man -w "$tool" >/dev/null 2>&1 || [ -f "/usr/share/man/man1/$tool.1.gz" ] || fail "no man page for $tool"
done
getent passwd ttserver >/dev/null || fail "postinst did not create the ttserver user"

step "systemd-analyze verify"
systemd-analyze verify /lib/systemd/system/ttserver.service || fail "the unit does not verify"

step "the service's command line, as systemd runs it"
# What StateDirectory= and LogsDirectory= would create.
install -d -o ttserver -g ttserver /var/lib/ttserver /var/log/ttserver
# shellcheck disable=SC1091
. /etc/default/ttserver
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
opts=${TTSERVER_OPTS/-port 1978/-port $port}
# A notify socket like systemd's, which prints each message it gets.
python3 -u - "$work/notify" >"$work/notify.log" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
while True:
    print(s.recv(4096).decode(), flush=True)
PY
notify_pid=$!
for _ in $(seq 100); do [ -S "$work/notify" ] && break; sleep 0.1; done
chmod 755 "$work"
# shellcheck disable=SC2086
(cd /var/lib/ttserver && NOTIFY_SOCKET=$work/notify exec setpriv --reuid=ttserver \
  --regid=ttserver --init-groups /usr/bin/ttserver $opts) &
server_pid=$!
for _ in $(seq 300); do grep -q 'READY=1' "$work/notify.log" && break; sleep 0.1; done
grep -q 'READY=1' "$work/notify.log" || fail "no READY=1 from the service (log: $(tail -5 /var/log/ttserver/ttserver.log 2>/dev/null))"
/usr/bin/tcrmgr put -port "$port" 127.0.0.1 packaged yes || fail "tcrmgr put"
[ "$(/usr/bin/tcrmgr get -port "$port" 127.0.0.1 packaged)" = yes ] || fail "tcrmgr get"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
[ "$status" -eq 0 ] || fail "the service exited with status $status after SIGTERM"
grep -q 'STOPPING=1' "$work/notify.log" || fail "no STOPPING=1 from the service"
[ -s /var/lib/ttserver/casket.kch ] || fail "no database in /var/lib/ttserver"
ls /var/lib/ttserver/ulog/*.ulog >/dev/null 2>&1 || fail "no update log in /var/lib/ttserver/ulog"

step "dpkg --purge"
dpkg --purge ttserver || fail "dpkg --purge"
[ -s /var/lib/ttserver/casket.kch ] || fail "purge removed the database"
[ ! -e /usr/bin/ttserver ] || fail "purge left /usr/bin/ttserver"
step "passed"
