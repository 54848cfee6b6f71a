#!/usr/bin/env bash
# Starts a disposable S3 server on 127.0.0.1 for the tests and benchmarks: Ceph RADOS Gateway
# (Debian's Ceph 16) over a one-node cluster, one monitor and one OSD that keeps its data in
# RAM (memstore). No systemd, no mgr, no cephx. Prints the endpoint and keys as KEY=value lines.
#
# Several users (test runs in different packages, a benchmark) may want the gateway at once,
# and the OSD's ports are fixed, so there is only ever one instance:
#  - starts are serialized with flock, and a start that finds the gateway up reuses it;
#  - with RGW_LEASE=<pid> the caller registers a lease; stop.sh with the same RGW_LEASE drops
#    it and stops the daemons only when no live lease is left (see stop.sh).
# The daemons are started with fd 9 closed: they would otherwise hold the lock for life.
# A start that finds nothing running wipes the previous state and begins afresh (~1.5 s).
#
# Environment: RGW_HOME (default $TMPDIR/rvfjs-rgw), RGW_PORT (7480), RGW_MON_PORT (3300, and
# RGW_MON_V1_PORT 6789), S3_ACCESS_KEY, S3_SECRET_KEY, RGW_MEMSTORE_BYTES (2 GiB),
# RGW_START_TIMEOUT (seconds, 120), RGW_LEASE (a pid, or <pid>-<tag> for several leases of one process).
set -euo pipefail
HOME_DIR=${RGW_HOME:-${TMPDIR:-/tmp}/rvfjs-rgw}
STATE=$HOME_DIR/state
RUN=$STATE/run
LEASES=$HOME_DIR/leases
PORT=${RGW_PORT:-7480}
MON_PORT=${RGW_MON_PORT:-3300}
MON_V1_PORT=${RGW_MON_V1_PORT:-6789}
ACCESS_KEY=${S3_ACCESS_KEY:-testaccesskey}
SECRET_KEY=${S3_SECRET_KEY:-testsecretkey}
MEMSTORE_BYTES=${RGW_MEMSTORE_BYTES:-2147483648}
TIMEOUT=${RGW_START_TIMEOUT:-120}
ENDPOINT=http://127.0.0.1:$PORT
export CEPH_CONF=$STATE/ceph.conf
HERE=$(cd "$(dirname "$0")" && pwd)

say() { echo "[rgw start] +${SECONDS}s $*" >&2; }
die() { say "$*"; exit 1; }

for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph flock node; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool is not installed: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common (as root)"
done

mkdir -p "$HOME_DIR" "$LEASES"
# One start (or stop) at a time: two test runs starting together must not both wipe and boot.
exec 9>"$HOME_DIR/lock"
flock -w "$TIMEOUT" 9 || die "another start or stop held $HOME_DIR/lock for ${TIMEOUT}s"

# A daemon is ours and running when its pid file names a live process that is not a zombie
# (a killed daemon stays Z until its parent reaps it, and kill -0 still succeeds on it).
running() {
  local pid state
  [ -s "$RUN/$1.pid" ] || return 1
  pid=$(cat "$RUN/$1.pid")
  state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ]
}
answers() { # the gateway answers HTTP (any status below 500)
  node -e "require('http').get('$ENDPOINT/',r=>process.exit(r.statusCode<500?0:1)).on('error',()=>process.exit(1)).setTimeout(2000,()=>process.exit(1))" 2>/dev/null
}
await() { # daemon, what, command...: polls the command until it succeeds or the daemon dies
  local daemon=$1 what=$2 t0=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - t0 > TIMEOUT)) || { [ -s "$RUN/$daemon.pid" ] && ! running "$daemon"; }; then
      say "gave up waiting for $what; the end of its log:"
      tail -n 20 "$STATE/log/$daemon.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}
lease() { [ -z "${RGW_LEASE:-}" ] || : >"$LEASES/$RGW_LEASE"; }
report() { printf 'S3_ENDPOINT=%s\nS3_ACCESS_KEY=%s\nS3_SECRET_KEY=%s\nS3_REGION=us-east-1\n' "$ENDPOINT" "$ACCESS_KEY" "$SECRET_KEY"; }

if running mon.a && running osd.0 && running client.rgw && answers; then
  lease
  say "already running on $ENDPOINT"
  report
  exit 0
fi

# Nothing (whole) is running: whatever is left of an earlier instance goes, leases included.
RGW_LOCKED=1 "$HERE/stop.sh" --force >/dev/null 2>&1 || true
rm -f "$LEASES"/*
answers && die "something else answers on $ENDPOINT: set RGW_PORT"
rm -rf "$STATE"
mkdir -p "$RUN" "$STATE/log" "$STATE/mon.a" "$STATE/osd.0" "$STATE/rgw" "$STATE/crash"
FSID=$(cat /proc/sys/kernel/random/uuid)
MON_ADDR="[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_V1_PORT]"
PER_DAEMON="pid file = $RUN/\$name.pid
admin socket = $RUN/\$name.asok
log file = $STATE/log/\$name.log"

# One replica, a few placement groups, pools that may be deleted, and no warnings about any
# of that: it is a throwaway cluster on one machine.
cat >"$CEPH_CONF" <<CONF
[global]
fsid = $FSID
mon host = $MON_ADDR
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
mon warn on insecure global id reclaim allowed = false
client mount timeout = 60
run dir = $RUN
crash dir = $STATE/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
rgw data = $STATE/rgw
[mon]
paxos propose interval = 0.05
mon data = $STATE/\$name
mon cluster log file = default=$STATE/log/ceph.\$channel.log cluster=$STATE/log/ceph.log
$PER_DAEMON
[osd]
osd data = $STATE/\$name
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
$PER_DAEMON
[client.rgw]
# Without these radosgw still tries cephx and secure mode and fails with error -13.
auth client required = none
ms mon client mode = crc
# Without tcp_nodelay every request waits ~40 ms for delayed ACKs.
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw thread pool size = 64
$PER_DAEMON
CONF

say "monitor"
monmaptool --create --clobber --fsid "$FSID" --addv a "$MON_ADDR" "$STATE/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$STATE/monmap"
ceph-mon -i a 2>>"$STATE/log/startup.err" 9>&-
await mon.a "the monitor" ceph --connect-timeout 2 mon stat
say "osd"
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
ceph osd new "$OSD_UUID" 0 >/dev/null
ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>>"$STATE/log/startup.err"
ceph-osd -i 0 2>>"$STATE/log/startup.err" 9>&-
await osd.0 "the osd to come up" bash -c "ceph osd dump 2>/dev/null | grep -q '^osd.0 up'"
say "user"
radosgw-admin user create --uid=rvfjs --display-name=rvfjs \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
say "gateway"
radosgw -n client.rgw 2>>"$STATE/log/startup.err" 9>&-
await client.rgw "the gateway on $ENDPOINT" answers
lease
say "up on $ENDPOINT"
report
