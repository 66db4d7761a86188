/* This run's claims on its dates (state/bf_claims.h): taken as each batch is formed, in the
 * round's transaction, given back when a date is finished, renewed while the run works. */
#include "stages/run/bf_run_int.h"

#include <stdio.h>

#include "base/bf_time.h"

static void mark_busy(void *arg, const char *date, const char *holder)
{
	struct item *t = run_find_item(arg, date);
	if (t) {
		t->busy = 1;
		snprintf(t->holder, sizeof t->holder, "%s", holder);
	}
}

void run_look_at_claims(struct ctx *c)
{
	bf_claims_held(c->db, &c->me, c->canon, mark_busy, c);
}

int run_claim(struct ctx *c, struct item *t, int *res, struct bf_err *err)
{
	int rc, held;
	*res = CLAIM_OK;
	if ((rc = run_txn_begin(c, err)) ||
	    (rc = bf_claim_held(c->db, &c->me, c->canon, t->iso, &held, t->holder, sizeof t->holder, err)))
		return rc;
	if (held) {
		*res = CLAIM_BUSY;
		return 0;
	}
	/* done by another run meanwhile? (a retry or --force redoes it anyway) */
	if (!c->o->force && t->tries == 0) {
		if ((rc = run_load_status(c, t->iso, t->iso, err)))
			return rc;
		if (t->plan == P_DONE) {
			*res = CLAIM_DONE;
			return 0;
		}
	}
	return bf_claim_take(c->db, &c->me, c->canon, t->iso, err);
}

void run_release(struct ctx *c, struct item *t)
{
	bf_claim_release(c->db, &c->me, c->canon, t->iso);
}

void run_renew(struct ctx *c)
{
	int64_t now = bf_mono_ms();
	if (now - c->last_renew < (int64_t)(c->o->lease * 1000 / 4))
		return;
	c->last_renew = now;
	bf_claims_renew(c->db, &c->me);
}
