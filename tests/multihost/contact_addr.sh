# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Sourced by the multihost checks: the address in a PM contact string.
#   contact_addr "mpm1:<secret>:<base64>"  ->  prints "ofi:<provider> <address>"
# The third field is base64 of "ofi:<provider>:<hex of the endpoint's
# sockaddr>" (sockaddr_in: family 2, port, IPv4; sockaddr_in6: family 10,
# port, flow info, IPv6). Returns 1 for anything else.
contact_addr() {
  local b64=${1##*:} raw prov hex fam
  while [ $((${#b64} % 4)) -ne 0 ]; do b64="$b64="; done # the PM leaves out the padding
  raw=$(printf '%s' "$b64" | base64 -d 2>/dev/null) || return 1
  case "$raw" in ofi:*:*) ;; *) return 1 ;; esac
  prov=${raw#ofi:}
  prov=${prov%%:*}
  hex=${raw##*:}
  fam=$((16#${hex:2:2}${hex:0:2}))
  if [ "$fam" = 2 ] && [ ${#hex} -ge 16 ]; then
    printf 'ofi:%s %d.%d.%d.%d\n' "$prov" $((16#${hex:8:2})) $((16#${hex:10:2})) \
      $((16#${hex:12:2})) $((16#${hex:14:2}))
  elif [ "$fam" = 10 ] && [ ${#hex} -ge 48 ]; then
    local a=() i
    for i in 0 4 8 12 16 20 24 28; do a+=("${hex:$((16 + i)):4}"); done
    printf 'ofi:%s %s\n' "$prov" "$(IFS=:; echo "${a[*]}")"
  else
    return 1
  fi
}
