#!/usr/bin/env bash
test_description='valgrind finds no leak and no error in bf-search (vector, text, hybrid, index, errors)'
. "$(dirname "$0")/../lib/test-lib.sh"
test_require_cmd jq valgrind
. "$TEST_DIRECTORY/lib/search-fixture.sh"

# under `make SANITIZE=1 test`: the plain build's binaries (ASan covers the others)
valgrind_plain_build bf-search

VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99"

test_expect_success 'setup: a small warehouse' '
	{ wo_gen 300 2024-03-01 1 1 && wo_gen 300 2024-03-02 1 2; } |
		bf-enrich --embed work_orders.description:32 | bf-load --target w.db >/dev/null
'

test_expect_success 'vector, text and hybrid queries under valgrind' '
	$VG bf-search --target w.db --json -k 5 "cold room compressor" >v 2>vg1 || { cat vg1; false; } &&
	! grep "==[0-9]*==" vg1 && test_line_count = 5 v &&
	$VG bf-search --target w.db -k 5 --mode text "freezer door" >t 2>vg2 || { cat vg2; false; } &&
	! grep "==[0-9]*==" vg2 && test_line_count = 6 t &&
	$VG bf-search --target w.db --json -k 5 --mode hybrid --start-date 2024-03-02 "leaking faucet" >h 2>vg3 ||
		{ cat vg3; false; } &&
	! grep "==[0-9]*==" vg3 && test_line_count = 5 h
'

test_expect_success 'the compact index under valgrind' '
	$VG bf-search --target w.db --index 2>vg4 || { cat vg4; false; } &&
	! grep "==[0-9]*==" vg4 &&
	$VG bf-search --target w.db --json -k 5 -v "ice machine" >i 2>vg5 || { cat vg5; false; } &&
	! grep "==[0-9]*==" vg5 && grep "compact index" vg5 && test_line_count = 5 i
'

test_expect_success 'errors under valgrind' '
	{ $VG bf-search --target w.db --stream nope x 2>vg6; test $? = 64; } && ! grep "==[0-9]*==" vg6 &&
	{ $VG bf-search --target missing.db x 2>vg7; test $? = 66; } && ! grep "==[0-9]*==" vg7 &&
	{ $VG bf-search --bogus 2>vg8; test $? = 64; } && ! grep "==[0-9]*==" vg8
'

test_done
