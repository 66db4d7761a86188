#include "sources/bf_source_cli.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_cli.h"
#include "base/bf_opt.h"
#include "base/bf_exit.h"

enum kind { TEXT, FLAG, LIST, COUNT, SECONDS };

/* One row per source option, in the order bf_source_args writes them. */
static const struct row {
	const char *name;          /* bf-extract's name */
	const char *alias;         /* bf-run's name, when it differs */
	enum kind kind;
	size_t off;                /* of the field in struct bf_source_opts */
} rows[] = {
	{ "layout", NULL, TEXT, offsetof(struct bf_source_opts, layout) },
	{ "known-hosts", NULL, TEXT, offsetof(struct bf_source_opts, known_hosts) },
	{ "accept-new-host-key", NULL, FLAG, offsetof(struct bf_source_opts, accept_new_host_key) },
	{ "identity", NULL, TEXT, offsetof(struct bf_source_opts, identity) },
	{ "password-file", NULL, TEXT, offsetof(struct bf_source_opts, password_file) },
	{ "ca-file", NULL, TEXT, offsetof(struct bf_source_opts, ca_file) },
	{ "url-template", NULL, TEXT, offsetof(struct bf_source_opts, url_template) },
	{ "files", NULL, LIST, offsetof(struct bf_source_opts, file_names) },
	{ "timeout", NULL, SECONDS, offsetof(struct bf_source_opts, timeout) },
	{ "retries", "source-retries", COUNT, offsetof(struct bf_source_opts, retries) },
	{ "table", NULL, TEXT, offsetof(struct bf_source_opts, table) },
	{ "date-column", NULL, TEXT, offsetof(struct bf_source_opts, date_column) },
	{ "location-column", NULL, TEXT, offsetof(struct bf_source_opts, location_column) },
	{ "time-zone", NULL, TEXT, offsetof(struct bf_source_opts, time_zone) },
	{ "stream", NULL, TEXT, offsetof(struct bf_source_opts, stream) },
	{ "columns", NULL, TEXT, offsetof(struct bf_source_opts, columns) },
	{ "query", NULL, TEXT, offsetof(struct bf_source_opts, query) },
};

#define FIELD(o, r, type) ((type *)((char *)(o) + (r)->off))
#define CFIELD(o, r, type) ((type const *)((const char *)(o) + (r)->off))

int bf_source_option(struct bf_source_opts *o, const char *name, const char *arg)
{
	const struct row *r = NULL;
	char opt[64];
	for (size_t i = 0; i < sizeof rows / sizeof rows[0] && !r; i++)
		if (!strcmp(name, rows[i].name) || (rows[i].alias && !strcmp(name, rows[i].alias)))
			r = &rows[i];
	if (!r)
		return -1;
	snprintf(opt, sizeof opt, "--%s", name);
	switch (r->kind) {
	case TEXT:
		*FIELD(o, r, const char *) = arg;
		break;
	case FLAG:
		*FIELD(o, r, int) = 1;
		break;
	case LIST:
		bf_cli_list_free(o->file_names, o->nfile_names);
		o->file_names = bf_cli_split_list(arg, &o->nfile_names);
		break;
	case COUNT:
		if (bf_opt_int(opt, arg, 0, 100, FIELD(o, r, int)))
			return BF_EUSAGE;
		o->retries_set = 1;        /* the one count: an explicit 0 means none */
		break;
	case SECONDS:
		if (bf_opt_secs(opt, arg, 1, 86400, FIELD(o, r, double)))
			return BF_EUSAGE;
		break;
	}
	return 0;
}

static void push(char ***v, size_t *n, char *s)
{
	*v = bf_xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = s;
}

char **bf_source_args(const struct bf_source_opts *o, size_t *n)
{
	char **v = NULL;
	struct bf_buf b = BF_BUF_INIT;
	*n = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		bf_buf_reset(&b);
		switch (r->kind) {
		case TEXT:
			if (!*CFIELD(o, r, const char *))
				continue;
			bf_buf_adds(&b, *CFIELD(o, r, const char *));
			break;
		case FLAG:
			if (!*CFIELD(o, r, int))
				continue;
			break;
		case LIST:
			if (!o->nfile_names)
				continue;
			for (size_t k = 0; k < o->nfile_names; k++) {
				bf_buf_adds(&b, k ? "," : "");
				bf_buf_adds(&b, o->file_names[k]);
			}
			break;
		case COUNT:
			if (!o->retries_set)
				continue;
			bf_buf_addf(&b, "%d", *CFIELD(o, r, int));
			break;
		case SECONDS:
			if (*CFIELD(o, r, double) <= 0)
				continue;
			bf_buf_addf(&b, "%g", *CFIELD(o, r, double));
			break;
		}
		struct bf_buf name = BF_BUF_INIT;
		bf_buf_addf(&name, "--%s", r->name);
		push(&v, n, bf_buf_detach(&name));
		if (r->kind != FLAG)
			push(&v, n, bf_xstrdup(b.p));
	}
	bf_buf_free(&b);
	return v;
}

void bf_source_opts_free(struct bf_source_opts *o)
{
	bf_cli_list_free(o->file_names, o->nfile_names);
	memset(o, 0, sizeof *o);
}
