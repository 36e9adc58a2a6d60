#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Starts a throwaway single-node Ceph cluster (one monitor, one OSD with the
# memstore backend, no authentication, pool size 1) on 127.0.0.1 with a random
# free port, everything under DIR, and prints the path of its ceph.conf.
#
#   scripts/ceph-start.sh DIR [POOL]      (POOL default: maestro; created)
#   scripts/ceph-stop.sh DIR              stops it again
#
# The daemons fork into the background; ceph-stop.sh finds them by their
# "-c DIR/ceph.conf" argument. Needs ceph-mon, ceph-osd, ceph and monmaptool
# (Debian: ceph-mon ceph-osd ceph-common). Diagnostics go to stderr, the
# daemons' logs to DIR/log/. Exit status: 0 started, 1 failed (stopped again),
# 2 usage or missing programs.
set -uo pipefail

usage() { echo "usage: $0 DIR [POOL]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
dir=$1
pool=${2:-maestro}
here=$(cd "$(dirname "$0")" && pwd)
memstore_bytes=${MSTRO_CEPH_MEMSTORE_BYTES:-1073741824}
start_timeout=${MSTRO_CEPH_START_TIMEOUT:-60}

for p in ceph-mon ceph-osd ceph monmaptool; do
  command -v "$p" >/dev/null || { echo "ceph-start: $p not found (install ceph-mon ceph-osd ceph-common)" >&2; exit 2; }
done

mkdir -p "$dir" || exit 2
dir=$(cd "$dir" && pwd)
conf=$dir/ceph.conf
if [ -f "$conf" ] && pgrep -f -- "-c $conf" >/dev/null; then
  echo "ceph-start: a cluster of $conf is already running; stop it first ($here/ceph-stop.sh $dir)" >&2
  exit 1
fi
rm -rf "$dir/mon" "$dir/osd" "$dir/run" "$dir/log" "$dir/monmap"
mkdir -p "$dir/mon" "$dir/osd" "$dir/run" "$dir/log"
touch "$dir/.mstro-ceph"

# A port nobody listens on, avoiding the ephemeral range's busy ends.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 29000))
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

fail() {
  echo "ceph-start: $*" >&2
  for f in "$dir"/log/start.log "$dir"/log/mkfs.log "$dir"/log/ceph-osd.0.log "$dir"/log/ceph-mon.a.log; do
    [ -s "$f" ] || continue
    echo "--- last lines of $f:" >&2
    tail -n 15 "$f" | cut -c1-300 >&2
  done
  echo "ceph-start: logs in $dir/log/" >&2
  "$here/ceph-stop.sh" --keep "$dir" >/dev/null 2>&1
  exit 1
}

write_conf() {
  cat >"$conf" <<EOC
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$1
mon initial members = a
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
osd objectstore = memstore
memstore device bytes = $memstore_bytes
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
osd crush chooseleaf type = 0
ms bind ipv6 = false
ms bind msgr2 = false
ms bind port min = $(($1 + 1))
ms bind port max = $(($1 + 400))
run dir = $dir/run
admin socket = $dir/run/\$cluster-\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$cluster-\$name.log
mon cluster log file = $dir/log/cluster.log
crash dir = $dir/log
client mount timeout = 15
rados mon op timeout = 15
rados osd op timeout = 30

[mon.a]
mon data = $dir/mon

[osd.0]
osd data = $dir/osd
EOC
}

fsid=$(cat /proc/sys/kernel/random/uuid)
started=0
for attempt in 1 2 3 4 5; do
  port=$(pick_port) || fail "no free port found"
  write_conf "$port"
  rm -rf "$dir/mon" && mkdir -p "$dir/mon"
  monmaptool --create --clobber --add a "v1:127.0.0.1:$port" --fsid "$fsid" "$dir/monmap" >/dev/null 2>&1 \
    || fail "monmaptool failed"
  ceph-mon --mkfs -i a --monmap "$dir/monmap" -c "$conf" >>"$dir/log/mkfs.log" 2>&1 || fail "ceph-mon --mkfs failed"
  if ceph-mon -i a -c "$conf" >>"$dir/log/start.log" 2>&1; then
    # the monitor forked; is it serving on our port?
    for _ in $(seq 50); do
      if ! port_free "$port"; then started=1; break; fi
      sleep 0.1
    done
  fi
  [ $started = 1 ] && break
  echo "ceph-start: monitor did not come up on port $port (attempt $attempt); retrying" >&2
  "$here/ceph-stop.sh" --keep "$dir" >/dev/null 2>&1
done
[ $started = 1 ] || fail "the monitor did not start"

deadline=$((SECONDS + start_timeout))
cx() { timeout 20 ceph -c "$conf" --connect-timeout 10 "$@"; }
until cx mon stat >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || fail "the monitor does not answer"
  sleep 0.3
done
id=$(cx osd create 2>>"$dir/log/start.log") || fail "ceph osd create failed"
[ "$id" = 0 ] || fail "unexpected OSD id '$id'"
ceph-osd --mkfs -i 0 -c "$conf" >>"$dir/log/mkfs.log" 2>&1 || fail "ceph-osd --mkfs failed"
# ceph-osd sometimes fails its first monitor command at start ("wrong fsid",
# a race in its monitor client); starting it again works.
osd_started=0
for _ in 1 2 3 4 5; do
  if ceph-osd -i 0 -c "$conf" >>"$dir/log/start.log" 2>&1; then osd_started=1; break; fi
  echo "ceph-start: ceph-osd did not start; retrying" >>"$dir/log/start.log"
  sleep 0.5
done
[ $osd_started = 1 ] || fail "ceph-osd failed to start"
until cx osd stat 2>/dev/null | grep -q "1 up"; do
  [ $SECONDS -lt $deadline ] || fail "the OSD did not come up within ${start_timeout}s"
  sleep 0.3
done
cx osd pool create "$pool" 8 >>"$dir/log/start.log" 2>&1 || fail "creating pool $pool failed"
cx osd pool set "$pool" size 1 --yes-i-really-mean-it >>"$dir/log/start.log" 2>&1 || true
echo "$conf"
