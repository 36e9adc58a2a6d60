#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fails when a file of a lower layer includes a header of a higher one
# (DESIGN.md section 2): common < mamba < layout < transport < core < pm,
# where layout and transport may use mamba only and common/ (logging, options,
# check macros) uses nothing of the stack. --self-test plants a violation in a
# temporary tree and checks that it is caught.
set -uo pipefail

# Headers owned by each layer, as include patterns.
pat_mamba='(mamba\.h|mamba/|mmb_)'
pat_layout='(lyt\.h|lyt/)'
pat_transport='(mtr\.h|mtr/)'
pat_core='(maestro\.h|maestro/)'
pat_pm='(maestro_pm|pm/|pool_manager)'

check_tree() {
  local root=$1 bad=0 out
  # layer directory : forbidden include patterns
  local rules=(
    "common:$pat_mamba|$pat_layout|$pat_transport|$pat_core|$pat_pm"
    "mamba:$pat_layout|$pat_transport|$pat_core|$pat_pm"
    "include/mamba:$pat_layout|$pat_transport|$pat_core|$pat_pm"
    "layout:$pat_transport|$pat_core|$pat_pm"
    "include/lyt:$pat_transport|$pat_core|$pat_pm"
    "transport:$pat_layout|$pat_core|$pat_pm"
    "include/mtr:$pat_layout|$pat_core|$pat_pm"
    "core:$pat_pm"
  )
  for r in "${rules[@]}"; do
    local dir=${r%%:*} pat=${r#*:}
    [ -d "$root/$dir" ] || continue
    out=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pat)" "$root/$dir" \
            --include='*.c' --include='*.h' --include='*.cu' --include='*.cc' 2>/dev/null)
    if [ -n "$out" ]; then
      echo "layering violation in $dir/ (may not include: $pat):"
      echo "$out"
      bad=1
    fi
  done
  # The umbrella of a lower library may not pull in a higher one either.
  for h in mamba.h:"$pat_layout|$pat_transport|$pat_core" lyt.h:"$pat_transport|$pat_core" \
           mtr.h:"$pat_layout|$pat_core"; do
    local f=${h%%:*} pat=${h#*:}
    [ -f "$root/include/$f" ] || continue
    if grep -nE "#[[:space:]]*include[[:space:]]*[<\"]($pat)" "$root/include/$f"; then
      echo "layering violation: include/$f includes a higher layer"
      bad=1
    fi
  done
  return $bad
}

if [ "${1:-}" = "--self-test" ]; then
  t=$(mktemp -d)
  trap 'rm -rf "$t"' EXIT
  mkdir -p "$t/common" "$t/mamba" "$t/layout" "$t/core"
  echo '#include "mamba.h"' > "$t/layout/ok.c"
  echo '#include "lyt.h"' > "$t/core/ok.c"
  check_tree "$t" >/dev/null || { echo "self-test: a clean tree was reported"; exit 1; }
  echo '#include <maestro.h>' > "$t/mamba/bad.c"
  check_tree "$t" >/dev/null && { echo "self-test: mamba including maestro.h went unnoticed"; exit 1; }
  rm "$t/mamba/bad.c"
  echo '#include "mamba.h"' > "$t/common/bad.c"
  check_tree "$t" >/dev/null && { echo "self-test: common including mamba.h went unnoticed"; exit 1; }
  rm "$t/common/bad.c"
  echo '  # include "mtr/mtr_status.h"' > "$t/layout/bad.h"
  check_tree "$t" >/dev/null && { echo "self-test: layout including transport went unnoticed"; exit 1; }
  echo "self-test: violations detected"
  exit 0
fi

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
if check_tree "$root"; then
  echo "layering: clean"
else
  exit 1
fi
