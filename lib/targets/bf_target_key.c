/* The key of a target in the state file: one spelling per place a partition can be loaded
 * to, so that "done" is asked of the target at hand (state/002_loads_progress.sql). */
#include "targets/bf_target.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_redact.h"

/* path made absolute: the real path of its folder (which may not exist yet: then the
 * current folder joined) and its own name */
static void add_abs_path(struct bf_buf *b, const char *path)
{
	char *copy = bf_xstrdup(path);
	char *slash = strrchr(copy, '/');
	const char *name = slash ? slash + 1 : copy;
	char *dir = NULL;
	if (slash)
		*slash = '\0';
	dir = realpath(slash ? (*copy ? copy : "/") : ".", NULL);
	if (dir) {
		bf_buf_adds(b, dir);
		if (strcmp(dir, "/"))
			bf_buf_addc(b, '/');
		free(dir);
	} else if (path[0] != '/') {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof cwd)) {
			bf_buf_adds(b, cwd);
			bf_buf_addc(b, '/');
		}
		bf_buf_adds(b, slash ? copy : "");
		bf_buf_adds(b, slash ? "/" : "");
	} else {
		bf_buf_adds(b, copy);
		bf_buf_addc(b, '/');
	}
	bf_buf_adds(b, name);
	free(copy);
}

static int kept_param(const char *p, size_t n)
{
	static const char *const keep[] = { "host=", "hostaddr=", "port=", "dbname=" };
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (n >= strlen(keep[i]) && !strncmp(p, keep[i], strlen(keep[i])))
			return 1;
	return 0;
}

static void add_pg(struct bf_buf *b, const char *spec, const char *schema)
{
	const char *rest = strstr(spec, "://") + 3;
	size_t auth = strcspn(rest, "/?");
	const char *at = NULL;
	for (size_t k = 0; k < auth; k++)
		if (rest[k] == '@')
			at = rest + k;
	const char *host = at ? at + 1 : rest;
	bf_buf_adds(b, "postgresql://");
	bf_buf_add(b, host, (size_t)(rest + auth - host));
	const char *path = rest + auth;
	size_t plen = strcspn(path, "?");
	bf_buf_add(b, path, plen);
	const char *q = path[plen] == '?' ? path + plen + 1 : NULL;
	char sep = '?';
	while (q && *q) {
		size_t n = strcspn(q, "&");
		if (kept_param(q, n)) {
			bf_buf_addc(b, sep);
			bf_buf_add(b, q, n);
			sep = '&';
		}
		q += n + (q[n] == '&');
	}
	bf_buf_addc(b, '#');
	bf_buf_adds(b, schema && *schema ? schema : "public");
}

char *bf_target_key(const char *spec, const char *pg_schema)
{
	struct bf_buf b = BF_BUF_INIT;
	if (!spec)
		spec = "";
	if (!strncmp(spec, "postgresql://", 13) || !strncmp(spec, "postgres://", 11)) {
		add_pg(&b, spec, pg_schema);
	} else if (!strncmp(spec, "dir:", 4)) {
		bf_buf_adds(&b, "dir:");
		add_abs_path(&b, spec + 4);
	} else if (!strncmp(spec, "sqlite:", 7) || !strstr(spec, "://")) {
		bf_buf_adds(&b, "sqlite:");
		add_abs_path(&b, strncmp(spec, "sqlite:", 7) ? spec : spec + 7);
	} else {
		char *m = bf_redact(spec);
		bf_buf_adds(&b, m);
		free(m);
	}
	return bf_buf_detach(&b);
}

const char *bf_target_schema_in_args(char *const *args, size_t n)
{
	const char *schema = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(args[i], "--pg-schema") && i + 1 < n)
			schema = args[++i];
		else if (!strncmp(args[i], "--pg-schema=", 12))
			schema = args[i] + 12;
	}
	return schema;
}
