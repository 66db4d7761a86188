/* dir:PATH target: one newline-delimited JSON file of record objects per stream and
 * partition, PATH/<stream>/<date>/<location>.ndjson (location "" is "_"; bytes outside
 * [A-Za-z0-9._-] are written %XX), ready for BigQuery, Snowflake or ClickHouse JSON loads:
 * every column of the stream, values as cast (integers and booleans bare, numbers as exact
 * decimal strings, dates "YYYY-MM-DD", date-times "YYYY-MM-DD HH:MM:SS", vectors arrays).
 * Each file is written as a temporary file in its own directory, fsynced and renamed at
 * the partition's STATE; a partition that has no rows of a stream any more loses that
 * stream's old file. PATH/_bf_loads/<date>/<location>.json keeps the STATE of each load.
 * Records without bf lineage are appended as PATH/<stream>/_appended/<time>-<pid>-<n>.ndjson,
 * with or without key_properties (merging by key is the warehouse load's: each file holds
 * the records in the order they came). A stream's folder is named as its table would be
 * (bf_target_table_name: "_bf_loads" is bf-load's), and also holds its schema for
 * BigQuery and Snowflake (targets/bf_target_dir_schema.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_file.h"
#include "proto/bf_json.h"
#include "targets/bf_target_backend.h"
#include "targets/bf_target_dir_schema.h"

struct dstream {
	char *name, *enc;
	struct bf_afile f;         /* file of the open partition; f.fd -1 if none */
	int written;               /* committed in this partition */
	struct bf_buf buf;
};

struct dirt {
	struct bf_target base;
	char *root;
	char *loc, *date;          /* the open partition; date NULL for foreign records */
	int open;
	struct dstream *s;
	size_t ns;
	unsigned long seq;
};

static int os_fail(struct bf_err *err, const char *path, const char *what)
{
	int e = errno;
	int code = e == EACCES || e == EPERM || e == EROFS ? BF_ENOPERM : BF_EIO;
	return bf_fail(err, code, path, "%s: %s", what, strerror(e));
}

static char *encode(const char *s)
{
	struct bf_buf b = BF_BUF_INIT;
	if (!*s)
		bf_buf_addc(&b, '_');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			 *p == '_' || *p == '-' || (*p == '.' && p != (const unsigned char *)s);
		if (ok)
			bf_buf_addc(&b, (char)*p);
		else
			bf_buf_addf(&b, "%%%02X", *p);
	}
	return bf_buf_detach(&b);
}

static char *join(const char *a, const char *b, const char *c, const char *d)
{
	struct bf_buf p = BF_BUF_INIT;
	bf_buf_adds(&p, a);
	for (const char *x[] = { b, c, d }, **q = x; q < x + 3; q++)
		if (*q) {
			bf_buf_addc(&p, '/');
			bf_buf_adds(&p, *q);
		}
	return bf_buf_detach(&p);
}

static struct dstream *find(struct dirt *t, const char *name)
{
	for (size_t i = 0; i < t->ns; i++)
		if (!strcmp(t->s[i].name, name))
			return &t->s[i];
	t->s = bf_xrealloc(t->s, (t->ns + 1) * sizeof *t->s);
	struct dstream *s = &t->s[t->ns++];
	memset(s, 0, sizeof *s);
	struct bf_buf tn = BF_BUF_INIT;
	s->name = bf_xstrdup(name);
	s->enc = encode(bf_target_table_name(name, &tn));
	bf_buf_free(&tn);
	s->f.fd = -1;
	return s;
}

static void drop_tmp(struct dstream *s)
{
	bf_afile_abort(&s->f);
	s->written = 0;
	bf_buf_reset(&s->buf);
}

static int dir_schema(struct bf_target *bt, const struct bf_stream_def *def, struct bf_err *err)
{
	struct dirt *t = (struct dirt *)bt;
	struct dstream *s = find(t, def->name);
	char *d = join(t->root, s->enc, NULL, NULL);
	int rc = bf_mkdirs(d, 0755, err);
	if (!rc)
		rc = bf_dir_write_schemas(d, def, err);
	free(d);
	return rc;
}

static int dir_begin(struct bf_target *bt, const char *loc, const char *date, struct bf_err *err)
{
	struct dirt *t = (struct dirt *)bt;
	(void)err;
	t->open = 1;
	t->loc = loc ? bf_xstrdup(loc) : NULL;
	t->date = date ? bf_xstrdup(date) : NULL;
	return 0;
}

static int open_tmp(struct dirt *t, struct dstream *s, struct bf_err *err)
{
	char *file, *dir;
	if (t->date) {
		char *d = encode(t->date), *l = encode(t->loc);
		dir = join(t->root, s->enc, d, NULL);
		size_t n = strlen(l);
		file = bf_xmalloc(n + 8);
		memcpy(file, l, n);
		memcpy(file + n, ".ndjson", 8);
		free(d);
		free(l);
	} else {
		struct bf_buf b = BF_BUF_INIT;
		dir = join(t->root, s->enc, "_appended", NULL);
		bf_buf_addf(&b, "%lld-%ld-%lu.ndjson", (long long)time(NULL), (long)getpid(), ++t->seq);
		file = bf_buf_detach(&b);
	}
	/* a hidden temporary name, so that a warehouse's *.ndjson load never sees it */
	char *final = join(dir, file, NULL, NULL);
	struct bf_buf tb = BF_BUF_INIT;
	bf_buf_addf(&tb, "%s/.%s.tmp", dir, file);
	int rc = bf_mkdirs(dir, 0755, err);
	if (!rc)
		rc = bf_afile_open(&s->f, final, tb.p, 0644, err);
	bf_buf_free(&tb);
	free(final);
	free(file);
	free(dir);
	return rc;
}

static int dir_record(struct bf_target *bt, const struct bf_row *r, struct bf_err *err)
{
	struct dirt *t = (struct dirt *)bt;
	struct dstream *s = find(t, r->def->name);
	int rc;
	if (s->f.fd < 0 && (rc = open_tmp(t, s, err)))
		return rc;
	/* the record with its values as cast: what a warehouse's JSON load parses into the
	 * declared column types (numbers stay strings, exact) */
	struct bf_buf *b = &s->buf;
	bf_buf_addc(b, '{');
	for (size_t i = 0; i < r->def->ncols; i++) {
		const struct bf_col *col = &r->def->cols[i];
		const struct bf_cell *c = &r->cells[i];
		if (i)
			bf_buf_addc(b, ',');
		bf_buf_add_json_str(b, col->name, strlen(col->name));
		bf_buf_addc(b, ':');
		switch (c->kind) {
		case BF_C_INT:
			if (col->type == BF_T_BOOLEAN)
				bf_buf_adds(b, c->i ? "true" : "false");
			else
				bf_buf_addf(b, "%lld", c->i);
			break;
		case BF_C_TEXT:
			if (col->type == BF_T_JSON)
				bf_buf_add(b, c->s, c->len);
			else
				bf_buf_add_json_str(b, c->s, c->len);
			break;
		case BF_C_VEC:
			bf_buf_addc(b, '[');
			for (size_t k = 0; k < c->nv; k++)
				bf_buf_addf(b, k ? ",%.9g" : "%.9g", (double)c->v[k]);
			bf_buf_addc(b, ']');
			break;
		default: bf_buf_adds(b, "null"); break;
		}
	}
	bf_buf_adds(b, "}\n");
	if (s->buf.len >= (1u << 20)) {
		rc = bf_afile_write(&s->f, s->buf.p, s->buf.len, err);
		bf_buf_reset(&s->buf);
		return rc;
	}
	return 0;
}

static void dir_rollback(struct bf_target *bt);

static int dir_commit(struct bf_target *bt, const struct bf_target_part *p, struct bf_err *err)
{
	struct dirt *t = (struct dirt *)bt;
	int rc = 0;
	for (size_t i = 0; i < t->ns && !rc; i++) {
		struct dstream *s = &t->s[i];
		if (s->f.fd < 0)
			continue;
		if ((rc = bf_afile_write(&s->f, s->buf.p, s->buf.len, err)))
			break;
		bf_buf_reset(&s->buf);
		if ((rc = bf_afile_commit(&s->f, err)))
			break;
		s->written = 1;
	}
	if (rc) {
		dir_rollback(bt);
		return rc;
	}
	if (t->date) {
		/* streams without rows in this partition lose their old file */
		char *d = encode(t->date), *l = encode(t->loc);
		DIR *dh = opendir(t->root);
		struct dirent *e;
		while (dh && !rc && (e = readdir(dh))) {
			if (e->d_name[0] == '.' || !strcmp(e->d_name, "_bf_loads"))
				continue;
			int written = 0;
			for (size_t i = 0; i < t->ns; i++)
				written |= t->s[i].written && !strcmp(t->s[i].enc, e->d_name);
			if (written)
				continue;
			char *dir = join(t->root, e->d_name, d, NULL);
			struct bf_buf f = BF_BUF_INIT;
			bf_buf_addf(&f, "%s/%s.ndjson", dir, l);
			if (unlink(f.p) == 0)
				rc = bf_fsync_dir(dir, err);
			else if (errno != ENOENT && errno != ENOTDIR)
				rc = os_fail(err, f.p, "cannot remove");
			bf_buf_free(&f);
			free(dir);
		}
		if (dh)
			closedir(dh);
		if (!rc && p->state_json) {
			char *dir = join(t->root, "_bf_loads", d, NULL);
			struct bf_buf f = BF_BUF_INIT, j = BF_BUF_INIT;
			bf_buf_addf(&f, "%s/%s.json", dir, l);
			bf_buf_adds(&j, p->state_json);
			bf_buf_addc(&j, '\n');
			rc = bf_mkdirs(dir, 0755, err);
			if (!rc)
				rc = bf_write_file_atomic(f.p, j.p, j.len, 0644, err);
			bf_buf_free(&f);
			bf_buf_free(&j);
			free(dir);
		}
		free(d);
		free(l);
	}
	for (size_t i = 0; i < t->ns; i++)
		drop_tmp(&t->s[i]);
	free(t->loc);
	free(t->date);
	t->loc = t->date = NULL;
	t->open = 0;
	return rc;
}

static void dir_rollback(struct bf_target *bt)
{
	struct dirt *t = (struct dirt *)bt;
	for (size_t i = 0; i < t->ns; i++)
		drop_tmp(&t->s[i]);
	free(t->loc);
	free(t->date);
	t->loc = t->date = NULL;
	t->open = 0;
}

static void dir_close(struct bf_target *bt)
{
	struct dirt *t = (struct dirt *)bt;
	if (!t)
		return;
	dir_rollback(bt);
	for (size_t i = 0; i < t->ns; i++) {
		free(t->s[i].name);
		free(t->s[i].enc);
		bf_buf_free(&t->s[i].buf);
	}
	free(t->s);
	free(t->root);
	free(t->base.display);
	free(t);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* encode() undone: %XX back to the byte; "_" alone is the empty name. */
static char *decode(const char *s, size_t n)
{
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_adds(&b, "");
	if (n == 1 && s[0] == '_')
		return bf_buf_detach(&b);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			bf_buf_addc(&b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else {
			bf_buf_addc(&b, s[i]);
		}
	}
	return bf_buf_detach(&b);
}

/* The source a recorded STATE names (NULL if none or unreadable). */
static char *state_source(const char *file)
{
	struct bf_buf b = BF_BUF_INIT;
	if (bf_read_file(file, &b)) {
		bf_buf_free(&b);
		return NULL;
	}
	cJSON *v = cJSON_Parse(b.p);
	bf_buf_free(&b);
	const cJSON *bf = v ? cJSON_GetObjectItemCaseSensitive(v, "bf") : NULL;
	const char *src = bf ? bf_json_str(bf, "source") : NULL;
	char *out = src ? bf_xstrdup(src) : NULL;
	cJSON_Delete(v);
	return out;
}

/* PATH/_bf_loads/<date>/<location>.json: one file a committed partition. */
static int dir_loads(struct bf_target *bt,
		     int (*fn)(void *arg, const char *location, const char *date, const char *source),
		     void *arg, struct bf_err *err)
{
	struct dirt *t = (struct dirt *)bt;
	char *root = join(t->root, "_bf_loads", NULL, NULL);
	DIR *dd = opendir(root);
	int stop = 0;
	if (!dd) {
		int e = errno;
		free(root);
		errno = e;
		return e == ENOENT ? 0 : os_fail(err, t->root, "cannot read _bf_loads");
	}
	struct dirent *de;
	while (!stop && (de = readdir(dd))) {
		if (de->d_name[0] == '.')
			continue;
		char *ddir = join(root, de->d_name, NULL, NULL), *date = decode(de->d_name, strlen(de->d_name));
		DIR *ld = opendir(ddir);
		struct dirent *le;
		while (ld && !stop && (le = readdir(ld))) {
			size_t n = strlen(le->d_name);
			if (le->d_name[0] == '.' || n < 6 || strcmp(le->d_name + n - 5, ".json"))
				continue;
			char *loc = decode(le->d_name, n - 5), *file = join(ddir, le->d_name, NULL, NULL);
			char *src = state_source(file);
			stop = fn(arg, loc, date, src);
			free(src);
			free(file);
			free(loc);
		}
		if (ld)
			closedir(ld);
		free(ddir);
		free(date);
	}
	closedir(dd);
	free(root);
	return 0;
}

static const struct bf_target_ops dir_ops = {
	"dir", dir_schema, dir_begin, dir_record, dir_commit, dir_rollback, dir_close,
	NULL, NULL, NULL, NULL, dir_loads,
};

int bf_target_dir_open(const char *path, const struct bf_target_opts *o, struct bf_target **out,
		       struct bf_err *err)
{
	/* read-only: dir_loads finds nothing where nothing is */
	int rc = o && o->read_only ? 0 : bf_mkdirs(path, 0755, err);
	if (rc)
		return rc;
	struct dirt *t = bf_xcalloc(1, sizeof *t);
	t->base.ops = &dir_ops;
	t->base.display = bf_xstrdup(path);
	t->root = bf_xstrdup(path);
	size_t n = strlen(t->root);
	while (n > 1 && t->root[n - 1] == '/')
		t->root[--n] = '\0';
	*out = &t->base;
	return 0;
}
