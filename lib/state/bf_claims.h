/* Claims on dates in the state file (the claims table), so that two processes never work
 * on the same (source, date): one takes the date before working on it and gives it back
 * after. A claim holds while its lease runs and, on the claimant's own host, while its
 * process lives; the holder renews its leases while it works. Every call works on the
 * connection given, inside the caller's transaction if one is open. A claimant is a plain
 * value: nothing to free. */
#ifndef BF_CLAIMS_H
#define BF_CLAIMS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bf_log.h"

struct bf_claimant {
	int64_t run_id;            /* recorded with each claim */
	long pid;
	char host[256];
	double lease;              /* seconds a claim holds without renewal */
};

/* This process (getpid, gethostname; "localhost" when the name is unknown). */
void bf_claimant_init(struct bf_claimant *me, int64_t run_id, double lease);

/* Whether another live process holds source/date: *held 1 and holder gets "pid N on HOST";
 * 0 when the date is free, ours, or its claim is stale. Returns 0 or an exit code. */
int bf_claim_held(sqlite3 *db, const struct bf_claimant *me, const char *source, const char *date,
		  int *held, char *holder, size_t len, struct bf_err *err);
/* Takes source/date (over a stale claim too) with a fresh lease. Returns 0 or an exit code. */
int bf_claim_take(sqlite3 *db, const struct bf_claimant *me, const char *source, const char *date,
		  struct bf_err *err);
/* Gives source/date back if it is ours (best effort). */
void bf_claim_release(sqlite3 *db, const struct bf_claimant *me, const char *source, const char *date);
/* Extends the lease of every claim of ours (best effort). */
void bf_claims_renew(sqlite3 *db, const struct bf_claimant *me);
/* Calls fn(arg, date, holder) for each date of source that another live process holds
 * (best effort: nothing when the table cannot be read). */
void bf_claims_held(sqlite3 *db, const struct bf_claimant *me, const char *source,
		    void (*fn)(void *arg, const char *date, const char *holder), void *arg);

#endif
