/* Shards: the owner of a partition among N, and --shard's value (K/N, or the scheduler's). */
#include "base/bf_shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"

uint64_t bf_shard_key(const char *location, const char *date_iso)
{
	uint64_t h = 0xcbf29ce484222325ULL;  /* FNV-1a 64 */
	const unsigned char *p;
	for (p = (const unsigned char *)location; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h = (h ^ 0) * 0x100000001b3ULL;
	for (p = (const unsigned char *)date_iso; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	/* splitmix64's finalizer: FNV's low bits alone move little with the last byte */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

int bf_shard_jump(uint64_t key, int n)
{
	int64_t b = -1, j = 0;
	while (j < n) {
		b = j;
		key = key * 2862933555777941757ULL + 1;
		j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
	}
	return (int)b;
}

int bf_shard_of(const char *location, const char *date_iso, int n)
{
	return n <= 1 ? 1 : bf_shard_jump(bf_shard_key(location, date_iso), n) + 1;
}

int bf_shard_owns(const struct bf_shard *s, const char *location, const char *date_iso)
{
	return !s || s->count <= 1 || bf_shard_of(location, date_iso, s->count) == s->index;
}

/* A whole number from 0 to 1000000 with nothing around it; -1 otherwise. */
static long number(const char *s, size_t len)
{
	long v = 0;
	if (!len || len > 7)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static long env_number(bf_shard_getenv *get, const char *name, int *set)
{
	const char *v = get(name);
	*set = v && *v;
	return *set ? number(v, strlen(v)) : -1;
}

#define SHARD_MAX 100000

/* The Slurm array task's place in its array. */
static int from_slurm(bf_shard_getenv *get, long want, struct bf_shard *s, struct bf_err *err)
{
	int set;
	long id = env_number(get, "SLURM_ARRAY_TASK_ID", &set);
	long count = env_number(get, "SLURM_ARRAY_TASK_COUNT", &set);
	long min = env_number(get, "SLURM_ARRAY_TASK_MIN", &set);
	if (!set)
		min = 0;
	long step = env_number(get, "SLURM_ARRAY_TASK_STEP", &set);
	if (!set)
		step = 1;
	if (id < 0 || min < 0 || step < 1 || count < 1)
		return bf_fail(err, BF_EUSAGE, "--shard auto", "the Slurm array task's variables are not whole "
			       "numbers (SLURM_ARRAY_TASK_ID, _COUNT, _MIN, _STEP)");
	if (count == 1 && id > 1)
		return bf_fail(err, BF_EUSAGE, "--shard auto", "a Slurm array of one task (task %ld): it would be "
			       "shard 1 of 1, every partition; to run one shard again give --shard K/N", id);
	if (want > 0 && want != count)
		return bf_fail(err, BF_EUSAGE, "--shard auto", "auto/%ld, but the Slurm array has %ld tasks "
			       "(SLURM_ARRAY_TASK_COUNT)", want, count);
	if (id < min || (id - min) % step || (id - min) / step >= count)
		return bf_fail(err, BF_EUSAGE, "--shard auto", "Slurm array task %ld is not one of %ld tasks from "
			       "%ld by %ld: an array with gaps cannot number its shards; give --shard K/N",
			       id, count, min, step);
	s->index = (int)((id - min) / step) + 1;
	s->count = (int)count;
	snprintf(s->how, sizeof s->how, "Slurm array task %ld of SLURM_ARRAY_TASK_COUNT %ld from "
		 "SLURM_ARRAY_TASK_MIN %ld", id, count, min);
	return 0;
}

/* The Kubernetes Indexed Job's completion index (0-based). */
static int from_k8s(bf_shard_getenv *get, long want, struct bf_shard *s, struct bf_err *err)
{
	int set, cset;
	long idx = env_number(get, "JOB_COMPLETION_INDEX", &set);
	long count = want > 0 ? want : env_number(get, "BF_SHARD_COUNT", &cset);
	if (idx < 0)
		return bf_fail(err, BF_EUSAGE, "--shard auto", "JOB_COMPLETION_INDEX is not a whole number");
	if (count < 1)
		return bf_fail(err, BF_EUSAGE, "--shard auto", "JOB_COMPLETION_INDEX %ld, but how many shards? "
			       "give --shard auto/N or BF_SHARD_COUNT (the Job's completions)", idx);
	if (idx >= count)
		return bf_fail(err, BF_EUSAGE, "--shard auto", "JOB_COMPLETION_INDEX %ld is not below the %ld shards",
			       idx, count);
	s->index = (int)idx + 1;
	s->count = (int)count;
	snprintf(s->how, sizeof s->how, "Kubernetes JOB_COMPLETION_INDEX %ld (0-based) of %ld%s", idx, count,
		 want > 0 ? "" : " (BF_SHARD_COUNT)");
	return 0;
}

/* The process's environment. */
static const char *env_get(const char *name)
{
	return getenv(name);
}

int bf_shard_parse(const char *spec, bf_shard_getenv *get, struct bf_shard *s, struct bf_err *err)
{
	memset(s, 0, sizeof *s);
	if (!get)
		get = env_get;
	const char *slash = strchr(spec, '/');
	size_t head = slash ? (size_t)(slash - spec) : strlen(spec);
	long n = slash ? number(slash + 1, strlen(slash + 1)) : -1;
	if (slash && (n < 1 || n > SHARD_MAX))
		return bf_fail(err, BF_EUSAGE, "--shard", "expected K/N with N from 1 to %d, not \"%s\"", SHARD_MAX, spec);
	if (head == 4 && !strncmp(spec, "auto", 4)) {
		int set;
		if (get("SLURM_ARRAY_TASK_ID") && *get("SLURM_ARRAY_TASK_ID"))
			return from_slurm(get, n, s, err);
		env_number(get, "JOB_COMPLETION_INDEX", &set);
		if (set)
			return from_k8s(get, n, s, err);
		return bf_fail(err, BF_EUSAGE, "--shard auto", "no scheduler's index in the environment "
			       "(SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX); give --shard K/N (GNU parallel: "
			       "--shard {%%}/N)");
	}
	long k = number(spec, head);
	if (!slash || k < 0)
		return bf_fail(err, BF_EUSAGE, "--shard", "expected K/N (shard K of N, K from 1), auto or auto/N, "
			       "not \"%s\"", spec);
	if (k == 0)
		return bf_fail(err, BF_EUSAGE, "--shard", "shards are numbered from 1 to %ld, not from 0: for a "
			       "0-based index I give $((I + 1))/%ld, or --shard auto", n, n);
	if (k > n)
		return bf_fail(err, BF_EUSAGE, "--shard", "shard %ld of %ld: K goes from 1 to N", k, n);
	s->index = (int)k;
	s->count = (int)n;
	return 0;
}

void bf_shard_say(const struct bf_shard *s)
{
	if (s->how[0] && bf_log_level() >= 1)
		fprintf(stderr, "%s: shard %d of %d (%s)\n", bf_prog(), s->index, s->count, s->how);
}
