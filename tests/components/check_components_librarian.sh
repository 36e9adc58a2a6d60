#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# archiver -> librarian -> consumer across processes. A producer offers
# three CDOs with attributes (size, lifetime, element size, order) while
# simple_archiver --pm writes them to a directory; two bad sidecars are
# added. maestro-librarian serves the directory on request: a consumer
# requires all three before any is staged (each require waits until the
# librarian offered it), demands them and checks every byte and attribute;
# a second consumer demands one without requiring it first (the librarian
# stages it again on the DEMAND event). The bad sidecars are reported by
# file and line; no file of the archive changed. Then a second librarian
# run, --eager with a selector and --linger, offers only what matches.
#   check_components_librarian.sh MAESTRO_PM COMP_CLIENT SIMPLE_ARCHIVER MAESTRO_LIBRARIAN
pm=$1 client=$2 archiver=$3 librarian=$4
tmp_name=components_librarian
. "$(dirname "$0")/check_common.sh"
size=100000 attrs=(--lifetime 3600 --esize 4 --order 2)
start_pm librarian
mkdir -p "$tmp/archive"

"$archiver" --pm -d "$tmp/archive" -n 3 -t 120 >"$tmp/archiver.out" 2>&1 &
a=$!; pids+=("$a")
wait_for "$tmp/archiver.out" "simple_archiver: subscribed" 60 || fail "the archiver did not start"
"$client" produce -p lib -n 3 -s $size "${attrs[@]}" >"$tmp/producer.out" 2>&1 ||
  fail "the producer failed"
wait_pid "$a" 60 || fail "the archiver failed or hung"
# bad sidecars: a line that is not 'key: value', and a size that is not the data file's
printf 'name: "bad-0"\nthis is not yaml\nscope.local-size: 4\n' >"$tmp/archive/bad-0.yaml"
printf 'abcd' >"$tmp/archive/bad-0.data"
printf 'name: "bad-1"\nscope.local-size: 11\n' >"$tmp/archive/bad-1.yaml"
printf 'abcd' >"$tmp/archive/bad-1.data"
before=$(cd "$tmp/archive" && find . -type f -printf '%p %s %T@\n' | sort; md5sum ./* | sort)

"$librarian" -n 4 --timeout=120 "$tmp/archive" >"$tmp/librarian.out" 2>"$tmp/librarian.log" &
l=$!; pids+=("$l")
wait_for "$tmp/librarian.out" "serving 3 CDO(s)" 60 || fail "the librarian did not start with 3 CDOs"
grep -q "staged" "$tmp/librarian.out" && fail "a CDO was staged before anyone asked"
grep -q "bad-0.yaml:2: expected 'key: value'" "$tmp/librarian.log" || fail "bad-0.yaml:2 not reported"
grep -q "bad-1.yaml: scope.local-size is 11 but .* holds 4 bytes" "$tmp/librarian.log" ||
  fail "bad-1.yaml's size not reported"

"$client" consume -p lib -n 3 -s $size --require-first "${attrs[@]}" >"$tmp/consumer.out" 2>&1 ||
  fail "the consumer failed"
grep -q "every byte and attribute checked" "$tmp/consumer.out" || fail "consumer summary"
# each require returned only once its CDO was staged: the librarian staged
# it in answer to the require (it stages nothing unasked)
for i in 0 1 2; do
  grep -q "staged lib-$i" "$tmp/librarian.out" || fail "lib-$i was not staged"
done
wait_for "$tmp/librarian.out" "withdrew lib-2" 30 || fail "the demanded CDOs were not withdrawn"
# a demand without require: staged again on the DEMAND event
"$client" consume -p lib -i 1 -n 1 -s $size "${attrs[@]}" >"$tmp/consumer2.out" 2>&1 ||
  fail "the second consumer failed"
wait_pid "$l" 60 || fail "the librarian failed or did not stop after 4 withdrawals"
[ "$(grep -c 'staged lib-1' "$tmp/librarian.out")" -eq 2 ] || fail "lib-1 was not staged twice"

# --eager with a selector on the archived attributes' names, --linger
"$librarian" --eager --selector='(name ~= "^lib-[02]$")' --linger=0.5 -n 2 -t 60 "$tmp/archive" \
  >"$tmp/eager.out" 2>"$tmp/eager.log" &
e=$!; pids+=("$e")
wait_pid "$e" 60 || fail "the eager librarian failed or hung"
grep -q "staged lib-0" "$tmp/eager.out" && grep -q "staged lib-2" "$tmp/eager.out" ||
  fail "--eager did not stage what the selector matches"
grep -q "staged lib-1" "$tmp/eager.out" && fail "--eager staged lib-1, which the selector excludes"

after=$(cd "$tmp/archive" && find . -type f -printf '%p %s %T@\n' | sort; md5sum ./* | sort)
[ "$before" = "$after" ] || fail "the archive changed"
echo "PASS: 3 CDOs of $size bytes archived, staged on require and on demand, every byte and attribute checked; bad sidecars reported by line; the archive untouched"
