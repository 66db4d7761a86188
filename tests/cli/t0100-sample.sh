#!/usr/bin/env bash
# bf-sample: determinism, the drop against its manifest (folders, files, row counts,
# sales, closures), injected defects, and the command line.
# TAP on stdout; exits non-zero when a test fails.
# Test bodies run through t, so shellcheck thinks them unreachable (SC2317); and
# "a && b || say ..." is meant as "say unless both hold" (SC2015).
# shellcheck disable=SC2317,SC2015
set -u
export LC_ALL=C

BF_BUILD=${BF_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
SAMPLE=$BF_BUILD/bf-sample

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t0100-sample.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

ntest=0
nfail=0

# t DESCRIPTION FUNCTION: runs FUNCTION in a subshell; its output becomes diagnostics
# when it fails.
t() {
	ntest=$((ntest + 1))
	if ("$2") >"log.$ntest" 2>&1; then
		echo "ok $ntest - $1"
	else
		echo "not ok $ntest - $1"
		sed 's/^/#   /' "log.$ntest"
		nfail=$((nfail + 1))
	fi
}

# say MESSAGE: a diagnostic, and the test fails (tests run in a subshell).
say() {
	printf '%s\n' "$*"
	exit 1
}

if [ ! -x "$SAMPLE" ]; then
	echo "Bail out! $SAMPLE is not built"
	exit 1
fi

# csv2tsv FILE...: one line per CSV record: FILE, first physical line, field count and
# the fields, tab-separated (line breaks in fields become spaces). Blank lines are not
# records; an unterminated last record still is one.
cat >csv2tsv.awk <<'EOF'
function emit(   out, k) {
	fields[++nf] = field
	out = FILENAME "\t" start "\t" nf
	for (k = 1; k <= nf; k++)
		out = out "\t" fields[k]
	print out
	nf = 0
	field = ""
}
FNR == 1 && inq { emit(); inq = 0 }
{
	sub(/\r$/, "")
	if (!inq) {
		if ($0 == "")
			next
		start = FNR
		if (!index($0, "\"")) {         # no quotes: plain split
			gsub(/\t/, " ")
			nf = split($0, fields, ",")
			out = FILENAME "\t" start "\t" nf
			for (k = 1; k <= nf; k++)
				out = out "\t" fields[k]
			print out
			nf = 0
			next
		}
	} else {
		field = field " "
	}
	rest = $0
	gsub(/\t/, " ", rest)
	while (rest != "") {
		if (inq) {
			p = index(rest, "\"")
			if (!p) {
				field = field rest
				break
			}
			field = field substr(rest, 1, p - 1)
			if (substr(rest, p + 1, 1) == "\"") {
				field = field "\""
				rest = substr(rest, p + 2)
			} else {
				inq = 0
				rest = substr(rest, p + 1)
			}
		} else {
			p = index(rest, "\"")
			c = index(rest, ",")
			if (c && (!p || c < p)) {
				fields[++nf] = field substr(rest, 1, c - 1)
				field = ""
				rest = substr(rest, c + 1)
			} else if (p) {
				field = field substr(rest, 1, p - 1)
				inq = 1
				rest = substr(rest, p + 1)
			} else {
				field = field rest
				break
			}
		}
	}
	if (!inq)
		emit()
}
END { if (inq) emit() }
EOF
csv2tsv() {
	awk -f csv2tsv.awk "$@"
}

# The data sets most tests look at.
"$SAMPLE" --out a --seed 7 --days 120 --orders-per-day 40 --defects all >a.out 2>a.err
a_rc=$?
"$SAMPLE" --out a2 --seed 7 --days 120 --orders-per-day 40 --defects all >/dev/null 2>&1
"$SAMPLE" --out b --seed 8 --days 120 --orders-per-day 40 --defects all >/dev/null 2>&1
M=a/manifest.json

test_runs() {
	test "$a_rc" = 0 || say "exit $a_rc"
	test ! -s a.out || say "stdout: $(cat a.out)"
	test ! -s a.err || say "stderr: $(cat a.err)"
	jq -e '.generator == "bf-sample" and .version == "0.1.0" and .seed == 7 and
		.start_date == "2024-01-01" and .end_date == "2024-04-29" and
		(.locations == ["185129", "185130"]) and (.partitions | length) == 240' "$M" >/dev/null ||
		say "manifest header: $(jq -c 'del(.partitions, .defects)' "$M")"
}
t 'a drop is written, silently, with its manifest' test_runs

test_same_seed() {
	diff -r a a2 >diff.out || say "differ: $(head -5 diff.out)"
}
t 'the same seed twice gives identical trees' test_same_seed

test_other_seed() {
	local total differ
	test "$(jq .seed b/manifest.json)" = 8 || say "seed not recorded"
	# the data, not just the manifest that records the seed
	total=$(find a -name '*.csv' | wc -l)
	differ=$(diff -rq --exclude=manifest.json a b | wc -l)
	test "$differ" -gt $((total / 2)) || say "only $differ of $total files differ"
}
t 'another seed gives another tree' test_other_seed

test_streams() {
	jq -e '.streams == ["all_items_report", "cash_entries", "check_details",
		"item_selection_details", "kitchen_timings", "order_details", "payment_details"] and
		.files == ["AllItemsReport.csv", "CashEntries.csv", "CheckDetails.csv",
		"ItemSelectionDetails.csv", "KitchenTimings.csv", "OrderDetails.csv",
		"PaymentDetails.csv"]' "$M" >/dev/null || say "$(jq -c '.streams, .files' "$M")"
	jq -e '[.partitions[] | .date + " " + .location] | . == sort' "$M" >/dev/null ||
		say "partitions are not sorted by date, then location"
}
t 'streams, files, and partitions sorted by date then location' test_streams

test_layout() {
	local want got
	# every file, as the manifest lists them
	want=$(jq -r '.partitions[] | .location + "/" + (.date | gsub("-"; "")) + "/" + (.files | keys[])' "$M" | sort)
	got=$(cd a && find . -mindepth 3 | sed 's|^\./||' | sort)
	test "$(echo "$want" | wc -l)" -gt 1000 || say "too few files in the manifest"
	test "$want" = "$got" || say "files differ: $(diff <(echo "$want") <(echo "$got") | head -5)"
	# date folders: missing ones absent, empty ones empty
	want=$(jq -r '.partitions[] | select(.folder != "missing") | .location + "/" + (.date | gsub("-"; ""))' "$M" | sort)
	got=$(cd a && find . -mindepth 2 -maxdepth 2 -type d | sed 's|^\./||' | sort)
	test "$want" = "$got" || say "folders differ: $(diff <(echo "$want") <(echo "$got") | head -5)"
	want=$(jq -r '.partitions[] | select(.folder == "empty") | .location + "/" + (.date | gsub("-"; ""))' "$M" | sort)
	got=$(cd a && find . -mindepth 2 -maxdepth 2 -type d -empty | sed 's|^\./||' | sort)
	test -n "$want" || say "no empty folder"
	test "$want" = "$got" || say "empty folders differ: $(diff <(echo "$want") <(echo "$got") | head -5)"
	test "$(jq '[.partitions[] | select(.folder == "missing")] | length' "$M")" -gt 0 || say "no missing folder"
	# few_files folders hold one or two files
	jq -e '[.partitions[] | select(.reason == "insufficient_files") | .files | length] |
		length > 0 and all(. >= 1 and . <= 2)' "$M" >/dev/null || say "insufficient_files folders"
	got=$(find a -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')
	test "$got" = "185129 185130 manifest.json " || say "top level: $got"
}
t 'folders and files match the manifest' test_layout

test_closure_kinds() {
	local loc
	for loc in 185129 185130; do
		jq -e --arg l "$loc" '[.partitions[] | select(.location == $l and .closed) | .closure] | unique ==
			["empty_folder", "few_files", "few_orders", "header_only", "missing_folder", "no_sales"]' \
			"$M" >/dev/null ||
			say "$loc: kinds $(jq -c --arg l "$loc" '[.partitions[] | select(.location == $l and .closed) | .closure]' "$M")"
	done
	jq -e '[.partitions[] | select(.closed) | .reason] | unique ==
		["insufficient_files", "low_activity", "low_sales", "no_files"]' "$M" >/dev/null ||
		say "reasons missing"
	jq -e '[.partitions[] | select(.closed | not) | .reason, .closure] | all(. == null)' "$M" >/dev/null ||
		say "an open partition has a reason"
	jq -e '.totals.closed == ([.partitions[] | select(.closed)] | length) and
		.totals.closed_by_reason == ([.partitions[] | select(.closed) | .reason] |
			group_by(.) | map({(.[0]): length}) | add) and
		.totals.partitions == (.partitions | length)' "$M" >/dev/null || say "totals: $(jq -c .totals "$M")"
}
t 'every closure kind and reason appears with --days 120' test_closure_kinds

test_closure_shapes() {
	jq -e '.partitions[] | select(.closed) |
		(if .closure == "missing_folder" then .folder == "missing" and .reason == "no_files"
		elif .closure == "empty_folder" then .folder == "empty" and .reason == "no_files"
		elif .closure == "few_files" then (.files | length) >= 1 and (.files | length) <= 2 and
			.reason == "insufficient_files"
		elif .closure == "header_only" then (.files | length) == 7 and
			([.files[].rows] | add) == 0 and .reason == "low_activity"
		elif .closure == "few_orders" then (.files | length) == 7 and .orders >= 1 and
			.orders <= 3 and .reason == "low_activity"
		elif .closure == "no_sales" then (.files | length) == 7 and .orders >= 5 and
			.sales == "0.00" and .reason == "low_sales"
		else false end) | not' "$M" >bad.json && say "closures not as described: $(head -c 600 bad.json)"
	# the history window and the last days stay open
	jq -e '[.partitions[] | select(.closed and (.date < "2024-01-29" or .date > "2024-04-26"))] | length == 0' \
		"$M" >/dev/null || say "a closure in the first 28 or the last 3 days"
	# open days are not mistaken for closed ones
	jq -e '[.partitions[] | select(.closed | not) | .orders] | min >= 5' "$M" >/dev/null ||
		say "an open day with almost no orders"
	return 0
}
t 'closed partitions look like their kind' test_closure_shapes

test_header_only() {
	local files
	files=$(jq -r '.partitions[] | select(.closure == "header_only") |
		"a/" + .location + "/" + (.date | gsub("-"; "")) + "/" + (.files | keys[])' "$M")
	test "$(echo "$files" | wc -l)" -ge 14 || say "too few header-only files: $files"
	# shellcheck disable=SC2086 # one name a line, no blanks in them
	wc -l $files | awk '$2 != "total" && $1 != 1 { print; bad = 1 } END { exit bad }' ||
		say "header-only files with more than one line"
	# shellcheck disable=SC2086
	awk 'FNR == 1 && !/\r$/ { print FILENAME; bad = 1 } END { exit bad }' $files || say "not CRLF"
	# shellcheck disable=SC2086
	awk 'FNR == 1 && !/^(Location|Master ID|Customer Id),/ { print FILENAME; bad = 1 } END { exit bad }' $files ||
		say "not a header"
}
t 'header-only files have exactly one line' test_header_only

# records.tsv: every record of every plain file of data set a (header included).
find a -name '*.csv' | sort | xargs awk -f csv2tsv.awk >records.tsv

test_row_counts() {
	local want got
	want=$(jq -r '.partitions[] | .location as $l | (.date | gsub("-"; "")) as $d |
		.files | to_entries[] | select(.key | endswith(".csv")) |
		"a/\($l)/\($d)/\(.key)\t\(.value.rows + .value.bad_rows + 1)"' "$M" | sort)
	got=$(awk -F'\t' '{ n[$1]++ } END { for (f in n) print f "\t" n[f] }' records.tsv | sort)
	test -n "$want" || say "no files in the manifest"
	test "$want" = "$got" || say "$(diff <(echo "$want") <(echo "$got") | head -10)"
	# and the compressed ones
	while read -r f; do
		want=$(jq -r --arg f "${f#a/}" '.partitions[] | (.location + "/" + (.date | gsub("-"; "")) + "/") as $p |
			.files | to_entries[] | select($p + .key == $f) | .value.rows + .value.bad_rows + 1' "$M")
		got=$(gzip -dc "$f" | awk -f csv2tsv.awk | wc -l)
		test "$want" = "$got" || say "$f: $got records, manifest says $want"
	done < <(find a -name '*.csv.gz')
	jq -e '.totals.rows == ([.partitions[].files[].rows] | add) and
		.totals.bad_rows == ([.partitions[].files[].bad_rows] | add) and .totals.bad_rows > 0' \
		"$M" >/dev/null || say "totals: $(jq -c .totals "$M")"
}
t 'row counts in the manifest are the CSV records of the files' test_row_counts

test_sales() {
	local want got
	# OrderDetails: Amount is field 15, Voided field 20 (+3 for file, line, count)
	# (files with a defect are left out: their bad rows are not in the manifest's sums)
	want=$(jq -r '[.defects[] | select(.file == "OrderDetails.csv") | .location + "/" + (.date | gsub("-"; ""))] as $bad |
		.partitions[] | select(.files["OrderDetails.csv"]) |
		(.location + "/" + (.date | gsub("-"; ""))) as $p | select(any($bad[]; . == $p) | not) |
		"a/\($p)/OrderDetails.csv\t\(.orders)\t\(.sales)"' "$M" | sort)
	echo "$want" | cut -f1 >want.files
	got=$(awk -F'\t' 'NR == FNR { keep[$1] = 1; next }
		$1 in keep {
			if (!($1 in n))
				n[$1] = 0
			if ($2 == 1)
				next
			n[$1]++
			if ($23 == "false") { split($18, a, "."); c[$1] += a[1] * 100 + a[2] }
		}
		END { for (f in n) printf "%s\t%d\t%d.%02d\n", f, n[f], int(c[f] / 100), c[f] % 100 }' want.files records.tsv | sort)
	test "$(echo "$want" | wc -l)" -gt 200 || say "too few partitions to compare"
	test "$want" = "$got" || say "$(diff <(echo "$want") <(echo "$got") | head -10)"
}
t 'orders and sales in the manifest add up from OrderDetails' test_sales

test_references() {
	# every order an item or payment refers to is in OrderDetails; every kitchen
	# ticket refers to a check of CheckDetails (day 2024-03-04, location 185129)
	local d=a/185129/20240304
	jq -e '.partitions[] | select(.location == "185129" and .date == "2024-03-04") | .closed | not' "$M" >/dev/null ||
		say "pick another day: $d is closed"
	test -z "$(jq -r '.defects[] | select(.location == "185129" and .date == "2024-03-04")' "$M")" ||
		say "pick another day: $d has a defect"
	# two passes: orders and checks first
	awk -F'\t' -v d="$d" 'NR == FNR {
			if ($2 > 1 && $1 == d "/OrderDetails.csv") o[$5] = 1
			if ($2 > 1 && $1 == d "/CheckDetails.csv") c[$16] = 1
			next
		}
		$2 > 1 && $1 == d "/ItemSelectionDetails.csv" { n++; if (!($5 in o)) { print "item: " $5; bad++ } }
		$2 > 1 && $1 == d "/PaymentDetails.csv" { n++; if (!($6 in o)) { print "payment: " $6; bad++ } }
		$2 > 1 && $1 == d "/KitchenTimings.csv" { n++; if (!($7 in c)) { print "ticket: " $7; bad++ } }
		END { exit !(n > 100 && length(o) > 10 && !bad) }' records.tsv records.tsv >refs.out ||
		say "dangling references: $(head -5 refs.out)"
	grep -q $'\t''[0-9]\{17\}'$'\t' records.tsv || say "no 17-digit ids"
}
t 'items and payments refer to orders, kitchen tickets to checks' test_references

test_values() {
	local f=a/185129/20240304
	grep -q '^"\?[^,]*,[0-9]\{17\},[0-9]*,[^,]*,[0-9]\{1,2\}/[0-9]\{1,2\}/24 [0-9]\{1,2\}:[0-9][0-9] [AP]M,' "$f/OrderDetails.csv" ||
		say "OrderDetails: no Toast-style Opened"
	grep -q ',[0-9]*:[0-5][0-9]:[0-5][0-9],' "$f/OrderDetails.csv" || say "no h:mm:ss duration"
	grep -q '[0-9] minutes\? and [0-9]* seconds\?,' "$f/KitchenTimings.csv" || say "no kitchen duration"
	grep -q ',[0-9][0-9]/[0-9][0-9]/2024 [0-9][0-9]:[0-9][0-9]:[0-9][0-9],' "$f/PaymentDetails.csv" ||
		say "no long timestamps"
	grep -rqF 'Crème brûlée' a || say "no UTF-8 names"
	grep -rqF 'Jalapeño' a || say "no UTF-8 names"
	grep -rqF '""' a || say "no escaped quotes"
	grep -qF '"' records.tsv || say "no quotes in values"
	# records spanning two lines: the second lines of the texts that have one
	grep -rqE '^(Short in quarters|allergy: peanuts|bring candle w/ dessert|high chair)"' a ||
		say "no line break inside a field"
	test "$(head -1 "$f/OrderDetails.csv" | tr -d '\r')" = "Location,Order Id,Order #,Checks,Opened,# of Guests,Tab Names,Server,Table,Revenue Center,Dining Area,Service,Dining Options,Discount Amount,Amount,Tax,Tip,Gratuity,Total,Voided,Paid,Closed,Duration (Opened to Paid),Order Source" ||
		say "OrderDetails header"
}
t 'values look like a Toast export' test_values

test_crlf() {
	local f=a/185129/20240304/OrderDetails.csv
	test "$(grep -c $'\r$' "$f")" -gt 20 || say "no CRLF lines"
	# only the inner line breaks of quoted fields are bare LF
	test "$(grep -vc $'\r$' "$f")" -lt 5 || say "$(grep -vc $'\r$' "$f") lines without CR"
}
t 'lines end with CRLF by default' test_crlf

# --- defects -------------------------------------------------------------------------

defect_files() { # KIND: location/yyyymmdd/file <tab> line <tab> detail
	jq -r --arg k "$1" '.defects[] | select(.kind == $k) |
		"\(.location)/\(.date | gsub("-"; ""))/\(.file)\t\(.line)\t\(.detail // "")"' "$M"
}

test_defect_kinds() {
	jq -e '[.defects[].kind] | unique == ["blank_lines", "bom", "gzip", "invalid_utf8", "ragged", "truncated"]' \
		"$M" >/dev/null || say "kinds: $(jq -c '[.defects[].kind]' "$M")"
	jq -e '(.defects | length) == .totals.defects and
		([.defects[] | select(.kind == "ragged" or .kind == "truncated" or .kind == "invalid_utf8")] | length) ==
		.totals.bad_rows' "$M" >/dev/null || say "defects and bad rows do not agree"
	jq -e '. as $m | [.defects[] | . as $d | $m.partitions[] |
		select(.location == $d.location and .date == $d.date) | .closed] |
		length == ($m.defects | length) and (any | not)' "$M" >/dev/null || say "a defect on a closed day"
	jq -e '.defects | all(.rows >= 1)' "$M" >/dev/null || say "a defect left no good rows"
}
t '--defects all: every kind, never on a closed day' test_defect_kinds

test_bom() {
	local f line n=0
	while IFS=$'\t' read -r f line _; do
		test "$(head -c 3 "a/$f" | od -An -tx1 | tr -d ' ')" = efbbbf || say "$f: no BOM"
		test "$line" = 1 || say "$f: line $line"
		n=$((n + 1))
	done < <(defect_files bom)
	test "$n" -ge 1 || say "no bom defect"
	# and no other file has one
	test "$(cat a/*/*/*.csv | grep -c $'^\xef\xbb\xbf')" = "$n" || say "BOMs elsewhere"
}
t 'bom: the BOM bytes start the stated file' test_bom

test_invalid_utf8() {
	local f line n=0 hits
	while IFS=$'\t' read -r f line _; do
		hits=$(grep -n $'\xc3\x28' "a/$f" | cut -d: -f1 | tr '\n' ' ')
		test "$hits" = "$line " || say "$f: invalid bytes on line(s) [$hits], manifest says $line"
		n=$((n + 1))
	done < <(defect_files invalid_utf8)
	test "$n" -ge 1 || say "no invalid_utf8 defect"
	test "$(cat a/*/*/*.csv | grep -c $'\xc3\x28')" = "$n" || say "invalid bytes elsewhere"
}
t 'invalid_utf8: the invalid byte is on the stated line' test_invalid_utf8

test_truncated() {
	local f line n=0 lines hdr last
	while IFS=$'\t' read -r f line _; do
		test "$(tail -c 1 "a/$f" | od -An -c | tr -d ' ')" != '\n' || say "$f ends with a newline"
		lines=$(wc -l <"a/$f")
		test "$line" = $((lines + 1)) || say "$f: line $line, but the last line is $((lines + 1))"
		csv2tsv "a/$f" >one.tsv
		hdr=$(awk -F'\t' '$2 == 1 { print $3 }' one.tsv)
		last=$(awk -F'\t' -v l="$line" '$2 == l { print $3 }' one.tsv)
		test -n "$last" && test "$last" -lt "$hdr" || say "$f: last line has $last fields of $hdr"
		n=$((n + 1))
	done < <(defect_files truncated)
	test "$n" -ge 1 || say "no truncated defect"
}
t 'truncated: no final newline, fewer fields, on the stated line' test_truncated

test_ragged() {
	local f line detail n=0 hdr got
	while IFS=$'\t' read -r f line detail; do
		csv2tsv "a/$f" >one.tsv
		hdr=$(awk -F'\t' '$2 == 1 { print $3 }' one.tsv)
		got=$(awk -F'\t' -v l="$line" '$2 == l { print $3 }' one.tsv)
		case $detail in
		extra_field) test "$got" = $((hdr + 1)) || say "$f:$line: $got fields, header $hdr" ;;
		missing_field) test "$got" = $((hdr - 1)) || say "$f:$line: $got fields, header $hdr" ;;
		*) say "$f: detail '$detail'" ;;
		esac
		# every other record of the file has the header's width
		test "$(awk -F'\t' -v h="$hdr" '$3 != h' one.tsv | wc -l)" = 1 ||
			say "$f: more than one ragged record"
		n=$((n + 1))
	done < <(defect_files ragged)
	test "$n" -ge 1 || say "no ragged defect"
}
t 'ragged: one field too many or too few on the stated line' test_ragged

test_blank_lines() {
	local f line n=0
	while IFS=$'\t' read -r f line _; do
		test "$(sed -n "${line}p;$((line + 1))p" "a/$f" | tr -d '\r')" = "" || say "$f:$line: not blank"
		test "$(sed -n "$((line - 1))p" "a/$f" | tr -d '\r')" != "" || say "$f:$line: more blank lines"
		test "$(sed -n "$((line + 2))p" "a/$f" | tr -d '\r')" != "" || say "$f:$line: blank lines at the end"
		test "$(grep -c $'^\r\\?$' "a/$f")" = 2 || say "$f: not exactly two blank lines"
		n=$((n + 1))
	done < <(defect_files blank_lines)
	test "$n" -ge 1 || say "no blank_lines defect"
}
t 'blank_lines: two blank lines between data rows where stated' test_blank_lines

test_gzip_defect() {
	local f line n=0
	while IFS=$'\t' read -r f line _; do
		case $f in *.csv.gz) ;; *) say "$f: not .csv.gz" ;; esac
		gzip -t "a/$f" || say "$f: not gzip"
		test ! -e "a/${f%.gz}" || say "$f: the plain file is there too"
		test "$line" = null || say "$f: line $line"
		n=$((n + 1))
	done < <(defect_files gzip)
	test "$n" -ge 1 || say "no gzip defect"
	test "$(find a -name '*.gz' | wc -l)" = "$n" || say "other gzip files"
}
t 'gzip: the stated file is gzip-compressed, named .csv.gz' test_gzip_defect

test_defects_only_there() {
	"$SAMPLE" --out clean --seed 7 --days 120 --orders-per-day 40 2>/dev/null || say "exit $?"
	local want got
	# the files with a defect (a gzip'd one shows as two "Only in" lines)
	want=$(jq -r '.defects[] | "\(.location)/\(.date | gsub("-"; ""))/\(.file | sub("\\.gz$"; ""))"' "$M" | sort -u)
	got=$(diff -rq --exclude=manifest.json clean a |
		sed -n 's#^Files clean/\([^ ]*\) and .*#\1#p; s#^Only in \(clean\|a\)/\([^:]*\): \(.*\)#\2/\3#p' |
		sed 's/\.gz$//' | sort -u)
	test "$(echo "$want" | wc -l)" -ge 12 || say "too few defects"
	test "$want" = "$got" || say "$(diff <(echo "$want") <(echo "$got") | head -10)"
}
t '--defects changes the listed files and nothing else' test_defects_only_there

# --- options -------------------------------------------------------------------------

test_gzip_lf() {
	"$SAMPLE" --out c --days 5 --lf --gzip --no-closures --locations 1 2>err || say "exit $?"
	test ! -s err || say "stderr: $(cat err)"
	test "$(find c -name '*.csv.gz' | wc -l)" = 35 || say "$(find c -type f | head)"
	test "$(find c -name '*.csv' | wc -l)" = 0 || say "plain files with --gzip"
	gzip -dc c/185129/20240103/OrderDetails.csv.gz >od.csv || say "not gzip"
	! grep -q $'\r' od.csv || say "CR with --lf"
	test "$(wc -l <od.csv)" -gt 50 || say "short file"
	jq -e '.gzip and .line_ending == "lf" and .totals.closed == 0 and
		(.partitions[0].files | keys | all(endswith(".csv.gz")))' c/manifest.json >/dev/null ||
		say "manifest: $(jq -c '.partitions[0]' c/manifest.json)"
}
t '--gzip, --lf, --no-closures' test_gzip_lf

test_volume() {
	"$SAMPLE" --out v --days 35 --orders-per-day 200 --locations 2 --no-closures 2>/dev/null || say "exit $?"
	# location factor, and weekday: Saturdays busier than Mondays
	jq -e '([.partitions[] | select(.location == "185129") | .orders] | add) as $a |
		([.partitions[] | select(.location == "185130") | .orders] | add) as $b | $b < $a * 0.85' \
		v/manifest.json >/dev/null || say "second location not smaller"
	jq -e '[.partitions[] | select(.location == "185129") | .orders] as $o |
		[$o[0,7,14,21,28]] as $mon | [$o[5,12,19,26,33]] as $sat |
		($sat | add) > ($mon | add) * 1.5' v/manifest.json >/dev/null || say "Saturdays not busier than Mondays"
}
t 'volume varies by location and weekday' test_volume

test_help() {
	"$SAMPLE" --help >out 2>err || say "exit $?"
	grep -q -- '--orders-per-day' out || say "no usage on stdout"
	test ! -s err || say "stderr: $(cat err)"
	test "$("$SAMPLE" --version)" = "bf-sample 0.1.0" || say "version"
}
t '--help exits 0 with the usage on stdout; --version' test_help

test_usage_errors() {
	local rc
	"$SAMPLE" --out u --bogus >out 2>err
	rc=$?
	test "$rc" = 64 || say "--bogus: exit $rc"
	test "$(wc -l <err)" = 1 && grep -q '^bf-sample: --bogus: ' err || say "stderr: $(cat err)"
	test ! -s out || say "stdout: $(cat out)"
	"$SAMPLE" --out u --days x 2>err
	test $? = 64 && grep -q '^bf-sample: --days: ' err || say "--days x: $(cat err)"
	"$SAMPLE" --out u --defects bom,nope 2>err
	test $? = 64 && grep -q '^bf-sample: --defects: ' err || say "--defects nope: $(cat err)"
	"$SAMPLE" --out u --start-date 2024-02-30 2>err
	test $? = 64 || say "--start-date: $(cat err)"
	"$SAMPLE" --days 3 2>err
	test $? = 64 && grep -q '^bf-sample: --out: ' err || say "no --out: $(cat err)"
	test ! -e u || say "output written despite a usage error"
}
t 'a bad option exits 64 with one line on stderr' test_usage_errors

test_out_dir() {
	"$SAMPLE" --out c --days 2 2>err
	test $? = 64 && grep -q '^bf-sample: c: ' err || say "non-empty out: $(cat err)"
	mkdir -p c/keep && echo x >c/keep/me
	"$SAMPLE" --out c --days 2 --force 2>err || say "--force: exit $? $(cat err)"
	test -f c/keep/me || say "--force removed a foreign file"
	test ! -e c/185129/20240103 || say "--force left earlier output"
	test -d c/185129/20240102 || say "--force wrote nothing"
	"$SAMPLE" --out deep/er/out --days 1 || say "mkdir -p: exit $?"
	test -f deep/er/out/manifest.json || say "no manifest in a new nested folder"
	echo x >plain
	"$SAMPLE" --out plain --days 1 2>err
	test $? = 74 || say "out is a file: exit $?"
}
t 'OUT must be empty unless --force; created with parents' test_out_dir

echo "1..$ntest"
if [ "$nfail" -gt 0 ]; then
	echo "# failed $nfail of $ntest"
	exit 1
fi
exit 0
