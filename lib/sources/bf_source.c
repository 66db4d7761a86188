/* The table of source backends, and the calls of the contract. */
#include "sources/bf_source_backend.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

/* Backends named by a URL scheme; a spec without "://" is a local folder. */
static const struct {
	const char *prefix;
	int (*open)(const char *spec, struct bf_source *s, struct bf_err *err);
} backends[] = {
	{ "sftp://", bf_source_sftp_open },
	{ "https://", bf_source_https_open },
};

int bf_source_open(const char *spec, const struct bf_source_opts *o, struct bf_source **out,
		   struct bf_err *err)
{
	struct bf_source *s = bf_xcalloc(1, sizeof *s);
	int rc;
	if (o)
		s->opts = *o;
	if (!s->opts.retries_set || s->opts.retries < 0)
		s->opts.retries = 5;
	if (s->opts.timeout <= 0)
		s->opts.timeout = 30;
	rc = -1;
	for (size_t i = 0; i < sizeof backends / sizeof *backends; i++)
		if (!strncmp(spec, backends[i].prefix, strlen(backends[i].prefix))) {
			rc = backends[i].open(spec, s, err);
			break;
		}
	if (rc == -1 && strstr(spec, "://"))
		rc = bf_fail(err, BF_EUSAGE, spec, "unsupported source scheme (local folder, sftp:// or https://)");
	else if (rc == -1)
		rc = bf_source_local_open(spec, s, err);
	if (rc) {
		free(s->canon);
		free(s);
		*out = NULL;
		return rc;
	}
	*out = s;
	return 0;
}

void bf_source_free(struct bf_source *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->free)
		s->ops->free(s);
	free(s->canon);
	free(s);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct bf_entry *)a)->name, ((const struct bf_entry *)b)->name);
}

int bf_source_list(struct bf_source *s, const char *dir, struct bf_entry **ents, size_t *n,
		   int *missing, struct bf_err *err)
{
	*ents = NULL;
	*n = 0;
	*missing = 0;
	int rc = s->ops->list(s, dir, ents, n, missing, err);
	if (rc)
		return rc;
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		struct bf_entry *e = &(*ents)[i];
		if (!strcmp(e->name, ".") || !strcmp(e->name, "..")) {
			free(e->name);
			free(e->refused);
			continue;
		}
		if (!bf_name_safe(e->name)) {
			free(e->refused);
			e->refused = bf_xstrdup("an unsafe name (a control character, '/' or '\\')");
		}
		(*ents)[k++] = *e;
	}
	*n = k;
	if (*n > 1)
		qsort(*ents, *n, sizeof **ents, by_name);
	return 0;
}

const char *bf_source_canon(const struct bf_source *s)
{
	return s->canon;
}

int bf_source_open_file(struct bf_source *s, const char *path, const struct bf_entry *e,
			void **fh, struct bf_err *err)
{
	return s->ops->open(s, path, e, fh, err);
}

long bf_source_read(struct bf_source *s, void *fh, void *buf, size_t len, struct bf_err *err)
{
	return s->ops->read(fh, buf, len, err);
}

int bf_source_close_file(struct bf_source *s, void *fh, struct bf_err *err)
{
	return s->ops->close(fh, err);
}
