/* bf-serve's routing table: one line per endpoint. GET routes answer HEAD too. */
#include "serve/bf_serve_int.h"

#include <string.h>

static const struct serve_route routes[] = {
	/* method  path                               auth body handler */
	{ "GET",  "/",                                 0, 0, serve_api_page },
	{ "GET",  "/metrics",                          1, 0, serve_api_metrics },
	{ "GET",  "/api/backfill",                     1, 0, serve_api_backfill },
	{ "POST", "/api/backfill/run",                 1, 1, serve_api_run },
	{ "GET",  "/api/backfill/runs/*",              1, 0, serve_api_runlog },
	{ "GET",  "/api/analytics/closure-summary",    1, 0, serve_api_closures },
	{ "GET",  "/api/analytics/daily-trends",       1, 0, serve_api_trends },
	{ "GET",  "/api/search",                      1, 0, serve_api_search },
};

/* Whether path matches pattern; *arg: what a trailing '*' matched (one segment). */
static int path_match(const char *pattern, const char *path, const char **arg)
{
	size_t n = strlen(pattern);
	if (n && pattern[n - 1] == '*') {
		if (strncmp(pattern, path, n - 1))
			return 0;
		const char *rest = path + n - 1;
		if (!*rest || strchr(rest, '/'))
			return 0;
		*arg = rest;
		return 1;
	}
	*arg = NULL;
	return !strcmp(pattern, path);
}

int serve_route_find(const char *method, const char *path, const struct serve_route **out,
		     const char **arg, const char **allow)
{
	int seen = 0;
	const char *m = !strcmp(method, "HEAD") ? "GET" : method;
	*out = NULL;
	*allow = NULL;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (!path_match(routes[i].path, path, arg))
			continue;
		if (!strcmp(routes[i].method, m)) {
			*out = &routes[i];
			return ROUTE_FOUND;
		}
		seen = 1;
		*allow = !strcmp(routes[i].method, "GET") ? "GET, HEAD" : routes[i].method;
	}
	return seen ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}
