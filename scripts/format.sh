#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Format (or with --check, verify) every C source and header of the project.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' '*.cu' '*.cpp' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
cf=$(command -v clang-format || command -v clang-format-14)
if [ "${1:-}" = "--check" ]; then
  # shellcheck disable=SC2086
  "$cf" --dry-run --Werror $files
  echo "format-check: all files clean"
else
  # shellcheck disable=SC2086
  "$cf" -i $files
fi
