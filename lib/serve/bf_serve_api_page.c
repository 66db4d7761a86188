/* GET /: the page `bf-report --html` writes, made when asked (live). */
#include "serve/bf_serve_int.h"

void serve_api_page(struct serve_req *q, struct serve_reply *r)
{
	struct bf_err err = { 0 };
	size_t len;
	char *html = serve_report_capture(q->sv, bf_report_html, &len, &err);
	if (!html)
		serve_reply_err(r, &err);
	else
		serve_reply_take(r, 200, "text/html; charset=utf-8", html, len);
}
