#include "stages/bf_extract.h"

#include <fnmatch.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/bf_buf.h"
#include "sources/bf_csv.h"
#include "sources/bf_discover.h"
#include "base/bf_exit.h"
#include "sources/bf_hasher.h"
#include "sources/bf_layout.h"
#include "targets/bf_target.h"
#include "proto/bf_msg.h"
#include "sources/bf_names.h"
#include "sources/sql/bf_sqlsrc.h"
#include "stages/bf_extract_table.h"
#include "base/bf_progress.h"
#include "state/bf_state.h"
#include "base/bf_time.h"

#define WARN_PER_FILE 10
#define FILE_MISSING (-1)          /* do_file: the source says the file does not exist */

/* The last SCHEMA sent for each stream, by header fingerprint. */
struct sent_schema {
	char stream[BF_NAME_MAX + 1];
	char fingerprint[65];
};

struct ctx {
	const struct bf_extract_opts *o;
	struct bf_source *src;     /* a drop's folders, or ... */
	struct bf_sqlsrc *sql;     /* ... a database table (table path: bf_extract_table.c) */
	struct bf_table_reader *table;
	const char *canon;         /* the source's identity in the state file */
	struct bf_state *st;
	struct bf_layout layout;
	struct bf_out out;
	struct bf_progress prog;
	struct sent_schema *sent;
	struct bf_hasher *hasher;
	size_t nsent;
	long long total_rows, total_bad, total_unreadable, done_parts, skipped, failed;
	int first_fail;            /* code of the first failed partition */
	int mixed_fail;
	char *target_key;          /* skip what is done there (NULL: done anywhere) */
};

/* Per partition. */
struct part {
	const char *location;
	char date[11], compact[9];
	const char *folder;        /* present, empty, missing */
	cJSON *files;              /* STATE's file list */
	cJSON *rows;               /* rows per stream */
	cJSON *unreadable;         /* entries that could not be read: name, reason */
	long long nrows, nbad, nfiles, nunreadable;
	struct bf_err first;       /* the first unreadable entry's error */
	struct bf_table_part *table;  /* table path: what was read */
};

/* Source reading with a running SHA-256 and byte count. */
struct hashed {
	struct bf_source *src;
	void *fh;
	struct bf_hasher *hasher;  /* on its own thread; NULL: md here */
	EVP_MD_CTX *md;
	long long bytes;
};

static long hashed_read(void *p, void *buf, size_t len, struct bf_err *err)
{
	struct hashed *h = p;
	long n = bf_source_read(h->src, h->fh, buf, len, err);
	if (n > 0) {
		if (h->hasher)
			bf_hasher_update(h->hasher, buf, (size_t)n);
		else
			EVP_DigestUpdate(h->md, buf, (size_t)n);
		h->bytes += n;
	}
	return n;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int included(const char *include, const char *name)
{
	const char *p = include && *include ? include : "*.csv,*.csv.gz";
	char pat[256];
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n && n < sizeof pat) {
			memcpy(pat, p, n);
			pat[n] = '\0';
			if (fnmatch(pat, name, FNM_CASEFOLD) == 0)
				return 1;
		}
		p += n + (p[n] == ',');
	}
	return 0;
}

/* Sends SCHEMA for stream when its header differs from the last one sent. */
static void maybe_schema(struct ctx *c, const char *stream, const char *fp, char **names,
			 const struct bf_csv_row *hdr)
{
	struct sent_schema *s = NULL;
	for (size_t i = 0; i < c->nsent; i++)
		if (!strcmp(c->sent[i].stream, stream))
			s = &c->sent[i];
	if (s && !strcmp(s->fingerprint, fp))
		return;
	if (!s) {
		c->sent = bf_xrealloc(c->sent, (c->nsent + 1) * sizeof *c->sent);
		s = &c->sent[c->nsent++];
		snprintf(s->stream, sizeof s->stream, "%s", stream);
	}
	snprintf(s->fingerprint, sizeof s->fingerprint, "%s", fp);

	cJSON *schema = cJSON_CreateObject();
	cJSON_AddStringToObject(schema, "type", "object");
	cJSON *props = cJSON_AddObjectToObject(schema, "properties");
	for (size_t i = 0; i < hdr->n; i++) {
		cJSON *p = cJSON_AddObjectToObject(props, names[i]);
		cJSON *t = cJSON_AddArrayToObject(p, "type");
		cJSON_AddItemToArray(t, cJSON_CreateString("string"));
		cJSON_AddItemToArray(t, cJSON_CreateString("null"));
		char *title = bf_xstrndup(hdr->f[i] ? hdr->f[i] : "", hdr->f[i] ? hdr->len[i] : 0);
		cJSON_AddStringToObject(p, "title", title);
		free(title);
	}
	bf_msg_schema_lineage(props);
	cJSON *keys = cJSON_CreateArray();
	cJSON_AddItemToArray(keys, cJSON_CreateString("_bf_source"));
	cJSON_AddItemToArray(keys, cJSON_CreateString("_bf_line"));
	cJSON *msg = bf_msg_new_schema(stream, schema, keys);
	bf_out_json_line(&c->out, msg);
	cJSON_Delete(msg);
}

/* The constant parts of a file's RECORD lines, each with BF_CSV_PAD spare bytes. */
struct rec_parts {
	struct bf_buf prefix, lineage, suffix;
	struct bf_buf *keys;       /* ,"name": */
	size_t n;
	size_t fixed;              /* bound on a line's bytes besides its fields' */
};

static void pad(struct bf_buf *b)
{
	bf_buf_grow(b, BF_CSV_PAD);
}

static void parts_init(struct rec_parts *r, const char *stream, char **names, size_t n,
		       const struct part *p, const char *relpath)
{
	char now[21];
	bf_now_rfc3339(now);
	memset(r, 0, sizeof *r);
	bf_buf_adds(&r->prefix, "{\"type\":\"RECORD\",\"stream\":");
	bf_buf_add_json_str(&r->prefix, stream, strlen(stream));
	bf_buf_adds(&r->prefix, ",\"record\":{");
	pad(&r->prefix);
	r->n = n;
	r->keys = bf_xcalloc(n, sizeof *r->keys);
	r->fixed = BF_CSV_PAD;
	for (size_t i = 0; i < n; i++) {
		if (i)
			bf_buf_addc(&r->keys[i], ',');
		bf_buf_add_json_str(&r->keys[i], names[i], strlen(names[i]));
		bf_buf_addc(&r->keys[i], ':');
		pad(&r->keys[i]);
		r->fixed += r->keys[i].len + 4;  /* "null", or a value's quotes */
	}
	bf_buf_adds(&r->lineage, ",\"_bf_date\":\"");
	bf_buf_adds(&r->lineage, p->date);
	bf_buf_adds(&r->lineage, "\",\"_bf_location\":");
	bf_buf_add_json_str(&r->lineage, p->location, strlen(p->location));
	bf_buf_adds(&r->lineage, ",\"_bf_source\":");
	bf_buf_add_json_str(&r->lineage, relpath, strlen(relpath));
	bf_buf_adds(&r->lineage, ",\"_bf_line\":");
	pad(&r->lineage);
	bf_buf_adds(&r->suffix, "},\"time_extracted\":\"");
	bf_buf_adds(&r->suffix, now);
	bf_buf_adds(&r->suffix, "\"}\n");
	pad(&r->suffix);
	r->fixed += r->prefix.len + r->lineage.len + 20 + r->suffix.len;
}

static void parts_free(struct rec_parts *r)
{
	bf_buf_free(&r->prefix);
	bf_buf_free(&r->lineage);
	bf_buf_free(&r->suffix);
	for (size_t i = 0; i < r->n; i++)
		bf_buf_free(&r->keys[i]);
	free(r->keys);
}

/* Copies n bytes 16 at a time: s and o have BF_CSV_PAD bytes to spare past n. */
static inline char *copy16(char *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 16) {
#ifdef __SSE2__
		_mm_storeu_si128((__m128i *)(void *)(o + i), _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
#else
		memcpy(o + i, s + i, 16);
#endif
	}
	return o + n;
}

static inline char *put_buf(char *o, const struct bf_buf *b)
{
	return copy16(o, b->p, b->len);
}

static void write_record(struct ctx *c, const struct rec_parts *r, const struct bf_csv_row *row)
{
	/* the fields hold at most the row's raw bytes, each escaped to at most six */
	char *start = bf_out_reserve(&c->out, r->fixed + 6 * row->rawlen), *o = start;
	o = put_buf(o, &r->prefix);
	for (size_t i = 0; i < row->n; i++) {
		o = put_buf(o, &r->keys[i]);
		if (!row->f[i]) {
			memcpy(o, "null", 4);
			o += 4;
		} else if (row->flags[i] & BF_CSV_ESC) {
			o = bf_json_str_put(o, row->f[i], row->len[i]);
		} else {
			/* valid UTF-8 without escapes: the bytes as they are */
			*o++ = '"';
			o = copy16(o, row->f[i], row->len[i]);
			*o++ = '"';
		}
	}
	o = put_buf(o, &r->lineage);
	char digits[24];
	size_t nd = 0;
	unsigned long long v = (unsigned long long)row->line;
	do
		digits[nd++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (nd)
		*o++ = digits[--nd];
	o = put_buf(o, &r->suffix);
	bf_out_commit(&c->out, (size_t)(o - start));
}

/* Reads one file of a partition. Returns 0 or the exit code that fails the partition. */
static int do_file(struct ctx *c, struct part *p, const char *dir, const struct bf_entry *e,
		   struct bf_err *err)
{
	struct bf_buf rel = BF_BUF_INIT;
	char stream[BF_NAME_MAX + 1], sha[65], fp[65] = "";
	struct hashed h = { c->src, NULL, c->hasher, EVP_MD_CTX_new(), 0 };
	struct bf_csv *csv = NULL;
	char **names = NULL;
	size_t nnames = 0;
	long long rows = 0, bad = 0;
	struct rec_parts parts;
	int have_parts = 0, rc;

	bf_buf_adds(&rel, dir);
	bf_buf_addc(&rel, '/');
	bf_buf_adds(&rel, e->name);
	bf_stream_name(e->name, stream);
	EVP_DigestInit_ex(h.md, EVP_sha256(), NULL);
	if ((rc = bf_source_open_file(c->src, rel.p, e, &h.fh, err))) {
		if (rc == BF_ENOINPUT) {  /* gone since the listing, or https 404 */
			bf_note(rel.p, "missing");
			rc = FILE_MISSING;
		}
		goto out;
	}
	struct bf_csv_opts co = { .delimiter = c->o->delimiter };
	csv = bf_csv_open(hashed_read, &h, rel.p, &co);
	struct bf_csv_row row;
	rc = bf_csv_header(csv, &row, err);
	if (rc == 1) {
		unsigned char md[32];
		unsigned int mdlen = 0;
		EVP_MD_CTX *fctx = EVP_MD_CTX_new();
		EVP_DigestInit_ex(fctx, EVP_sha256(), NULL);
		for (size_t i = 0; i < row.n; i++) {
			EVP_DigestUpdate(fctx, row.f[i] ? row.f[i] : "", row.f[i] ? row.len[i] : 0);
			EVP_DigestUpdate(fctx, "\x1f", 1);
		}
		EVP_DigestFinal_ex(fctx, md, &mdlen);
		EVP_MD_CTX_free(fctx);
		hex(md, 16, fp);
		nnames = row.n;
		names = bf_column_names((const char *const *)row.f, row.len, row.n);
		maybe_schema(c, stream, fp, names, &row);
		parts_init(&parts, stream, names, nnames, p, rel.p);
		have_parts = 1;
		rc = 0;
		for (;;) {
			int r = bf_csv_next(csv, &row, err);
			if (r == 0)
				break;
			if (r != 1) {
				rc = r;
				break;
			}
			if (!row.bad) {
				write_record(c, &parts, &row);
				rows++;
				continue;
			}
			bad++;
			if (bad <= WARN_PER_FILE)
				bf_warn(NULL, "%s:%ld: %s%s", rel.p, row.line, row.bad,
					c->o->strict ? "" : " (quarantined)");
			if ((r = bf_state_quarantine(c->st, "extract", c->canon, p->location, p->date,
						     rel.p, row.line, row.bad, row.raw, row.rawlen, err))) {
				rc = r;
				break;
			}
			if (c->o->strict) {
				rc = bf_fail(err, BF_EDATA, NULL, "%s:%ld: %s (--strict)", rel.p, row.line, row.bad);
				break;
			}
		}
		if (bad > WARN_PER_FILE)
			bf_warn(NULL, "%s: %lld bad rows in all (quarantined)", rel.p, bad);
	} else if (rc == 0) {
		bf_note(rel.p, "empty file");
	}
	if (rc == 0 && e->size >= 0 && h.bytes != e->size && !bf_csv_was_gzip(csv))
		rc = bf_fail(err, BF_EIO, rel.p, "read %lld bytes, the listing said %lld (file changed or cut short)",
			     h.bytes, e->size);
	if (h.fh) {
		int crc = bf_source_close_file(c->src, h.fh, rc ? NULL : err);
		if (!rc)
			rc = crc;
	}
	if (h.hasher) {
		bf_hasher_final(h.hasher, sha);  /* also readies it for the next file */
	} else {
		unsigned char md[32];
		unsigned int mdlen = 0;
		EVP_DigestFinal_ex(h.md, md, &mdlen);
		hex(md, 32, sha);
	}
	if (rc == 0) {
		struct bf_file_seen fs = {
			c->canon, p->location, p->date, rel.p, stream, h.bytes, e->mtime, sha,
			fp[0] ? fp : NULL, rows, bad,
		};
		rc = bf_state_file_seen(c->st, &fs, err);
	}
	if (rc == 0) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", e->name);
		cJSON_AddStringToObject(f, "stream", stream);
		cJSON_AddNumberToObject(f, "rows", (double)rows);
		cJSON_AddNumberToObject(f, "quarantined", (double)bad);
		cJSON_AddNumberToObject(f, "bytes", (double)h.bytes);
		cJSON_AddItemToArray(p->files, f);
		cJSON *r = cJSON_GetObjectItemCaseSensitive(p->rows, stream);
		if (r)
			cJSON_SetNumberValue(r, r->valuedouble + (double)rows);
		else
			cJSON_AddNumberToObject(p->rows, stream, (double)rows);
		p->nrows += rows;
		p->nbad += bad;
		p->nfiles++;
	}
out:
	if (have_parts)
		parts_free(&parts);
	bf_names_free(names, nnames);
	bf_csv_close(csv);
	EVP_MD_CTX_free(h.md);
	bf_buf_free(&rel);
	return rc;
}

static void emit_state(struct ctx *c, struct part *p, int code, const char *error)
{
	cJSON *v = cJSON_CreateObject();
	cJSON *bf = cJSON_AddObjectToObject(v, "bf");
	cJSON_AddStringToObject(bf, "source", c->canon);
	cJSON_AddStringToObject(bf, "location", p->location);
	cJSON_AddStringToObject(bf, "date", p->date);
	cJSON_AddStringToObject(bf, "status", code ? "failed" : "ok");
	if (p->table) {
		/* a table partition: what was read instead of folder and files (docs/sources.md) */
		cJSON_AddStringToObject(bf, "kind", "table");
		cJSON *w = cJSON_AddObjectToObject(bf, "window");
		cJSON_AddStringToObject(w, "start", p->table->start);
		cJSON_AddStringToObject(w, "end", p->table->end);
		cJSON_AddStringToObject(bf, "read", p->table->what);
		if (!code)
			cJSON_AddStringToObject(bf, "sha256", p->table->sha256);
		cJSON_Delete(p->files);
	} else {
		cJSON_AddStringToObject(bf, "folder", p->folder);
		cJSON_AddNumberToObject(bf, "file_count", (double)p->nfiles);
		cJSON_AddItemToObject(bf, "files", p->files);
	}
	cJSON_AddItemToObject(bf, "rows", p->rows);
	cJSON_AddNumberToObject(bf, "total_rows", (double)p->nrows);
	cJSON_AddNumberToObject(bf, "quarantined", (double)p->nbad);
	if (p->nunreadable) {
		cJSON_AddNumberToObject(bf, "unreadable", (double)p->nunreadable);
		cJSON_AddItemToObject(bf, "unreadable_entries", p->unreadable);
		p->unreadable = NULL;
	}
	if (code) {
		cJSON_AddStringToObject(bf, "error", error);
		cJSON_AddNumberToObject(bf, "exit_code", code);
	}
	p->files = p->rows = NULL;
	cJSON *msg = bf_msg_new_state(v);
	bf_out_json_line(&c->out, msg);
	cJSON_Delete(msg);
}

/* The path of a listed entry as it may be shown: an unsafe name JSON-quoted. */
static void shown_path(struct bf_buf *b, const char *dir, const char *name)
{
	bf_buf_reset(b);
	bf_buf_adds(b, dir);
	if (*dir)
		bf_buf_addc(b, '/');
	if (bf_name_safe(name))
		bf_buf_adds(b, name);
	else
		bf_buf_add_json_str(b, name, strlen(name));
}

/* An entry of the partition that cannot or may not be read (where: its path as shown;
 * what: why): reported, counted in the STATE, and recorded in the state file, in errors
 * (its partition fails) or, with --skip-unreadable, in quarantine. Returns 0 or the code
 * of a broken state file. */
static int unreadable(struct ctx *c, struct part *p, const char *name, const char *where, const char *what,
		      struct bf_err *err)
{
	struct bf_buf msg = BF_BUF_INIT;
	int rc = 0;
	bf_buf_addf(&msg, "%s: %s", where, what);
	if (!p->nunreadable)
		bf_fail(&p->first, BF_SOURCE_UNREADABLE, where, "%s", what);
	p->nunreadable++;
	if (!p->unreadable)
		p->unreadable = cJSON_CreateArray();
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "name", name);
	cJSON_AddStringToObject(e, "reason", what);
	cJSON_AddItemToArray(p->unreadable, e);
	if (c->o->skip_unreadable) {
		bf_warn(where, "%s (skipped: --skip-unreadable)", what);
		rc = bf_state_quarantine(c->st, "extract", c->canon, p->location, p->date, where, 0, what, NULL, 0, err);
	} else {
		bf_error(BF_SOURCE_UNREADABLE, where, "%s", what);
		bf_state_error(c->st, c->canon, p->location, p->date, BF_SOURCE_UNREADABLE, msg.p);
	}
	bf_buf_free(&msg);
	return rc;
}

/* The reason in an error about path ("path: reason"). */
static const char *reason_of(const struct bf_err *e, const char *path)
{
	size_t n = strlen(path);
	return !strncmp(e->msg, path, n) && !strncmp(e->msg + n, ": ", 2) ? e->msg + n + 2 : e->msg;
}

/* The error that fails a partition over its unreadable entries: the first, and how many. */
static void part_error(const struct part *p, struct bf_err *perr)
{
	*perr = p->first;
	if (p->nunreadable > 1)
		bf_fail(perr, BF_SOURCE_UNREADABLE, NULL, "%s (and %lld more entries that cannot be read)",
			p->first.msg, p->nunreadable - 1);
}

/* The files of a listed date folder. The entries the listing refused come first, so that a
 * partition failing over them reads nothing. Returns 0 or the code that fails it. */
static int do_files(struct ctx *c, struct part *p, const char *dir, const struct bf_entry *ents, size_t n,
		    struct bf_err *perr)
{
	struct bf_buf shown = BF_BUF_INIT;
	size_t nmissing = 0, nfound = 0;
	int rc = 0;
	p->folder = "empty";
	for (size_t i = 0; i < n && !rc; i++) {
		const struct bf_entry *e = &ents[i];
		if (!included(c->o->include, e->name))
			continue;
		p->folder = "present";
		if (!e->refused && e->type == BF_ENT_FILE)
			continue;
		struct bf_buf what = BF_BUF_INIT;
		bf_buf_addf(&what, "refused: %s",
			    e->refused ? e->refused : e->type == BF_ENT_DIR ? "a folder, not a file" : "not a regular file");
		shown_path(&shown, dir, e->name);
		rc = unreadable(c, p, e->name, shown.p, what.p, perr);
		bf_buf_free(&what);
	}
	if (!rc && p->nunreadable && !c->o->skip_unreadable)
		rc = BF_SOURCE_UNREADABLE;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct bf_entry *e = &ents[i];
		if (e->refused || e->type != BF_ENT_FILE || !included(c->o->include, e->name))
			continue;
		rc = do_file(c, p, dir, e, perr);
		if (rc == FILE_MISSING) {
			rc = 0;
			nmissing++;
			continue;
		}
		if (rc == BF_SOURCE_UNREADABLE) {
			/* refused when opened, before any byte of it was read */
			struct bf_err why = *perr;
			shown_path(&shown, dir, e->name);
			*perr = (struct bf_err){ 0 };
			if (!(rc = unreadable(c, p, e->name, shown.p, reason_of(&why, shown.p), perr)) &&
			    !c->o->skip_unreadable)
				rc = BF_SOURCE_UNREADABLE;
			continue;
		}
		nfound++;
	}
	/* a source that learns existence on open (https): no file at all = no folder */
	if (!rc && nmissing && !nfound && !p->nunreadable)
		p->folder = "missing";
	if (rc == BF_SOURCE_UNREADABLE)
		part_error(p, perr);
	bf_buf_free(&shown);
	return rc;
}

/* The table path of a partition: its window's rows (bf_extract_table.c). */
static int table_partition(struct ctx *c, struct part *p, struct bf_table_part *tp, int32_t date,
			   struct bf_err *err)
{
	int rc = bf_table_read(c->table, p->location, date, tp, err);
	p->table = tp;
	p->nrows = tp->rows;
	p->nbad = tp->quarantined;
	p->nfiles = 1;
	cJSON_AddNumberToObject(p->rows, bf_sqlsrc_stream(c->sql), (double)tp->rows);
	return rc;
}

/* One (location, date). Returns 0, or a code that stops the whole run (output or state
 * file broken); a partition's own failure is reported in its STATE and counted. */
static int do_partition(struct ctx *c, const char *location, int32_t date, struct bf_err *err)
{
	struct part p = { .location = location, .folder = "missing" };
	struct bf_buf dir = BF_BUF_INIT;
	struct bf_entry *ents = NULL;
	size_t n = 0;
	int missing = 0, rc;
	int64_t t0 = bf_mono_ms();
	struct bf_err perr = { 0 };

	bf_date_iso(date, p.date);
	bf_date_compact(date, p.compact);
	int done = 0;
	if (!c->o->force && (rc = bf_state_done_in(c->st, c->canon, location, p.date, c->target_key,
						   &done, err)))
		return rc;
	if (done) {
		c->skipped++;
		return 0;
	}
	struct bf_partition_update u = { c->canon, location, p.date, "running", NULL,
					 -1, -1, -1, -1, NULL, 1, -1 };
	if ((rc = bf_state_partition_update(c->st, &u, err)) ||
	    (rc = bf_state_quarantine_clear(c->st, "extract", c->canon, location, p.date, err)))
		return rc;

	p.files = cJSON_CreateArray();
	p.rows = cJSON_CreateObject();
	struct bf_table_part tp;
	int prc = 0;
	if (c->sql) {
		prc = table_partition(c, &p, &tp, date, &perr);
		goto read;
	}
	bf_layout_render(&c->layout, location, date, &dir);
	prc = bf_source_list(c->src, dir.p, &ents, &n, &missing, &perr);
	if (prc == BF_SOURCE_UNREADABLE) {
		/* the date folder itself (or one on the way to it) may not be listed */
		struct bf_err why = perr;
		perr = (struct bf_err){ 0 };
		p.folder = "unreadable";
		prc = unreadable(c, &p, dir.p, dir.p, reason_of(&why, dir.p), &perr);
		if (!prc && !c->o->skip_unreadable) {
			prc = BF_SOURCE_UNREADABLE;
			part_error(&p, &perr);
		}
	} else if (!prc && !missing) {
		prc = do_files(c, &p, dir.p, ents, n, &perr);
	}
	bf_entries_free(ents, n);
	bf_buf_free(&dir);
read:
	/* the output must be intact before the STATE promises anything */
	bf_out_wait(&c->out);
	if (c->out.err) {
		cJSON_Delete(p.files);
		cJSON_Delete(p.rows);
		cJSON_Delete(p.unreadable);
		return bf_out_flush(&c->out, err);
	}
	if (prc == BF_EIO && c->out.err)
		return prc;
	emit_state(c, &p, prc, perr.msg);
	c->total_rows += p.nrows;
	c->total_bad += p.nbad;
	c->total_unreadable += c->o->skip_unreadable ? p.nunreadable : 0;
	c->done_parts++;
	u = (struct bf_partition_update){ c->canon, location, p.date, prc ? "failed" : "running",
					  c->sql ? NULL : p.folder, p.nfiles, p.nrows, p.nbad, -1,
					  prc ? perr.msg : NULL, 0, bf_mono_ms() - t0 };
	if ((rc = bf_state_partition_update(c->st, &u, err)))
		return rc;
	bf_state_metric(c->st, c->canon, location, p.date, "rows", (double)p.nrows);
	if (prc) {
		/* unreadable entries were reported and recorded one by one */
		if (!(prc == BF_SOURCE_UNREADABLE && p.nunreadable)) {
			bf_err_print(&perr);
			bf_state_error(c->st, c->canon, location, p.date, prc, perr.msg);
		}
		if (!c->failed)
			c->first_fail = prc;
		else if (c->first_fail != prc)
			c->mixed_fail = 1;
		c->failed++;
	}
	/* hand the partition downstream now */
	return bf_out_flush(&c->out, err);
}

/* The table path's source: its locations and, with --all, its dates. */
static int table_open(struct ctx *c, char ***locs, size_t *nlocs, int32_t *lo, int32_t *hi,
		      struct bf_err *err)
{
	const struct bf_extract_opts *o = c->o;
	int rc;
	if ((rc = bf_sqlsrc_open(o->source, &o->src, &c->sql, err)))
		return rc;
	c->canon = bf_sqlsrc_canon(c->sql);
	c->table = bf_table_reader_new(c->sql, &c->out, c->st, o->strict);
	if ((rc = bf_sqlsrc_locations(c->sql, o->locations, o->nlocations, locs, nlocs, err)))
		return rc;
	if (o->dates.all) {
		if ((rc = bf_sqlsrc_dates(c->sql, *locs, *nlocs, lo, hi, err)))
			return rc;
		if (*lo == BF_DATE_NONE)
			bf_warn(c->canon, "no rows with a date found");
	}
	return 0;
}

/* How many of the locations' partitions of date the shard owns (all without --shard). */
static size_t shard_owned(const struct bf_extract_opts *o, char **locs, size_t nlocs, int32_t date)
{
	char iso[11];
	size_t n = 0;
	bf_date_iso(date, iso);
	for (size_t l = 0; l < nlocs; l++)
		n += (size_t)bf_shard_owns(&o->shard, locs[l], iso);
	return n;
}

int bf_extract_run(const struct bf_extract_opts *o, int out_fd, struct bf_err *err)
{
	struct ctx c = { .o = o };
	char **locs = NULL;
	size_t nlocs = 0, ndates = 0;
	int32_t *dates = NULL;
	int rc;

	bf_out_init(&c.out, out_fd, "stdout");
	bf_out_async(&c.out);      /* writes overlap parsing */
	c.hasher = bf_hasher_new();  /* checksums overlap parsing */
	bf_progress_init(&c.prog, o->progress);
	int sql = bf_sqlsrc_is_spec(o->source);
	/* a password in the spec is refused before anything is recorded */
	if (sql && (rc = bf_sqlsrc_check(o->source, &o->src, err)))
		goto done;
	if ((rc = bf_layout_parse(o->src.layout, &c.layout, err)))
		goto done;
	/* done in the target the output goes to: --target, else bf-run's $BF_TARGET */
	if (o->target)
		c.target_key = bf_target_key(o->target, o->pg_schema);
	else if (getenv("BF_TARGET") && *getenv("BF_TARGET"))
		c.target_key = bf_xstrdup(getenv("BF_TARGET"));
	if ((rc = bf_state_open(bf_state_path(o->state_path), &c.st, err)) ||
	    (rc = bf_state_run_begin(c.st, "extract", o->args, err)))
		goto done;
	int32_t lo = BF_DATE_NONE, hi = BF_DATE_NONE;
	if (sql) {
		if ((rc = table_open(&c, &locs, &nlocs, &lo, &hi, err)))
			goto done;
	} else {
		if ((rc = bf_source_open(o->source, &o->src, &c.src, err)))
			goto done;
		c.canon = bf_source_canon(c.src);
		if ((rc = bf_discover_locations(c.src, &c.layout, o->locations, o->nlocations, &locs, &nlocs, err)))
			goto done;
		if (o->dates.all) {
			if ((rc = bf_discover_dates(c.src, &c.layout, locs, nlocs, &lo, &hi, err)))
				goto done;
			if (lo == BF_DATE_NONE)
				bf_warn(bf_source_canon(c.src), "no date folders found");
		}
	}
	ndates = bf_datesel_resolve(&o->dates, lo, hi, &dates);
	/* with --shard, the partitions of the others are not requested at all */
	size_t nparts = 0;
	for (size_t d = 0; d < ndates; d++)
		nparts += shard_owned(o, locs, nlocs, dates[d]);
	for (size_t d = 0; d < ndates && !rc; d++) {
		for (size_t l = 0; l < nlocs && !rc; l++) {
			if (!shard_owned(o, locs + l, 1, dates[d]))
				continue;
			rc = do_partition(&c, locs[l], dates[d], err);
			bf_progress_show(&c.prog, 0, "%lld/%zu partitions, %lld rows, %lld quarantined, %lld failed",
					 c.done_parts + c.skipped, nparts, c.total_rows, c.total_bad, c.failed);
		}
	}
	bf_progress_done(&c.prog);
	if (!rc && c.skipped)
		bf_warn(NULL, "skipped %lld partitions already done (--force redoes them)", c.skipped);
	if (!rc)
		rc = c.failed ? (c.mixed_fail ? BF_PARTIAL : c.first_fail)
		   : c.total_bad || c.total_unreadable ? BF_PARTIAL : 0;
	if (rc && c.failed)
		bf_fail(err, rc, NULL, "%lld of %zu partitions failed, %lld rows quarantined",
			c.failed, nparts, c.total_bad);
	else if (rc == BF_PARTIAL && c.total_unreadable)
		bf_fail(err, rc, NULL, "done, but %lld entries could not be read and %lld bad rows were "
			"quarantined (see the quarantine table)", c.total_unreadable, c.total_bad);
	else if (rc == BF_PARTIAL)
		bf_fail(err, rc, NULL, "done, but %lld bad rows were quarantined (see the quarantine table)",
			c.total_bad);
done:
	{
		struct bf_err cerr = { 0 };
		int crc = bf_out_close(&c.out, &cerr);
		if (crc && (!rc || rc == BF_PARTIAL)) {
			*err = cerr;
			rc = crc;
		}
	}
	bf_state_run_end(c.st, rc);
	for (size_t i = 0; i < nlocs; i++)
		free(locs[i]);
	free(locs);
	free(dates);
	free(c.sent);
	bf_source_free(c.src);
	bf_table_reader_free(c.table);
	bf_sqlsrc_free(c.sql);
	bf_layout_free(&c.layout);
	bf_hasher_free(c.hasher);
	bf_state_close(c.st);
	free(c.target_key);
	return rc;
}
