#!/usr/bin/env bash
# Stops the gateway scripts/rgw/start.sh started, and only its daemons (by their pid files,
# checking each pid is still a Ceph daemon, not a recycled number).
#
#   RGW_LEASE=<pid>[-tag] stop.sh   drops that lease; stops the daemons only if no other live lease
#                             remains (another test run still using the gateway keeps it).
#   stop.sh                   (no lease) or stop.sh --force: stops them regardless.
# State is thrown away on the next start, so the daemons are killed outright (SIGKILL).
set -u
HOME_DIR=${RGW_HOME:-${TMPDIR:-/tmp}/rvfjs-rgw}
RUN=$HOME_DIR/state/run
LEASES=$HOME_DIR/leases
[ -d "$HOME_DIR" ] || exit 0

if [ -z "${RGW_LOCKED:-}" ]; then # start.sh calls us while it holds the lock already
  exec 9>"$HOME_DIR/lock"
  flock -w 120 9 || { echo "[rgw stop] $HOME_DIR/lock is held" >&2; exit 1; }
fi

if [ "${1:-}" != --force ] && [ -n "${RGW_LEASE:-}" ]; then
  rm -f "$LEASES/$RGW_LEASE"
  for f in "$LEASES"/*; do
    [ -e "$f" ] || continue
    # A lease whose process is gone (a killed test run) holds nothing.
    holder=$(basename "$f")
    holder=${holder%%-*} # leases are <pid> or <pid>-<tag>
    if kill -0 "$holder" 2>/dev/null; then
      echo "[rgw stop] still leased by pid $holder: left running" >&2
      exit 0
    fi
    rm -f "$f"
  done
fi

ceph_daemon() { # a live, non-zombie ceph-mon, ceph-osd or radosgw
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ] && grep -qE '^(ceph-mon|ceph-osd|radosgw)$' "/proc/$1/comm" 2>/dev/null
}
for name in client.rgw osd.0 mon.a; do
  f=$RUN/$name.pid
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  if ceph_daemon "$pid"; then
    echo "[rgw stop] $name ($pid)" >&2
    kill -KILL "$pid"
    for _ in $(seq 1 100); do ceph_daemon "$pid" || break; sleep 0.02; done
  fi
  rm -f "$f"
done
rm -f "$LEASES"/*
exit 0
