/* Shards: which of N workers owns a partition (location, date), the same on every machine
 * and whatever the date selection (docs/DESIGN.md 1.3).
 *
 * The owner of (location, date) among N is jump consistent hash (Lamping and Veach) of a
 * 64-bit key: FNV-1a 64 over the location's bytes, one NUL byte and the date as
 * YYYY-MM-DD, then the splitmix64 finalizer. Shards are numbered 1..N ("shard 2 of 3").
 * The source is not part of the key: one drop read from two machines may have two
 * canonical names (a shared folder mounted at two paths), and must split the same way.
 *
 * A struct bf_shard owns nothing. */
#ifndef BF_SHARD_H
#define BF_SHARD_H

#include <stdint.h>

#include "base/bf_log.h"

struct bf_shard {
	int index;                 /* 1..count */
	int count;                 /* 0: not sharded (owns everything) */
	char how[200];             /* where the index came from, for messages ("" when given) */
};

/* The 64-bit key of a partition. */
uint64_t bf_shard_key(const char *location, const char *date_iso);
/* Jump consistent hash: the bucket 0..n-1 of key (n >= 1). */
int bf_shard_jump(uint64_t key, int n);
/* The shard (1..n) that owns the partition. */
int bf_shard_of(const char *location, const char *date_iso, int n);
/* 1 when s owns the partition (always when not sharded). */
int bf_shard_owns(const struct bf_shard *s, const char *location, const char *date_iso);

/* Looks a variable up (a test's table; NULL: getenv). */
typedef const char *bf_shard_getenv(const char *name);

/* Parses a --shard value: "K/N" (K from 1 to N), "auto" or "auto/N". auto reads the
 * scheduler's environment through get: a Slurm array task (SLURM_ARRAY_TASK_ID, less
 * SLURM_ARRAY_TASK_MIN, divided by SLURM_ARRAY_TASK_STEP, of SLURM_ARRAY_TASK_COUNT), or a
 * Kubernetes Indexed Job (JOB_COMPLETION_INDEX, 0-based, of the N of auto/N or
 * $BF_SHARD_COUNT), and says which in s->how. Returns 0 or BF_EUSAGE with err filled. */
int bf_shard_parse(const char *spec, bf_shard_getenv *get, struct bf_shard *s, struct bf_err *err);
/* Says on stderr which scheduler's variables gave the shard (auto), unless quiet, so that a
 * wrong index is seen at once; nothing for K/N. */
void bf_shard_say(const struct bf_shard *s);

#endif
