#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Adds (default) or checks (--check) the SPDX licence line of every source file git tracks:
# C, C++, CUDA, Python, shell, CMake, protobuf and the build templates. Data (test inputs,
# fuzz corpora, schemas, images) and prose are left as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
tag='SPDX-License-Identifier: BSD-3-Clause'
check=0
[ "${1:-}" = "--check" ] && check=1
missing=0
while IFS= read -r f; do
  case "$f" in
    */data/*|*/corpus/*|*.md|*.yaml|*.png|*.txt.in) continue ;;
    *.c|*.h|*.cpp|*.cu) line="/* $tag */" ;;
    *.proto) line="// $tag" ;;
    *.py|*.sh|*.cmake|*CMakeLists.txt|*.in|*.supp|*/.ci/run|.ci/run) line="# $tag" ;;
    *) continue ;;
  esac
  head -n 3 "$f" | grep -q "$tag" && continue
  if [ $check -eq 1 ]; then
    echo "no SPDX line: $f"
    missing=$((missing + 1))
    continue
  fi
  if head -n 1 "$f" | grep -q '^#!'; then
    { head -n 1 "$f"; echo "$line"; tail -n +2 "$f"; } >"$f.spdx.tmp"
  else
    { echo "$line"; cat "$f"; } >"$f.spdx.tmp"
  fi
  chmod --reference="$f" "$f.spdx.tmp"
  mv "$f.spdx.tmp" "$f"
done < <(git ls-files)
if [ $check -eq 1 ]; then
  if [ $missing -ne 0 ]; then
    echo "spdx: $missing file(s) without '$tag' (run scripts/spdx.sh)"
    exit 1
  fi
  echo "spdx: every source file carries '$tag'"
fi
