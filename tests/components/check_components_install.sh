#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The installed components: both programs in bin/ run without
# LD_LIBRARY_PATH, their man pages are in share/man/man1 (and render), the
# header and maestro-components.pc are installed, and a program built
# against them with pkg-config links and runs.
#   check_components_install.sh BUILD_DIR [CFLAGS]
# (CFLAGS: a sanitized build's flags, which its clients need too)
set -euo pipefail
export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo
build=$1 xflags=${2:-}
t=$(mktemp -d "${TMPDIR:-/tmp}/components_install.XXXXXX")
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cmake --install "$build" --prefix "$t/p" >"$t/install.log" || { cat "$t/install.log"; exit 1; }
for p in maestro-librarian maestro-keepalive; do
  [ -x "$t/p/bin/$p" ] || fail "$p not installed"
  "$t/p/bin/$p" --version | grep -q "^$p (maestro)" || fail "installed $p does not run"
  page=$(find "$t/p" -path "*/man1/$p.1")
  [ -n "$page" ] || fail "no man page of $p under share/man/man1"
  if command -v man >/dev/null; then man -l "$page" 2>/dev/null | grep -q "$p" || fail "$page"; fi
done
[ -f "$t/p/include/maestro_components.h" ] || fail "maestro_components.h not installed"
pcdir=$(find "$t/p" -name maestro-components.pc -printf '%h\n' | head -1)
[ -n "$pcdir" ] || fail "maestro-components.pc not installed"
cat >"$t/use.c" <<'C'
#include <maestro.h>
#include <maestro_components.h>
int main(void)
{
  struct mstro_librarian_opts o;
  mstro_librarian_opts_init(&o);
  return mstro_librarian_run(&o) == MSTRO_INVARG ? 0 : 1; /* no dir */
}
C
export PKG_CONFIG_PATH="$pcdir"
# shellcheck disable=SC2046,SC2086
cc $xflags -o "$t/use" "$t/use.c" $(pkg-config --cflags --libs maestro-components) \
  -Wl,-rpath,"$(pkg-config --variable=libdir maestro-components)" || fail "cannot build against it"
"$t/use" 2>/dev/null || fail "the program built against maestro-components failed"
echo "PASS: programs, man pages, header and pkg-config file of the components installed"
