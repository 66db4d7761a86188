/* GET /metrics: the Prometheus text exposition `bf-report --prometheus` writes. */
#include "serve/bf_serve_int.h"

void serve_api_metrics(struct serve_req *q, struct serve_reply *r)
{
	struct bf_err err = { 0 };
	size_t len;
	char *text = serve_report_capture(q->sv, bf_report_prometheus, &len, &err);
	if (!text)
		serve_reply_err(r, &err);
	else
		serve_reply_take(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}
