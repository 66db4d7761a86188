/* bf-report over several state files (state/bf_state_union.h): which file a run came from,
 * the files and their conflicts in JSON. (bf_report.c loads them.) */
#include "stages/report/bf_report_int.h"

#include "state/bf_state_union.h"

const char *report_run_state(const struct bf_report *r, long long run_id)
{
	return r->nstates ? report_state_at(r, run_id / BF_STATE_RUN_STRIDE) : NULL;
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
