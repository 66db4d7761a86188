/* bf-serve's replies: JSON documents, {"error": ...}, query arguments. */
#include "serve/bf_serve_int.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"

void serve_reply_take(struct serve_reply *r, int status, const char *type, char *buf, size_t len)
{
	free(r->body);
	r->status = status;
	r->type = type;
	r->body = buf;
	r->len = len;
}

void serve_reply_json(struct serve_reply *r, int status, cJSON *root)
{
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!s) {
		serve_reply_take(r, 500, "application/json", bf_xstrdup("{\"error\":\"out of memory\"}"), 25);
		return;
	}
	size_t n = strlen(s);
	/* one line, like every JSON bf writes */
	char *t = bf_xmalloc(n + 2);
	memcpy(t, s, n);
	t[n] = '\n';
	t[n + 1] = '\0';
	cJSON_free(s);
	serve_reply_take(r, status, "application/json", t, n + 1);
}

void serve_reply_error(struct serve_reply *r, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	serve_reply_json(r, status, o);
}

void serve_reply_err(struct serve_reply *r, const struct bf_err *err)
{
	int status = err->code == BF_ETEMP || err->code == BF_ENOINPUT ? 503 : 500;
	serve_reply_error(r, status, "%s", err->msg[0] ? err->msg : "internal error");
}

const char *serve_query(const struct serve_req *q, const char *name)
{
	return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
}

int serve_query_date(const struct serve_req *q, const char *name, char iso[11])
{
	const char *s = serve_query(q, name);
	int32_t d;
	iso[0] = '\0';
	if (!s || !*s)
		return 0;
	if (bf_date_parse(s, &d))
		return -1;
	bf_date_iso(d, iso);
	return 1;
}
