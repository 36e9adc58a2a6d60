#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Write a man page (troff) from a program's --help and --version text, so the
# page never disagrees with the program. No help2man needed.
#   gen-man.sh PROGRAM OUTPUT [SECTION]
# The --help text is read in this shape (the programs of components/ write it):
#   Usage: NAME ARGS...            -> SYNOPSIS
#   first paragraph                -> NAME (a one-sentence summary)
#   further paragraphs             -> DESCRIPTION
#   Options:                       -> OPTIONS; "  -x, --long=ARG  text" lines,
#                                     deeper-indented lines continue the text
#   "Heading: text" paragraphs     -> a section of that heading (ENVIRONMENT,
#                                     EXIT STATUS, ...); other paragraphs stay in
#                                     the section before them
# The date is SOURCE_DATE_EPOCH's when set (reproducible builds), otherwise today.
set -euo pipefail
prog=${1:?usage: gen-man.sh PROGRAM OUTPUT [SECTION]}
out=${2:?usage: gen-man.sh PROGRAM OUTPUT [SECTION]}
section=${3:-1}
name=$(basename "$prog")
help=$("$prog" --help) || { echo "gen-man.sh: $prog --help failed" >&2; exit 1; }
version=$("$prog" --version | head -n 1) || { echo "gen-man.sh: $prog --version failed" >&2; exit 1; }
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
printf '%s\n' "$help" | awk -v name="$name" -v section="$section" -v version="$version" \
  -v date="$date" '
function esc(s) {
  gsub(/\\/, "\\e", s)
  gsub(/-/, "\\-", s)
  if (s ~ /^[.'"'"']/) s = "\\&" s
  return s
}
function flush_para() {
  if (para != "") { print ".PP"; print esc(para) }
  para = ""
}
BEGIN { state = "usage"; para = ""; synopsis = ""; summary = "" }
state == "usage" && /^Usage: / { sub(/^Usage: /, ""); synopsis = $0; next }
state == "usage" && /^$/ { next }
state == "usage" { state = "summary" }
state == "summary" && !/^$/ { summary = (summary == "" ? $0 : summary " " $0); next }
state == "summary" {
  # the first paragraph is the one-line summary of NAME
  sub(/\.$/, "", summary)
  printf ".TH %s %s \"%s\" \"%s\" \"User Commands\"\n", toupper(esc(name)), section, date, esc(version)
  print ".SH NAME"
  print esc(name) " \\- " esc(summary)
  print ".SH SYNOPSIS"
  print ".B " esc(name)
  rest = synopsis; sub("^" name " ?", "", rest)
  if (rest != "") print esc(rest)
  print ".SH DESCRIPTION"
  state = "body"; next
}
state == "body" && /^Options:$/ { flush_para(); print ".SH OPTIONS"; state = "opts"; next }
state == "opts" && /^  +-/ {
  line = $0; sub(/^ +/, "", line)
  n = match(line, /  +/)
  if (n > 0) { tag = substr(line, 1, n - 1); text = substr(line, n + RLENGTH) }
  else { tag = line; text = "" }
  print ".TP"; print "\\fB" esc(tag) "\\fR"; if (text != "") print esc(text)
  next
}
state == "opts" && /^      +[^ -]/ { line = $0; sub(/^ +/, "", line); print esc(line); next }
state == "opts" && /^$/ { state = "body"; next }
state == "body" && /^$/ { flush_para(); next }
state == "body" && para == "" && /^[A-Z][A-Za-z ]*: / {
  h = $0; sub(/: .*/, "", h)
  t = $0; sub(/^[A-Z][A-Za-z ]*: /, "", t)
  print ".SH " toupper(esc(h)); para = t; next
}
state == "body" { para = (para == "" ? $0 : para " " $0); next }
END {
  flush_para()
  print ".SH VERSION"
  print esc(version)
  print ".SH SEE ALSO"
  print ".BR maestro\\-pm (1),"
  print "docs/components.md in the Maestro sources."
}' >"$tmp"
grep -q '^\.SH DESCRIPTION' "$tmp" || { echo "gen-man.sh: $prog --help has no usage line and description" >&2; exit 1; }
mv "$tmp" "$out"
trap - EXIT
