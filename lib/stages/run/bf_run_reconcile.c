/* bf-run and the target's truth: before it plans, the state file is corrected from what
 * the target holds (stages/bf_load_reconcile.h), for this run's source only; --dry-run
 * opens the target read-only and writes nothing. The plan read before follows. */
#include "stages/run/bf_run_int.h"

#include "base/bf_exit.h"
#include "stages/bf_load_reconcile.h"

static void on_miss(void *arg, const struct bf_reconcile_miss *m)
{
	run_plan_missing(arg, m->location, m->date, m->elsewhere);
}

int run_reconcile(struct ctx *c, const char *path, struct bf_err *err)
{
	const struct bf_run_opts *o = c->o;
	struct bf_target_opts to = { 0 };
	if (!o->target || !c->target_key || !c->db)
		return 0;  /* a shell pipeline's target is not known; no state file yet */
	to.pg_schema = bf_target_schema_in_args(o->load_args.v, o->load_args.n);
	int rc = o->dry_run ? bf_load_reconcile_peek(c->db, path, !c->has_loads, o->target, &to, c->target_key,
						     c->canon, on_miss, c, NULL, err)
			    : bf_load_reconcile_spec(c->st, o->target, &to, c->target_key, c->canon, on_miss, c,
						     NULL, err);
	if (rc != BF_EUNAVAIL && rc != BF_ETEMP)
		return rc;
	/* a target out of reach now: the run goes on (its bf-load checks again when it
	 * starts, and the circuit breaker judges the outage) */
	bf_err_print(err);
	bf_warn(c->canon, "the target could not be checked against the state file; planned from the state file");
	*err = (struct bf_err){ 0 };
	return 0;
}
