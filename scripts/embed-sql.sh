#!/bin/sh
# Embeds the numbered state migrations (state/NNN_name.sql) into C source on stdout.
# Each file becomes one string; its number is the schema version it brings the file to.
set -eu
printf '/* Generated from the state migrations by scripts/embed-sql.sh. Do not edit. */\n'
printf '#include "state/bf_state.h"\n\nconst struct bf_migration bf_migrations[] = {\n'
n=0
for f in "$@"; do
	base=$(basename "$f")
	ver=$(printf '%s' "$base" | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$/\1/p')
	[ -n "$ver" ] || { echo "embed-sql: $f: name must be NNN_name.sql" >&2; exit 65; }
	n=$((n + 1))
	[ "$ver" -eq "$n" ] || { echo "embed-sql: $f: expected migration $n, got $ver" >&2; exit 65; }
	printf '\t{ %s, "%s",\n' "$ver" "$base"
	awk '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "\t  \"%s\\n\"\n", $0 }' "$f"
	printf '\t},\n'
done
printf '};\nconst int bf_migrations_count = %d;\n' "$n"
