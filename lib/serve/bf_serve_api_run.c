/* POST /api/backfill/run: {"dates":[...]} | {"start_date":..,"end_date":..} | {"all":true},
 * with force, retry_failed, max_workers: bf-run started by the supervisor (202), or 409
 * while a run is going. The body is checked strictly (RFC 8259) before cJSON reads it. */
#include "serve/bf_serve_int.h"

#include "proto/bf_jsoncheck.h"

void serve_api_run(struct serve_req *q, struct serve_reply *r)
{
	struct bf_jsoncheck ck = { 0 };
	if (bf_jsoncheck(q->body, q->body_len, &ck)) {
		serve_reply_error(r, 400, "the body is not JSON: %s at byte %zu", ck.err_msg, ck.err_offset);
		return;
	}
	cJSON *body = cJSON_ParseWithLength(q->body, q->body_len);
	if (!body) {
		serve_reply_error(r, 400, "the body is not JSON");
		return;
	}
	serve_child_start(q->sv, body, r);
	cJSON_Delete(body);
}
