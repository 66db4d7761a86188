#!/usr/bin/env bash
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
test_description='every man page renders within 80 columns without a warning'
. "$(dirname "$0")/../lib/test-lib.sh"

test_lazy_prereq MAN 'command -v man && command -v groff'

test_expect_success 'the pages are all found' '
	ls "$BF_SRC"/bin/*.1 "$BF_SRC"/filters/*.1 "$BF_SRC"/tests/tools/*.1 >pages &&
	test "$(wc -l <pages)" -ge 7
'

test_expect_success MAN 'MANWIDTH=80 man PAGE: no warning, no line over 80 columns' '
	while read -r page; do
		MANWIDTH=80 man "$page" >out 2>err &&
		MANWIDTH=80 man --warnings "$page" >/dev/null 2>>err &&
		if grep -i warning err; then echo "in $page" && return 1; fi &&
		expand <out | awk -v p="$page" "length > 80 { print p \": \" length \": \" \$0; bad = 1 } END { exit bad }" &&
		test -s out || return 1
	done <pages
'

test_done
