/* Several state files read as one: the shards of a backfill, each run with its own state
 * file, reported on together (bf-report, bf-serve).
 *
 * bf_state_expand turns the --state arguments into paths: an argument holding *, ? or [
 * is a glob(3) pattern (expanded by bf, no shell; its matches sorted by name), anything
 * else a path; a file named twice (the same device and inode) is kept once. The caller
 * frees the paths with bf_state_paths_free.
 *
 * bf_state_open_union opens each file read-only (never created, written or migrated),
 * checks it as bf_state_open_readonly does, and copies what the reports read into one
 * in-memory database: a snapshot, taken file by file (ATTACH, copy, DETACH), so that any
 * number of files can be read. Its tables have the state file's names and columns (the
 * columns of every file, NULL where a file has none) plus _bf_state, the index of the
 * file in paths (the table _bf_states: idx, path). Run ids stay unique: a row of file k
 * holds run_id + k * BF_STATE_RUN_STRIDE (so those of the first file are unchanged).
 *
 * Partitions are meant to be disjoint across files. One found in several is a conflict:
 * every copy stays in _bf_all_partitions, and partitions holds the one that counts, the
 * one finished last (finished_at, then updated_at; the earlier file on a tie); closures
 * and quarantine keep that file's rows for it only. Runs, run dates, metrics, errors and
 * alerts are kept from every file (they happened). The caller owns the connection
 * (sqlite3_close). */
#ifndef BF_STATE_UNION_H
#define BF_STATE_UNION_H

#include <stddef.h>
#include <sqlite3.h>

#include "base/bf_log.h"

#define BF_STATE_RUN_STRIDE 4294967296LL

/* BF_ENOINPUT when a pattern matches nothing or a path does not exist. */
int bf_state_expand(const char *const *args, size_t nargs, char ***paths, size_t *npaths,
		    struct bf_err *err);
void bf_state_paths_free(char **paths, size_t n);

/* Exit codes as bf_state_open_readonly's, err naming the file at fault. */
int bf_state_open_union(const char *const *paths, size_t n, sqlite3 **out, struct bf_err *err);

#endif
