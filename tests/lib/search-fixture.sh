# Fixtures shared by the bf-search CLI tests (sourced after test-lib.sh).

# wo_gen N DATE LOC [SEED [PREFIX]]: SCHEMA, N work orders of one partition, its STATE.
# Descriptions are 2-6 words of a small vocabulary (so that neighbours share words);
# ids are PREFIX-DATE-LOC-i (default PREFIX wo).
wo_gen() {
	awk -v n="$1" -v d="$2" -v loc="$3" -v seed="${4:-1}" -v pre="${5:-wo}" 'BEGIN {
		srand(seed)
		nv = split("ventilator alarm compressor cold room power cut freezer door leaking faucet " \
			"grease trap light bulb dining oven fan walk-in cooler ice machine broken noisy " \
			"motor belt filter drain clogged thermostat fault sensor pump valve", v, " ")
		printf "{\"type\":\"SCHEMA\",\"stream\":\"work_orders\",\"schema\":{\"type\":\"object\",\"properties\":{"
		printf "\"id\":{\"type\":\"string\"},\"description\":{\"type\":[\"string\",\"null\"]},"
		printf "\"priority\":{\"type\":\"integer\"},\"closure_indicator\":{\"type\":[\"boolean\",\"null\"]}}},"
		printf "\"key_properties\":[\"id\"]}\n"
		for (i = 1; i <= n; i++) {
			w = 2 + int(rand() * 5); t = ""
			for (k = 0; k < w; k++) t = t (k ? " " : "") v[1 + int(rand() * nv)]
			printf "{\"type\":\"RECORD\",\"stream\":\"work_orders\",\"record\":{\"id\":\"%s-%s-%s-%d\",", pre, d, loc, i
			printf "\"description\":\"%s\",\"priority\":\"%d\",\"_bf_date\":\"%s\",\"_bf_location\":\"%s\",", t, i % 5, d, loc
			printf "\"_bf_source\":\"wo.csv\",\"_bf_line\":%d}}\n", i + 1
		}
		printf "{\"type\":\"STATE\",\"value\":{\"bf\":{\"source\":\"t\",\"location\":\"%s\",\"date\":\"%s\",\"status\":\"ok\"}}}\n", loc, d
	}'
}

# search_ref ARGS...: the brute-force reference (tests/lib/search-ref.py).
search_ref() {
	python3 "$TEST_DIRECTORY/lib/search-ref.py" "$@"
}
