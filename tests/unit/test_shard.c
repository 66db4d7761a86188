/* Shards: the owner of a partition is stable (the documented function, its values pinned),
 * balanced for one location over many dates and many locations over few dates, moves
 * only to the new shard when N grows (jump consistent hash), and --shard's values. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/bf_exit.h"
#include "base/bf_shard.h"
#include "base/bf_time.h"
#include "tap.h"

/* The largest and smallest count of n buckets. */
static void spread(const int *cnt, int n, int *lo, int *hi)
{
	*lo = *hi = cnt[0];
	for (int i = 1; i < n; i++) {
		if (cnt[i] < *lo)
			*lo = cnt[i];
		if (cnt[i] > *hi)
			*hi = cnt[i];
	}
}

/* Pearson's chi-square of the counts against an even split. */
static double chi2(const int *cnt, int n, int total)
{
	double e = (double)total / n, x = 0;
	for (int i = 0; i < n; i++)
		x += (cnt[i] - e) * (cnt[i] - e) / e;
	return x;
}

/* chi-square's 99.9th percentile for k degrees of freedom (Wilson-Hilferty). */
static double chi2_999(int k)
{
	double z = 3.090, a = 2.0 / (9.0 * k);
	return k * pow(1 - a + z * sqrt(a), 3);
}

static void balance(const char *what, int nloc, int ndays, int n, double bound)
{
	int cnt[16] = { 0 };
	char loc[16], iso[11];
	for (int l = 0; l < nloc; l++) {
		snprintf(loc, sizeof loc, "%d", 185129 + l);
		for (int d = 0; d < ndays; d++) {
			int32_t day;
			bf_date_parse("2023-01-01", &day);
			bf_date_iso(day + d, iso);
			cnt[bf_shard_of(loc, iso, n) - 1]++;
		}
	}
	int lo, hi;
	spread(cnt, n, &lo, &hi);
	double x = chi2(cnt, n, nloc * ndays);
	ok(lo > 0 && (double)hi / lo <= bound, "%s, %d shards: largest/smallest share %d/%d = %.3f <= %.2f", what, n, hi,
	   lo, lo ? (double)hi / lo : 0, bound);
	ok(x < chi2_999(n - 1), "%s, %d shards: chi-square %.2f under %.2f (even split, p 0.001)", what, n, x,
	   chi2_999(n - 1));
}

static const char *const *fake_env;

static const char *fake_get(const char *name)
{
	for (size_t i = 0; fake_env && fake_env[i]; i += 2)
		if (!strcmp(fake_env[i], name))
			return fake_env[i + 1];
	return NULL;
}

static int parse(const char *spec, const char *const *env, struct bf_shard *s)
{
	struct bf_err err = { 0 };
	fake_env = env;
	int rc = bf_shard_parse(spec, fake_get, s, &err);
	if (rc)
		diag("%s: %s", spec, err.msg);
	return rc;
}

int main(void)
{
	/* the documented function: these values are what docs/DESIGN.md's reference gives */
	is_int(bf_shard_key("185129", "2024-04-04"), (long long)0x1d459ddf89ad54c4ULL, "key of (185129, 2024-04-04)");
	is_int(bf_shard_key("", "2024-01-01"), (long long)0xcddbc896e4ab6b00ULL, "key of ('', 2024-01-01): no location");
	is_int(bf_shard_of("185129", "2024-04-04", 3), 2, "(185129, 2024-04-04) is shard 2 of 3");
	is_int(bf_shard_of("185130", "2024-04-04", 3), 3, "(185130, 2024-04-04) is shard 3 of 3");
	is_int(bf_shard_of("185129", "2024-04-05", 3), 1, "(185129, 2024-04-05) is shard 1 of 3");
	is_int(bf_shard_of("185129", "2024-04-04", 1), 1, "one shard owns everything");
	ok(bf_shard_key("ab", "2024-01-01") != bf_shard_key("a", "b2024-01-01"), "a NUL byte between location and date");

	/* balanced: one location over 432 dates, 300 locations over 3 dates */
	for (int n = 2; n <= 8; n++) {
		balance("1 location x 432 dates", 1, 432, n, n <= 4 ? 1.35 : 1.6);
		balance("300 locations x 3 dates", 300, 3, n, n <= 4 ? 1.2 : 1.45);
	}

	/* growing N moves partitions only to the new shard, about 1/(N+1) of them */
	for (int n = 2; n <= 6; n++) {
		int moved = 0, wrong = 0, total = 0;
		char loc[16], iso[11];
		for (int l = 0; l < 50; l++)
			for (int d = 0; d < 100; d++) {
				snprintf(loc, sizeof loc, "L%d", l);
				bf_date_iso(19723 + d, iso);
				int a = bf_shard_of(loc, iso, n), b = bf_shard_of(loc, iso, n + 1);
				moved += a != b;
				wrong += a != b && b != n + 1;
				total++;
			}
		ok(!wrong, "%d -> %d shards: whatever moves, moves to the new shard", n, n + 1);
		double share = (double)moved / total, want = 1.0 / (n + 1);
		ok(fabs(share - want) < 0.25 * want, "%d -> %d shards: %.3f of the partitions move (1/%d = %.3f)", n,
		   n + 1, share, n + 1, want);
	}

	/* every partition has exactly one owner */
	{
		struct bf_shard s[3];
		int owners_ok = 1;
		for (int k = 0; k < 3; k++)
			s[k] = (struct bf_shard){ k + 1, 3, "" };
		for (int d = 0; d < 200; d++) {
			char iso[11];
			bf_date_iso(19723 + d, iso);
			int owners = 0;
			for (int k = 0; k < 3; k++)
				owners += bf_shard_owns(&s[k], "185129", iso);
			owners_ok &= owners == 1;
		}
		ok(owners_ok, "each of 200 partitions is owned by exactly one of 3 shards");
		ok(bf_shard_owns(NULL, "x", "2024-01-01"), "no shard: owns everything");
	}

	/* --shard's values */
	struct bf_shard s;
	static const char *const none[] = { NULL };
	ok(!parse("2/3", none, &s) && s.index == 2 && s.count == 3 && !s.how[0], "2/3 is shard 2 of 3");
	ok(!parse("1/1", none, &s) && s.index == 1 && s.count == 1, "1/1");
	ok(parse("0/3", none, &s) == BF_EUSAGE, "0/3 refused: shards count from 1");
	ok(parse("4/3", none, &s) == BF_EUSAGE, "4/3 refused");
	ok(parse("2/0", none, &s) == BF_EUSAGE, "2/0 refused");
	ok(parse("two/3", none, &s) == BF_EUSAGE && parse("2", none, &s) == BF_EUSAGE &&
	   parse("2/3x", none, &s) == BF_EUSAGE && parse("-1/3", none, &s) == BF_EUSAGE, "malformed values refused");
	ok(parse("auto", none, &s) == BF_EUSAGE, "auto without a scheduler's variables refused");

	static const char *const slurm[] = { "SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_MIN", "4",
					     "SLURM_ARRAY_TASK_COUNT", "3", NULL };
	ok(!parse("auto", slurm, &s) && s.index == 2 && s.count == 3 && strstr(s.how, "Slurm"),
	   "Slurm task 5 of an array 4-6: shard 2 of 3 (%s)", s.how);
	ok(parse("auto/4", slurm, &s) == BF_EUSAGE, "auto/4 against a Slurm array of 3 refused");
	static const char *const slurm0[] = { "SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_COUNT", "3", NULL };
	ok(!parse("auto", slurm0, &s) && s.index == 1 && s.count == 3, "Slurm task 0 without _MIN: shard 1 of 3");
	static const char *const slurm_step[] = { "SLURM_ARRAY_TASK_ID", "6", "SLURM_ARRAY_TASK_MIN", "2",
						  "SLURM_ARRAY_TASK_STEP", "2", "SLURM_ARRAY_TASK_COUNT", "3", NULL };
	ok(!parse("auto", slurm_step, &s) && s.index == 3 && s.count == 3, "Slurm array 2-6:2, task 6: shard 3 of 3");
	static const char *const slurm_one[] = { "SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_MIN", "3",
		"SLURM_ARRAY_TASK_COUNT", "1", NULL };
	ok(parse("auto", slurm_one, &s) == BF_EUSAGE, "a one-task Slurm array --array=3 (a shard run again) refused");
	static const char *const slurm_single[] = { "SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "1",
		"SLURM_ARRAY_TASK_COUNT", "1", NULL };
	ok(!parse("auto", slurm_single, &s) && s.index == 1 && s.count == 1, "a one-task array --array=1: shard 1 of 1");
	static const char *const slurm_gap[] = { "SLURM_ARRAY_TASK_ID", "9", "SLURM_ARRAY_TASK_MIN", "1",
						 "SLURM_ARRAY_TASK_COUNT", "3", NULL };
	ok(parse("auto", slurm_gap, &s) == BF_EUSAGE, "Slurm array with gaps (1,4,9) refused");

	static const char *const k8s[] = { "JOB_COMPLETION_INDEX", "0", NULL };
	ok(!parse("auto/3", k8s, &s) && s.index == 1 && s.count == 3 && strstr(s.how, "JOB_COMPLETION_INDEX"),
	   "Kubernetes index 0 with auto/3: shard 1 of 3 (%s)", s.how);
	ok(parse("auto", k8s, &s) == BF_EUSAGE, "Kubernetes index without a count refused");
	static const char *const k8s_count[] = { "JOB_COMPLETION_INDEX", "2", "BF_SHARD_COUNT", "3", NULL };
	ok(!parse("auto", k8s_count, &s) && s.index == 3 && s.count == 3, "index 2 with BF_SHARD_COUNT=3: shard 3 of 3");
	static const char *const k8s_big[] = { "JOB_COMPLETION_INDEX", "3", "BF_SHARD_COUNT", "3", NULL };
	ok(parse("auto", k8s_big, &s) == BF_EUSAGE, "index 3 of 3 refused");
	return done_testing();
}
