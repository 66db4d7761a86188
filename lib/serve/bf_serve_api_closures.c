/* GET /api/analytics/closure-summary: the document `bf-report closures --json` prints for
 * the server's source, with three members added for dashboards: "total" (closed
 * location-days), "weekends" (Saturdays and Sundays judged and closed) and
 * "holiday_periods" (the holiday-like closures: closed on a weekday that is usually open). */
#include "serve/bf_serve_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/bf_json.h"

static int closures_json(struct bf_report *rep, FILE *out, struct bf_err *err)
{
	return bf_report_closures(rep, 1, out, err);
}

void serve_api_closures(struct serve_req *q, struct serve_reply *r)
{
	struct bf_err err = { 0 };
	size_t len;
	char *js = serve_report_capture(q->sv, closures_json, &len, &err);
	if (!js) {
		serve_reply_err(r, &err);
		return;
	}
	cJSON *root = cJSON_ParseWithLength(js, len);
	free(js);
	if (!root) {
		serve_reply_error(r, 500, "bf-report closures wrote no JSON");
		return;
	}
	const cJSON *parts = cJSON_GetObjectItemCaseSensitive(root, "partitions"), *w;
	cJSON_AddNumberToObject(root, "total", bf_json_num(parts, "closed"));
	double judged = 0, closed = 0;
	cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(root, "by_weekday")) {
		const char *d = bf_json_str(w, "weekday");
		if (d && (!strcmp(d, "Sat") || !strcmp(d, "Sun"))) {
			judged += bf_json_num(w, "judged");
			closed += bf_json_num(w, "closed");
		}
	}
	cJSON *we = cJSON_AddObjectToObject(root, "weekends");
	cJSON_AddNumberToObject(we, "judged", judged);
	cJSON_AddNumberToObject(we, "closed", closed);
	cJSON_AddNumberToObject(we, "closed_share", judged > 0 ? round(closed / judged * 10000) / 10000 : 0);
	cJSON *hl = cJSON_GetObjectItemCaseSensitive(root, "holiday_like");
	cJSON_AddItemToObject(root, "holiday_periods", hl ? cJSON_Duplicate(hl, 1) : cJSON_CreateArray());
	serve_reply_json(r, 200, root);
}
