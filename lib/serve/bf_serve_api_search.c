/* GET /api/search?q=&k=&mode=&stream=&column=&start_date=&end_date=&location=
 * &include_closures=&exact=: lib/search over the warehouse, in-process, the results as
 * bf-search --json prints them (each one an element of "results"). One search engine per
 * server, opened on the first query and kept (its vectors stay in memory between
 * queries, refreshed when bf-load replaced a partition); queries take turns on it. It
 * never writes to the warehouse, so that it never holds up a loader: the text index is
 * made by bf-search --index. */
#include "serve/bf_serve_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "search/bf_search.h"
#include "search/bf_search_out.h"

void serve_search_init(struct serve *sv)
{
	pthread_mutex_init(&sv->search_mu, NULL);
}

void serve_search_fini(struct serve *sv)
{
	bf_search_close(sv->search);
	sv->search = NULL;
	pthread_mutex_destroy(&sv->search_mu);
}

/* A query argument as a flag: absent, "0" or "false" are no. */
static int flag(const char *v)
{
	return v && strcmp(v, "0") && strcmp(v, "false");
}

/* Fills sq from the request (its dates into dates[2]); 0, or an error reply in r. */
static int parse(struct serve_req *q, struct bf_search_query *sq, char dates[2][11], struct serve_reply *r)
{
	const char *v;
	sq->text = serve_query(q, "q");
	if (!sq->text || !*sq->text) {
		serve_reply_error(r, 400, "q: the query is missing");
		return -1;
	}
	sq->k = 10;
	if ((v = serve_query(q, "k"))) {
		char *end;
		long long k = strtoll(v, &end, 10);
		if (end == v || *end || k < 1 || k > 1000) {
			serve_reply_error(r, 400, "k: a number from 1 to 1000, not \"%s\"", v);
			return -1;
		}
		sq->k = (size_t)k;
	}
	sq->mode = BF_SEARCH_VECTOR;
	if ((v = serve_query(q, "mode"))) {
		if (!strcmp(v, "vector"))
			sq->mode = BF_SEARCH_VECTOR;
		else if (!strcmp(v, "text"))
			sq->mode = BF_SEARCH_TEXT;
		else if (!strcmp(v, "hybrid"))
			sq->mode = BF_SEARCH_HYBRID;
		else {
			serve_reply_error(r, 400, "mode: vector, text or hybrid, not \"%s\"", v);
			return -1;
		}
	}
	static const char *const names[2] = { "start_date", "end_date" };
	const char **to[2] = { &sq->filter.start_date, &sq->filter.end_date };
	for (int i = 0; i < 2; i++) {
		int has = serve_query_date(q, names[i], dates[i]);
		if (has < 0) {
			serve_reply_error(r, 400, "%s: a date YYYY-MM-DD, not \"%s\"", names[i], serve_query(q, names[i]));
			return -1;
		}
		*to[i] = has ? dates[i] : NULL;
	}
	sq->stream = serve_query(q, "stream");
	sq->column = serve_query(q, "column");
	sq->filter.location = serve_query(q, "location");
	sq->filter.include_closures = flag(serve_query(q, "include_closures"));
	sq->index = flag(serve_query(q, "exact")) ? 0 : -1;
	return 0;
}

/* The reply: what was searched, and the lines of bf-search --json as one array. */
static void reply(struct serve_reply *r, const struct bf_search_query *sq,
		  const struct bf_search_results *res)
{
	static const char *const modes[] = { "vector", "text", "hybrid" };
	struct bf_buf lines = BF_BUF_INIT;
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	cJSON_AddStringToObject(o, "query", sq->text);
	cJSON_AddStringToObject(o, "mode", modes[sq->mode]);
	cJSON_AddStringToObject(o, "stream", res->stream ? res->stream : "");
	if (res->column)
		cJSON_AddStringToObject(o, "column", res->column);
	else
		cJSON_AddNullToObject(o, "column");
	cJSON_AddBoolToObject(o, "used_index", res->used_index);
	bf_search_format_json(res, &lines);
	for (char *p = lines.p, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		cJSON_AddItemToArray(arr, cJSON_Parse(p));
	}
	bf_buf_free(&lines);
	cJSON_AddItemToObject(o, "results", arr);
	serve_reply_json(r, 200, o);
}

void serve_api_search(struct serve_req *q, struct serve_reply *r)
{
	struct serve *sv = q->sv;
	struct bf_search_query sq = { 0 };
	struct bf_search_results res = { 0 };
	struct bf_err err = { 0 };
	char dates[2][11];
	int rc = 0;
	if (parse(q, &sq, dates, r))
		return;
	pthread_mutex_lock(&sv->search_mu);
	if (!sv->search) {
		struct bf_search_opts so = { .pg_schema = sv->o->pg_schema, .api_key = getenv("BF_API_KEY"),
					     .keep = 1, .read_only = 1 };
		rc = bf_search_open(sv->o->target, &so, &sv->search, &err);
	}
	if (!rc)
		rc = bf_search_query(sv->search, &sq, &res, &err);
	if (rc && rc != BF_EUSAGE && rc != BF_ECONFIG) {
		/* the connection may be what failed: the next query opens a new one */
		bf_search_close(sv->search);
		sv->search = NULL;
	}
	pthread_mutex_unlock(&sv->search_mu);
	if (rc == BF_EUSAGE || rc == BF_ECONFIG)
		serve_reply_error(r, 400, "%s", err.msg);
	else if (rc)
		serve_reply_err(r, &err);
	else
		reply(r, &sq, &res);
	bf_search_results_free(&res);
}
