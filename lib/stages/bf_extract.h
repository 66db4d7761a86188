/* bf-extract's core: reads the drop of each requested (location, date) partition from a
 * source and writes SCHEMA, RECORD and STATE messages (docs/DESIGN.md 2). Bad rows are
 * quarantined in the state file and counted; --strict makes the first one fatal. An entry
 * of a date folder that cannot or may not be read (sources/bf_source.h) fails its
 * partition, or with skip_unreadable is quarantined and counted in the STATE. */
#ifndef BF_EXTRACT_H
#define BF_EXTRACT_H

#include <stddef.h>

#include "base/bf_datesel.h"
#include "base/bf_shard.h"
#include "base/bf_log.h"
#include "sources/bf_source.h"

struct bf_extract_opts {
	const char *source;
	struct bf_datesel dates;
	char **locations;          /* only these locations (NULL: every one found) */
	size_t nlocations;
	const char *include;       /* file-name patterns, comma-separated; default "*.csv,*.csv.gz" */
	char delimiter;
	int force, strict;
	int skip_unreadable;       /* quarantine and count unreadable entries, not fail */
	int progress;              /* -1 quiet, 0 on a terminal, 1 always */
	const char *state_path;
	const char *target;        /* skip only partitions done in this target (a bf-load spec; */
	const char *pg_schema;     /* ... with its --pg-schema); NULL: $BF_TARGET, a target key */
	const char *args;          /* for the runs table */
	struct bf_source_opts src;  /* src.layout NULL: BF_LAYOUT_DEFAULT */
	struct bf_shard shard;     /* only the partitions this shard owns (count 0: every one) */
};

/* Returns the exit code: 0; 1 when rows or entries were quarantined, when partitions failed
 * over unreadable entries, or failed for different reasons; the failure's code when every
 * failure had the same one. */
int bf_extract_run(const struct bf_extract_opts *o, int out_fd, struct bf_err *err);

#endif
