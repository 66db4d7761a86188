/* bf-run --dry-run: the plan, as text or JSON (--json), on stdout; command lines and the
 * target with any secret masked. */
#include "stages/run/bf_run_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_redact.h"

static const char *const plan_names[] = { "new", "failed", "done", "pending" };

static const char *action(const struct ctx *c, const struct item *t)
{
	if (t->st == RS_SKIP)
		return t->plan == P_DONE ? "skip (done)" : c->o->retry_failed ? "skip (not failed)" : "skip";
	if (t->busy)
		return "wait (claimed by another run)";
	return t->plan == P_DONE ? "redo (--force)" : t->plan == P_FAILED ? "retry" :
	       t->plan == P_PENDING ? "resume" : "run";
}

/* The partitions of the planned dates that are this shard's. */
static long long owned_parts(const struct ctx *c)
{
	long long n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->it[i].nown;
	return n;
}

static void print_cmdline(struct bf_buf *b, char *const *argv, const char *dates)
{
	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];
		if (i)
			bf_buf_addc(b, ' ');
		if (i == 0 && strrchr(a, '/'))
			a = strrchr(a, '/') + 1;
		char *m = bf_redact(a);
		bf_buf_adds(b, m);
		free(m);
	}
	if (dates)
		bf_buf_addf(b, " --dates %s", dates);
}

int run_dry_run(struct ctx *c)
{
	size_t counts[4] = { 0 }, run = 0;
	for (size_t i = 0; i < c->n; i++) {
		counts[c->it[i].plan]++;
		run += c->it[i].st == RS_TODO;
	}
	size_t pipes = (run + c->batch - 1) / c->batch;
	if (c->o->json) {
		cJSON *r = cJSON_CreateObject();
		char *target = bf_redact(c->o->target ? c->o->target : "");
		cJSON_AddStringToObject(r, "source", c->canon);
		cJSON_AddStringToObject(r, "target", target);
		free(target);
		if (c->target_key)
			cJSON_AddStringToObject(r, "target_key", c->target_key);
		cJSON *p = cJSON_AddArrayToObject(r, "pipeline");
		for (size_t s = 0; s < c->nstages; s++) {
			cJSON *a = cJSON_CreateArray();
			for (size_t k = 0; k < c->stages[s].argv.n; k++) {
				char *m = bf_redact(k ? c->stages[s].argv.v[k] : c->stages[s].name);
				cJSON_AddItemToArray(a, cJSON_CreateString(m));
				free(m);
			}
			cJSON_AddItemToArray(p, a);
		}
		cJSON_AddNumberToObject(r, "max_workers", c->o->max_workers);
		cJSON_AddNumberToObject(r, "batch_size", (double)c->batch);
		cJSON_AddBoolToObject(r, "batch_adapted", c->o->batch_size <= 0);
		cJSON *cn = cJSON_AddObjectToObject(r, "counts");
		for (int k = 0; k < 4; k++)
			cJSON_AddNumberToObject(cn, plan_names[k], (double)counts[k]);
		cJSON_AddNumberToObject(cn, "to_run", (double)run);
		if (c->shard_arg[0]) {
			cJSON *sh = cJSON_AddObjectToObject(r, "shard");
			cJSON_AddNumberToObject(sh, "index", c->o->shard.index);
			cJSON_AddNumberToObject(sh, "count", c->o->shard.count);
			if (c->o->shard.how[0])
				cJSON_AddStringToObject(sh, "from", c->o->shard.how);
			cJSON_AddNumberToObject(sh, "partitions", (double)owned_parts(c));
			cJSON_AddNumberToObject(sh, "partitions_to_run", (double)c->parts_todo);
		}
		cJSON_AddNumberToObject(r, "pipelines", (double)pipes);
		cJSON *ds = cJSON_AddArrayToObject(r, "dates");
		for (size_t q = 0; q < c->n; q++) {
			const struct item *t = &c->it[c->order[q]];
			cJSON *d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "date", t->iso);
			cJSON_AddStringToObject(d, "status", plan_names[t->plan]);
			cJSON_AddStringToObject(d, "action", action(c, t));
			cJSON_AddBoolToObject(d, "will_run", t->st == RS_TODO);
			cJSON_AddNumberToObject(d, "attempts", (double)t->attempts);
			if (t->own) {
				cJSON *ls = cJSON_AddArrayToObject(d, "locations");
				for (size_t k = 0; k < c->nloc; k++)
					if (t->own[k])
						cJSON_AddItemToArray(ls, cJSON_CreateString(c->locs[k]));
			}
			if (t->last_error)
				cJSON_AddStringToObject(d, "last_error", t->last_error);
			cJSON_AddItemToArray(ds, d);
		}
		char *s = cJSON_Print(r);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(r);
		return 0;
	}
	struct bf_buf b = BF_BUF_INIT;
	for (size_t s = 0; s < c->nstages; s++) {
		bf_buf_adds(&b, s ? " | " : "");
		if (c->o->shell_pipeline) {
			char *m = bf_redact(c->o->shell_pipeline);
			bf_buf_addf(&b, "%s -c '%s' bf-run D...", c->stages[0].path, m);
			free(m);
		}
		else
			print_cmdline(&b, c->stages[s].argv.v, s ? NULL : "D,...");
	}
	char *target = bf_redact(c->o->target ? c->o->target : "the shell pipeline's target");
	printf("plan: %zu dates from %s into %s: %zu new, %zu failed before, %zu done, %zu pending\n",
	       c->n, c->canon, target, counts[P_NEW], counts[P_FAILED], counts[P_DONE], counts[P_PENDING]);
	free(target);
	if (c->shard_arg[0])
		printf("shard %d of %d%s%s%s: %lld of the dates' partitions are this shard's, %lld to run\n",
		       c->o->shard.index, c->o->shard.count, c->o->shard.how[0] ? " (" : "", c->o->shard.how,
		       c->o->shard.how[0] ? ")" : "", owned_parts(c), c->parts_todo);
	printf("would run %zu dates in %s%zu pipelines of up to %zu dates%s, %d at once:\n  %s\n", run,
	       c->o->batch_size > 0 ? "" : "at least ", pipes, c->batch,
	       c->o->batch_size > 0 ? "" : " (from 1, adapted to the time per date)", c->o->max_workers, b.p);
	bf_buf_free(&b);
	for (size_t q = 0; q < c->n; q++) {
		const struct item *t = &c->it[c->order[q]];
		printf("%s  %-8s %s", t->iso, plan_names[t->plan], action(c, t));
		if (t->attempts)
			printf(" (%lld attempts)", t->attempts);
		if (t->plan == P_FAILED && t->last_error)
			printf(": %s", t->last_error);
		if (t->busy)
			printf(" [%s]", t->holder);
		if (t->own && t->nown < (int)c->nloc)
			printf(" (%d of %zu locations)", t->nown, c->nloc);
		putchar('\n');
	}
	return 0;
}
