/* bf-report over several state files (state/bf_state_union.h): the files, which one a run
 * came from, and the partitions found in more than one. */
#include "stages/report/bf_report_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "state/bf_state.h"
#include "state/bf_state_union.h"

void report_states_free(struct bf_report *r)
{
	for (size_t i = 0; i < r->nstates; i++)
		free(r->states[i]);
	free(r->states);
	for (size_t i = 0; i < r->nconflicts; i++) {
		struct bf_report_conflict *c = &r->conflicts[i];
		free(c->source);
		free(c->location);
		free(c->date);
		free(c->states);
		free(c->counted);
	}
	free(r->conflicts);
}

static const char *state_at(const struct bf_report *r, long long k)
{
	return k >= 0 && (size_t)k < r->nstates ? r->states[k] : "?";
}

static int load_conflicts(struct bf_report *r, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	if ((rc = report_prepare(r, "SELECT a.source, a.location, a.date, a._bf_state, p._bf_state FROM _bf_all_partitions a"
				 " JOIN partitions p ON p.source = a.source AND p.location = a.location AND p.date = a.date"
				 " WHERE EXISTS (SELECT 1 FROM _bf_all_partitions b WHERE b.source = a.source"
				 " AND b.location = a.location AND b.date = a.date AND b._bf_state <> a._bf_state)"
				 " ORDER BY a.date, a.source, a.location, a._bf_state", &s, "partitions", err)))
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		const char *src = report_col(s, 0), *loc = report_col(s, 1), *date = report_col(s, 2);
		if (!src || !loc || !date || !report_wanted(r, src, loc, date))
			continue;
		struct bf_report_conflict *c = r->nconflicts ? &r->conflicts[r->nconflicts - 1] : NULL;
		if (!c || strcmp(c->source, src) || strcmp(c->location, loc) || strcmp(c->date, date)) {
			r->conflicts = bf_xrealloc(r->conflicts, (r->nconflicts + 1) * sizeof *r->conflicts);
			c = &r->conflicts[r->nconflicts++];
			c->source = bf_xstrdup(src);
			c->location = bf_xstrdup(loc);
			c->date = bf_xstrdup(date);
			c->states = bf_xstrdup(state_at(r, sqlite3_column_int64(s, 3)));
			c->counted = bf_xstrdup(state_at(r, sqlite3_column_int64(s, 4)));
			continue;
		}
		struct bf_buf b = BF_BUF_INIT;
		bf_buf_adds(&b, c->states);
		bf_buf_adds(&b, ", ");
		bf_buf_adds(&b, state_at(r, sqlite3_column_int64(s, 3)));
		free(c->states);
		c->states = bf_buf_detach(&b);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : report_db_fail(r, rc, "partitions", err);
}

int report_load_states(struct bf_report *r, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	if ((rc = report_prepare(r, "SELECT path FROM _bf_states ORDER BY idx", &s, "state files", err)))
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		r->states = bf_xrealloc(r->states, (r->nstates + 1) * sizeof *r->states);
		r->states[r->nstates++] = bf_xstrdup(report_col(s, 0) ? report_col(s, 0) : "");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return report_db_fail(r, rc, "state files", err);
	return load_conflicts(r, err);
}

const char *report_run_state(const struct bf_report *r, long long run_id)
{
	return r->nstates ? state_at(r, run_id / BF_STATE_RUN_STRIDE) : NULL;
}

void report_add_run_id(const struct bf_report *r, cJSON *o, long long run_id)
{
	cJSON_AddNumberToObject(o, "run_id", (double)(r->nstates ? run_id % BF_STATE_RUN_STRIDE : run_id));
	if (r->nstates)
		cJSON_AddStringToObject(o, "state", report_run_state(r, run_id));
}

void report_add_states(const struct bf_report *r, cJSON *root)
{
	if (!r->nstates) {
		cJSON_AddStringToObject(root, "state", r->path);
		return;
	}
	cJSON *a = cJSON_AddArrayToObject(root, "state");
	for (size_t i = 0; i < r->nstates; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(r->states[i]));
	cJSON *c = cJSON_AddArrayToObject(root, "conflicts");
	for (size_t i = 0; i < r->nconflicts; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "source", r->conflicts[i].source);
		cJSON_AddStringToObject(o, "location", r->conflicts[i].location);
		cJSON_AddStringToObject(o, "date", r->conflicts[i].date);
		cJSON_AddStringToObject(o, "states", r->conflicts[i].states);
		cJSON_AddStringToObject(o, "counted", r->conflicts[i].counted);
		cJSON_AddItemToArray(c, o);
	}
}
