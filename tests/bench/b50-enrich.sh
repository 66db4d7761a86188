#!/usr/bin/env bash
# bf-enrich benchmarks:
#  1. against the loopback model API with a fixed latency per request, enriched records
#     per second with concurrency C and batch B, against the ideal C*B/latency (>= 90%);
#  2. the offline enricher's share of a pipeline's wall time on a large drop (< 20%).
# Environment: BF_BUILD (default build/), BENCH_LATENCY_MS (100), BENCH_C (8), BENCH_B (32),
# BENCH_RECORDS (default 64 full windows: 64*C*B, so that neither the last partial window
# nor the process start weighs much in a figure meant as a steady rate). Prints one
# "name value unit" line per figure; exits 1 when a target is missed.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BF_BUILD:-$src/build}
export PATH="$build:$PATH"
lat=${BENCH_LATENCY_MS:-100} C=${BENCH_C:-8} B=${BENCH_B:-32}
N=${BENCH_RECORDS:-$((64 * C * B))}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bf-bench-enrich.XXXXXX")
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
export BF_STATE=$tmp/state.db
fail=0

# 1. model API throughput
python3 "$src/tests/servers/openai.py" --port-file "$tmp/port" --log "$tmp/req.log" \
	--dim 16 --latency "$lat" </dev/null >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
api=http://127.0.0.1:$(cat "$tmp/port")/v1
awk -v n="$N" 'BEGIN { print "{\"type\":\"SCHEMA\",\"stream\":\"wo\",\"schema\":{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}}}}";
	for (i = 1; i <= n; i++) printf "{\"type\":\"RECORD\",\"stream\":\"wo\",\"record\":{\"id\":%d,\"text\":\"bench text %d %d\",\"_bf_date\":\"2024-04-04\",\"_bf_location\":\"1\"}}\n", i, i, srand() }
	END { print "{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"1\",\"date\":\"2024-04-04\"}}}" }' </dev/null >"$tmp/model.ndjson"
t0=$(date +%s.%N)
bf-enrich --api-base "$api" --model bench --embed wo.text --batch-size "$B" --concurrency "$C" \
	<"$tmp/model.ndjson" >"$tmp/model.out"
t1=$(date +%s.%N)
out=$(grep -c '"text_embedding":\[' "$tmp/model.out")
[ "$out" = "$N" ] || { echo "enrich_model: $out of $N records enriched" >&2; fail=1; }
awk -v n="$N" -v a="$t0" -v b="$t1" -v c="$C" -v bb="$B" -v l="$lat" 'BEGIN {
	rate = n / (b - a); ideal = c * bb / (l / 1000.0);
	printf "enrich_model_records_per_s %.0f rec/s (C=%d B=%d latency=%dms)\n", rate, c, bb, l;
	printf "enrich_model_ideal %.0f rec/s\n", ideal;
	printf "enrich_model_efficiency %.1f %%\n", 100 * rate / ideal;
	exit rate / ideal < 0.9 }' || fail=1
# the same from the server's side: inputs answered between the first arrival and the
# last answer (no process start, no reading of the input before the first batch)
awk -v l="$lat" -v c="$C" -v bb="$B" '$3 == 200 { n += $5; if (first == "" || $1 < first) first = $1; if ($1 > last) last = $1 }
	END { if (n) { r = n / (last + l / 1000.0 - first);
		printf "enrich_model_server_side %.0f rec/s, %.1f %% of ideal\n", r, 100 * r / (c * bb / (l / 1000.0)) } }' "$tmp/req.log"
kill "$pid"; pid=

# 2. offline share of the pipeline's wall time (and of its CPU time: on a busy machine
# the wall time follows the CPU the stages need more than how they overlap)
have_drop=
if [ -x "$build/bf-sample" ] && [ -x "$build/bf-extract" ] && [ -x "$build/bf-load" ] &&
	"$build/bf-sample" --out "$tmp/drop" --days 60 --orders-per-day 3000 --locations 1 >/dev/null 2>&1; then
	"$build/bf-extract" --source "$tmp/drop" --all >"$tmp/drop.ndjson" 2>/dev/null ||
		"$build/bf-extract" "$tmp/drop" --all >"$tmp/drop.ndjson"
	input="$tmp/drop.ndjson" what="generated drop (bf-sample 60 days x 3000 orders)" have_drop=1
else
	awk 'BEGIN { print "{\"type\":\"SCHEMA\",\"stream\":\"order_details\",\"schema\":{\"type\":\"object\",\"properties\":{\"order_id\":{\"type\":[\"string\",\"null\"]},\"opened\":{\"type\":[\"string\",\"null\"]},\"closed\":{\"type\":[\"string\",\"null\"]},\"amount\":{\"type\":[\"string\",\"null\"]},\"tax\":{\"type\":[\"string\",\"null\"]},\"tip\":{\"type\":[\"string\",\"null\"]},\"total\":{\"type\":[\"string\",\"null\"]},\"server\":{\"type\":[\"string\",\"null\"]},\"duration_opened_to_paid\":{\"type\":[\"string\",\"null\"]}}},\"key_properties\":[\"order_id\"]}";
		for (d = 1; d <= 60; d++) { for (i = 1; i <= 3000; i++)
			printf "{\"type\":\"RECORD\",\"stream\":\"order_details\",\"record\":{\"order_id\":\"%d%05d\",\"opened\":\"%d/%d/24 %d:%02d AM\",\"closed\":\"%d/%d/24 %d:%02d PM\",\"amount\":\"%d.%02d\",\"tax\":\"%d.%02d\",\"tip\":\"%d.00\",\"total\":\"%d.%02d\",\"server\":\"Server %d\",\"duration_opened_to_paid\":\"0:%02d:%02d\",\"_bf_date\":\"2024-%02d-%02d\",\"_bf_location\":\"1\",\"_bf_source\":\"OrderDetails.csv\",\"_bf_line\":%d}}\n", d, i, (d%12)+1, (d%28)+1, i%12+1, i%60, (d%12)+1, (d%28)+1, i%12+1, i%60, i%90, i%100, i%9, i%100, i%20, i%120, i%100, i%30, i%60, i%60, (d%12)+1, (d%28)+1, i+1;
			printf "{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"1\",\"date\":\"2024-%02d-%02d\",\"source\":\"bench\"}}}\n", (d%12)+1, (d%28)+1 } }' >"$tmp/drop.ndjson"
	input="$tmp/drop.ndjson" what="synthetic NDJSON (60 days x 3000 orders)"
fi
rows=$(grep -c '"type":"RECORD"' "$input")
# stage NAME ARGS...: runs one stage of a pipeline, its stderr dropped, then prints
# "NAME SELF_USER SELF_SYS CHILDREN_USER CHILDREN_SYS" (bash's "times") on fd 3
cat >"$tmp/stage" <<'EOS'
#!/usr/bin/env bash
"$@" 2>/dev/null
rc=$?
times >"$0.$$"
{ printf '%s ' "$1"; tr '\n' ' ' <"$0.$$"; echo; } >&3
rm -f "$0.$$"
exit $rc
EOS
chmod +x "$tmp/stage"
if [ -n "${have_drop:-}" ]; then
	source_cmd=("$tmp/stage" bf-extract --source "$tmp/drop" --all)
	srcname=bf-extract
else
	source_cmd=("$tmp/stage" cat "$input")
	srcname=cat
fi
run_plain() { "${source_cmd[@]}" | "$tmp/stage" bf-load --target "$tmp/wh.db" -q; }
run_enriched() { "${source_cmd[@]}" | "$tmp/stage" bf-enrich | "$tmp/stage" bf-load --target "$tmp/wh.db" -q; }
run_alone() { "$tmp/stage" bf-enrich <"$input"; }
best() { # function: "WALL CPU" of the fastest of 3 runs (CPU: user+sys of every stage)
	local b= bc= t0 t1 t c
	for _ in 1 2 3; do
		rm -f "$tmp/wh.db" "$tmp/wh.db-wal" "$tmp/wh.db-shm" "$BF_STATE"*
		t0=$(date +%s.%N); "$1" >/dev/null 3>"$tmp/cpu"; t1=$(date +%s.%N)
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
		c=$(awk '{ for (i = 2; i <= NF; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } } END { print s }' "$tmp/cpu")
		if [ -z "$b" ] || awk -v a="$b" -v t="$t" 'BEGIN { exit !(t < a) }'; then
			b=$t bc=$c
			awk '{ s = 0; for (i = 2; i <= NF; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
				printf "%s%s %.2f", (NR > 1 ? ", " : ""), $1, s } END { print "" }' "$tmp/cpu" >"$tmp/cpu.$1"
		fi
	done
	echo "$b $bc"
}
plain=$(best run_plain)
enriched=$(best run_enriched)
alone=$(best run_alone)
echo "enrich_offline_input $rows records, $what"
echo "enrich_offline_alone ${alone% *} s wall, ${alone#* } s CPU ($(awk -v r="$rows" -v t="${alone#* }" 'BEGIN { printf "%.2f", 1e6 * t / r }') us CPU per record)"
echo "enrich_offline_pipeline_without ${plain% *} s wall, ${plain#* } s CPU ($(cat "$tmp/cpu.run_plain"))"
echo "enrich_offline_pipeline_with ${enriched% *} s wall, ${enriched#* } s CPU ($(cat "$tmp/cpu.run_enriched"))"
awk -v a="${plain#* }" -v b="${enriched#* }" 'BEGIN { printf "enrich_offline_added_cpu %.1f %%\n", 100 * (b - a) / a }'
awk -v a="${plain% *}" -v b="${enriched% *}" 'BEGIN { printf "enrich_offline_added %.1f %%\n", 100 * (b - a) / a; exit (b - a) / a >= 0.2 }' || fail=1
exit "$fail"
