#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The contact string of a test PM holds only a loopback address (127.x or
# ::1), for every OFI provider the tests use: with FI_TCP_IFACE=lo and
# FI_SOCKETS_IFACE=lo the PM must not publish the machine's other interfaces
# (tests must not reach beyond the host).
#   check_pm_loopback.sh MAESTRO_PM
set -uo pipefail
pm=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/contact_addr.sh"
export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo MSTRO_TRANSPORT_DEFAULT=OFI
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
for prov in "tcp;ofi_rxm" sockets; do
  exec 3< <(FI_PROVIDER=$prov exec "$pm" --workflow "loopback-$$" 2>/dev/null)
  pid=$!
  info=
  read -t 30 -d ';' -u 3 _ && read -t 5 -d ';' -u 3 info
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=
  exec 3<&-
  [ -n "$info" ] || { echo "FAIL: $prov: no contact string"; exit 1; }
  addr=$(contact_addr "$info") || { echo "FAIL: $prov: cannot decode the contact string $info"; exit 1; }
  case "${addr#* }" in
    127.*|0000:0000:0000:0000:0000:0000:0000:0001) echo "ok: $prov: $addr" ;;
    *) echo "FAIL: $prov: the PM's contact string holds $addr, not a loopback address"; exit 1 ;;
  esac
done
echo PASS
