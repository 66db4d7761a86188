#include "sources/bf_source.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

int bf_source_open(const char *spec, const struct bf_source_opts *o, struct bf_source **out,
		   struct bf_err *err)
{
	struct bf_source *s = bf_xcalloc(1, sizeof *s);
	int rc;
	if (o)
		s->opts = *o;
	if (s->opts.retries <= 0)
		s->opts.retries = 5;
	if (s->opts.timeout <= 0)
		s->opts.timeout = 30;
	if (strncmp(spec, "sftp://", 7) == 0)
		rc = bf_source_sftp_open(spec, s, err);
	else if (strncmp(spec, "https://", 8) == 0)
		rc = bf_source_https_open(spec, s, err);
	else if (strstr(spec, "://"))
		rc = bf_fail(err, BF_EUSAGE, spec, "unsupported source scheme (local folder, sftp:// or https://)");
	else
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

int bf_name_safe(const char *name)
{
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
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
		if (!strcmp(e->name, ".") || !strcmp(e->name, ".."))
			goto drop;
		if (!bf_name_safe(e->name)) {
			struct bf_buf shown = BF_BUF_INIT;
			bf_buf_add_json_str(&shown, e->name, strlen(e->name));
			bf_warn(dir[0] ? dir : "/", "refused entry with an unsafe name %s", shown.p);
			bf_buf_free(&shown);
			goto drop;
		}
		(*ents)[k++] = *e;
		continue;
drop:
		free(e->name);
	}
	*n = k;
	if (*n > 1)
		qsort(*ents, *n, sizeof **ents, by_name);
	return 0;
}

void bf_entries_free(struct bf_entry *ents, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
}
