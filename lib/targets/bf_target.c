/* The table of target backends, and the calls of the contract. */
#include <string.h>

#include "base/bf_exit.h"
#include "targets/bf_target_backend.h"

static int open_sqlite(const char *rest, const struct bf_target_opts *o, struct bf_target **out,
		       struct bf_err *err)
{
	return bf_target_sqlite_open(rest, o, out, err);
}

static int open_pg(const char *rest, const struct bf_target_opts *o, struct bf_target **out,
		   struct bf_err *err)
{
	return bf_target_pg_open(rest, o, out, err);
}

static int open_dir(const char *rest, const struct bf_target_opts *o, struct bf_target **out,
		    struct bf_err *err)
{
	if (!*rest)
		return bf_fail(err, BF_EUSAGE, "--target", "dir: needs a path (dir:PATH)");
	return bf_target_dir_open(rest, o, out, err);
}

/* prefix, whether the backend is handed the spec whole (else what follows the prefix) */
static const struct backend {
	const char *prefix;
	int whole;
	int (*open)(const char *, const struct bf_target_opts *, struct bf_target **, struct bf_err *);
} backends[] = {
	{ "sqlite:", 0, open_sqlite },
	{ "postgresql://", 1, open_pg },
	{ "postgres://", 1, open_pg },
	{ "dir:", 0, open_dir },
};

int bf_target_open(const char *spec, const struct bf_target_opts *o, struct bf_target **out,
		   struct bf_err *err)
{
	static const struct bf_target_opts none = { 0 };
	*out = NULL;
	if (!o)
		o = &none;
	if (!spec || !*spec)
		return bf_fail(err, BF_EUSAGE, "--target", "required");
	for (size_t i = 0; i < sizeof backends / sizeof *backends; i++) {
		size_t n = strlen(backends[i].prefix);
		if (!strncmp(spec, backends[i].prefix, n))
			return backends[i].open(backends[i].whole ? spec : spec + n, o, out, err);
	}
	if (strstr(spec, "://"))
		return bf_fail(err, BF_EUSAGE, "--target", "unsupported target \"%.*s\" (PATH.db, sqlite:PATH, "
			       "postgresql://USER@HOST:PORT/DB or dir:PATH)", (int)(strchr(spec, ':') - spec), spec);
	return bf_target_sqlite_open(spec, o, out, err);
}

int bf_target_schema(struct bf_target *t, const struct bf_stream_def *def, struct bf_err *err)
{
	return t->ops->schema(t, def, err);
}

int bf_target_begin(struct bf_target *t, const char *location, const char *date, struct bf_err *err)
{
	return t->ops->begin(t, location, date, err);
}

int bf_target_record(struct bf_target *t, const struct bf_row *r, struct bf_err *err)
{
	return t->ops->record(t, r, err);
}

int bf_target_commit(struct bf_target *t, const struct bf_target_part *p, struct bf_err *err)
{
	return t->ops->commit(t, p, err);
}

void bf_target_rollback(struct bf_target *t)
{
	t->ops->rollback(t);
}

void bf_target_close(struct bf_target *t)
{
	if (t)
		t->ops->close(t);
}

int bf_target_defers(const struct bf_target *t)
{
	return t->ops->pending || t->ops->flush;
}

int bf_target_pending(struct bf_target *t)
{
	return t->ops->pending ? t->ops->pending(t) : 0;
}

int bf_target_confirm(struct bf_target *t, struct bf_err *err)
{
	return t->ops->confirm ? t->ops->confirm(t, err) : 0;
}

int bf_target_flush(struct bf_target *t, struct bf_err *err)
{
	return t->ops->flush ? t->ops->flush(t, err) : 0;
}

int bf_target_finish(struct bf_target *t, struct bf_err *err)
{
	return t->ops->finish ? t->ops->finish(t, err) : 0;
}

int bf_target_loads(struct bf_target *t,
		    int (*fn)(void *arg, const char *location, const char *date, const char *source),
		    void *arg, struct bf_err *err)
{
	return t->ops->loads(t, fn, arg, err);
}

const char *bf_target_display(const struct bf_target *t)
{
	return t->display;
}
