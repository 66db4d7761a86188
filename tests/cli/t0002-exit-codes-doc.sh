#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2034,SC2317 # bodies are single-quoted and eval'ed by the library, which also reads test_description
test_description='the exit-code table: every copy says what lib/base/bf_exit.h says'
# shellcheck source=tests/lib/test-lib.sh
. "$(dirname "$0")/../lib/test-lib.sh"

# lib/base/bf_exit.h is the table: each code with its meaning in a comment. Its copies,
# each read by tests/lib/exit-table.pl into "CODE<TAB>MEANING" lines:
#   --help of every program (the text of lib/base/bf_cli.c), README.md and
#   docs/DESIGN.md: the same codes with the same meanings, word for word;
#   lib/base/bf_exit.c: a name for every code;
#   every man page (bin/*.1, filters/*.1): the same codes, each entry beginning with
#   the code's short meaning (up to its first ',' or '(') or saying "not used by" the
#   tool, and going on with what the code means for that tool.

table() {
	perl "$BF_SRC/tests/lib/exit-table.pl" "$@"
}
header=$BF_SRC/lib/base/bf_exit.h

test_expect_success 'the header holds the table, in order, 0 first' '
	table header "$header" >expect &&
	test_line_count -ge 10 expect &&
	cut -f1 expect >codes &&
	sort -n -u codes >sorted &&
	test_cmp sorted codes &&
	test "$(head -n 1 codes)" = 0
'

test_expect_success 'bf_exit_name() names every code of the header, and no other' '
	table enum "$header" | cut -f1 | sort >expect-names &&
	table names "$BF_SRC/lib/base/bf_exit.c" >names &&
	test_cmp expect-names names
'

test_expect_success 'README.md has the table, word for word' '
	table markdown "$BF_SRC/README.md" >readme &&
	test_cmp expect readme
'

test_expect_success 'docs/DESIGN.md section 4 has the table, word for word' '
	table markdown "$BF_SRC/docs/DESIGN.md" >design &&
	test_cmp expect design
'

for prog in "$BF_SRC"/bin/bf-*.c "$BF_SRC"/filters/bf-*.c; do
	prog=$(basename "$prog" .c)
	test_expect_success "$prog --help ends with the table, word for word" '
		"$prog" --help >help &&
		table help <help >actual &&
		test_cmp expect actual
	'
done

for page in "$BF_SRC"/bin/*.1 "$BF_SRC"/filters/*.1; do
	name=${page#"$BF_SRC"/}
	test_expect_success "$name: every code, each with its meaning" '
		table short "$header" >expect-short &&
		table man "$header" "$page" >actual &&
		test_cmp expect-short actual
	'
done

test_done
