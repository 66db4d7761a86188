/* bf-run --shard K/N: the run works on the partitions (location, date) shard K owns
 * (base/bf_shard.h): a date none of whose partitions is its own is left out of the plan,
 * and of the others only its own locations are planned, run, judged and counted. */
#include "stages/run/bf_run_int.h"

#include <stdlib.h>

#include "base/bf_buf.h"
#include "base/bf_time.h"

/* How many of the locations' partitions of day the shard owns. */
static size_t owned(const struct ctx *c, int32_t day)
{
	char iso[11];
	size_t n = 0;
	bf_date_iso(day, iso);
	for (size_t k = 0; k < c->nloc; k++)
		n += (size_t)bf_shard_owns(&c->o->shard, c->locs[k], iso);
	return n;
}

size_t run_shard_days(const struct ctx *c, int32_t *days, size_t n)
{
	size_t kept = 0;
	if (c->o->shard.count <= 1)
		return n;
	for (size_t i = 0; i < n; i++)
		if (owned(c, days[i]))
			days[kept++] = days[i];
	return kept;
}

void run_shard_item(const struct ctx *c, struct item *t)
{
	t->nown = (int)c->nloc;
	if (c->o->shard.count <= 1)
		return;
	t->own = bf_xcalloc(c->nloc ? c->nloc : 1, 1);
	t->nown = 0;
	for (size_t k = 0; k < c->nloc; k++) {
		t->own[k] = (unsigned char)bf_shard_owns(&c->o->shard, c->locs[k], t->iso);
		t->nown += t->own[k];
	}
}
