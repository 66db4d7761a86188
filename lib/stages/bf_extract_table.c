#include "stages/bf_extract_table.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"
#include "base/bf_utf8.h"
#include "proto/bf_jsoncheck.h"
#include "sources/bf_names.h"

#define WARN_PER_WINDOW 10
#define HASH_CHUNK (64u << 10)

struct bf_table_reader {
	struct bf_sqlsrc *src;
	struct bf_out *out;
	struct bf_state *st;
	int strict;
	char sent[65];             /* fingerprint of the last SCHEMA sent */
	/* the window being read */
	EVP_MD_CTX *md;            /* the rows' SHA-256 */
	struct bf_buf hash;        /* row bytes gathered for it, hashed 64 KiB at a time */
	struct bf_buf prefix, lineage, suffix, json;
	struct bf_buf *keys;       /* ,"name": */
	size_t nkeys;
};

struct bf_table_reader *bf_table_reader_new(struct bf_sqlsrc *src, struct bf_out *out,
					    struct bf_state *st, int strict)
{
	struct bf_table_reader *r = bf_xcalloc(1, sizeof *r);
	bf_buf_init(&r->hash);
	bf_buf_init(&r->prefix);
	bf_buf_init(&r->lineage);
	bf_buf_init(&r->suffix);
	bf_buf_init(&r->json);
	r->src = src;
	r->out = out;
	r->st = st;
	r->strict = strict;
	r->md = EVP_MD_CTX_new();
	return r;
}

static void free_keys(struct bf_table_reader *r)
{
	for (size_t i = 0; i < r->nkeys; i++)
		bf_buf_free(&r->keys[i]);
	free(r->keys);
	r->keys = NULL;
	r->nkeys = 0;
}

void bf_table_reader_free(struct bf_table_reader *r)
{
	if (!r)
		return;
	free_keys(r);
	bf_buf_free(&r->hash);
	bf_buf_free(&r->prefix);
	bf_buf_free(&r->lineage);
	bf_buf_free(&r->suffix);
	bf_buf_free(&r->json);
	EVP_MD_CTX_free(r->md);
	free(r);
}

static const char *json_type(enum bf_sqlkind k)
{
	switch (k) {
	case BF_SQL_INTEGER: return "integer";
	case BF_SQL_NUMBER: return "number";
	case BF_SQL_BOOLEAN: return "boolean";
	case BF_SQL_JSON: return "object";
	default: return "string";
	}
}

/* The SCHEMA of these columns, sent when it differs from the last one. */
static void schema(struct bf_table_reader *r, const struct bf_sqlcol *cols, char **names, size_t n)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char fp[65];
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	for (size_t i = 0; i < n; i++) {
		EVP_DigestUpdate(x, cols[i].name, strlen(cols[i].name) + 1);
		EVP_DigestUpdate(x, &cols[i].kind, sizeof cols[i].kind);
	}
	EVP_DigestFinal_ex(x, md, &mdlen);
	EVP_MD_CTX_free(x);
	for (int i = 0; i < 32; i++)
		snprintf(fp + 2 * i, 3, "%02x", md[i]);
	if (!strcmp(fp, r->sent))
		return;
	memcpy(r->sent, fp, sizeof r->sent);

	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "type", "object");
	cJSON *props = cJSON_AddObjectToObject(s, "properties");
	for (size_t i = 0; i < n; i++) {
		cJSON *p = cJSON_AddObjectToObject(props, names[i]);
		cJSON *t = cJSON_AddArrayToObject(p, "type");
		cJSON_AddItemToArray(t, cJSON_CreateString(json_type(cols[i].kind)));
		cJSON_AddItemToArray(t, cJSON_CreateString("null"));
		if (cols[i].kind == BF_SQL_DATE)
			cJSON_AddStringToObject(p, "format", "date");
		else if (cols[i].kind == BF_SQL_TIMESTAMP || cols[i].kind == BF_SQL_TIMESTAMPTZ)
			cJSON_AddStringToObject(p, "format", "date-time");
		else if (cols[i].kind == BF_SQL_BINARY)
			cJSON_AddStringToObject(p, "contentEncoding", "base64");
		cJSON_AddStringToObject(p, "title", cols[i].name);
	}
	static const char *const lineage[] = { "_bf_date", "_bf_location", "_bf_source" };
	for (int i = 0; i < 3; i++) {
		cJSON *p = cJSON_AddObjectToObject(props, lineage[i]);
		cJSON_AddStringToObject(p, "type", "string");
		if (i == 0)
			cJSON_AddStringToObject(p, "format", "date");
	}
	cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "_bf_line"), "type", "integer");
	cJSON *keys = cJSON_CreateArray();
	cJSON_AddItemToArray(keys, cJSON_CreateString("_bf_date"));
	cJSON_AddItemToArray(keys, cJSON_CreateString("_bf_location"));
	cJSON_AddItemToArray(keys, cJSON_CreateString("_bf_line"));
	cJSON *msg = bf_msg_new_schema(bf_sqlsrc_stream(r->src), s, keys);
	bf_out_json_line(r->out, msg);
	cJSON_Delete(msg);
}

/* The constant parts of the window's RECORD lines. */
static void parts(struct bf_table_reader *r, char **names, size_t n, const char *location,
		  const char *date, const char *source)
{
	char now[21];
	const char *stream = bf_sqlsrc_stream(r->src);
	bf_now_rfc3339(now);
	free_keys(r);
	bf_buf_reset(&r->prefix);
	bf_buf_adds(&r->prefix, "{\"type\":\"RECORD\",\"stream\":");
	bf_buf_add_json_str(&r->prefix, stream, strlen(stream));
	bf_buf_adds(&r->prefix, ",\"record\":{");
	r->keys = bf_xcalloc(n ? n : 1, sizeof *r->keys);
	r->nkeys = n;
	for (size_t i = 0; i < n; i++) {
		if (i)
			bf_buf_addc(&r->keys[i], ',');
		bf_buf_add_json_str(&r->keys[i], names[i], strlen(names[i]));
		bf_buf_addc(&r->keys[i], ':');
	}
	bf_buf_reset(&r->lineage);
	bf_buf_adds(&r->lineage, n ? ",\"_bf_date\":\"" : "\"_bf_date\":\"");
	bf_buf_adds(&r->lineage, date);
	bf_buf_adds(&r->lineage, "\",\"_bf_location\":");
	bf_buf_add_json_str(&r->lineage, location, strlen(location));
	bf_buf_adds(&r->lineage, ",\"_bf_source\":");
	bf_buf_add_json_str(&r->lineage, source, strlen(source));
	bf_buf_adds(&r->lineage, ",\"_bf_line\":");
	bf_buf_reset(&r->suffix);
	bf_buf_adds(&r->suffix, "},\"time_extracted\":\"");
	bf_buf_adds(&r->suffix, now);
	bf_buf_adds(&r->suffix, "\"}\n");
}

/* Gathers the row for the checksum: each value's length (UINT32_MAX for NULL) and bytes;
 * returns the bytes of its values. */
static long long hash_row(struct bf_table_reader *r, const struct bf_sqlrow *row)
{
	size_t bytes = 0;
	for (size_t i = 0; i < row->n; i++)
		bytes += row->v[i] ? row->len[i] : 0;
	bf_buf_grow(&r->hash, bytes + row->n * sizeof(uint32_t) + 1);
	char *o = r->hash.p + r->hash.len;
	for (size_t i = 0; i < row->n; i++) {
		uint32_t len = row->v[i] ? (uint32_t)row->len[i] : UINT32_MAX;
		memcpy(o, &len, sizeof len);
		o += sizeof len;
		if (row->v[i]) {
			memcpy(o, row->v[i], row->len[i]);
			o += row->len[i];
		}
	}
	r->hash.len = (size_t)(o - r->hash.p);
	if (r->hash.len >= HASH_CHUNK) {
		EVP_DigestUpdate(r->md, r->hash.p, r->hash.len);
		bf_buf_reset(&r->hash);
	}
	return (long long)bytes;
}

static void hash_final(struct bf_table_reader *r, char sha[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_DigestUpdate(r->md, r->hash.p, r->hash.len);
	EVP_DigestFinal_ex(r->md, md, &mdlen);
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", md[i]);
	bf_buf_reset(&r->hash);
}

/* A JSON value on one line: the database's text without its line breaks (outside strings
 * there are only whitespace), when it is valid JSON; NULL otherwise. */
static const char *json_value(struct bf_table_reader *r, const char *v, size_t n, size_t *outn)
{
	struct bf_jsoncheck ck = { 0 };
	if (memchr(v, '\n', n) || memchr(v, '\r', n)) {
		bf_buf_reset(&r->json);
		bf_buf_add(&r->json, v, n);
		for (size_t i = 0; i < n; i++)
			if (r->json.p[i] == '\n' || r->json.p[i] == '\r')
				r->json.p[i] = ' ';
		v = r->json.p;
	}
	if (bf_jsoncheck(v, n, &ck))
		return NULL;
	*outn = n;
	return v;
}

static void write_record(struct bf_table_reader *r, const struct bf_sqlcol *cols,
			 const struct bf_sqlrow *row, long long line)
{
	size_t need = r->prefix.len + r->lineage.len + r->suffix.len + 24;
	for (size_t i = 0; i < row->n; i++)
		need += r->keys[i].len + 6 * row->len[i] + 6;
	char *start = bf_out_reserve(r->out, need), *o = start;
	memcpy(o, r->prefix.p, r->prefix.len);
	o += r->prefix.len;
	for (size_t i = 0; i < row->n; i++) {
		memcpy(o, r->keys[i].p, r->keys[i].len);
		o += r->keys[i].len;
		const char *j;
		size_t jn;
		if (!row->v[i]) {
			memcpy(o, "null", 4);
			o += 4;
		} else if (cols[i].kind == BF_SQL_JSON && (j = json_value(r, row->v[i], row->len[i], &jn))) {
			memcpy(o, j, jn);
			o += jn;
		} else {
			o = bf_json_str_put(o, row->v[i], row->len[i]);
		}
	}
	memcpy(o, r->lineage.p, r->lineage.len);
	o += r->lineage.len;
	char digits[24];
	size_t nd = 0;
	unsigned long long v = (unsigned long long)line;
	do
		digits[nd++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (nd)
		*o++ = digits[--nd];
	memcpy(o, r->suffix.p, r->suffix.len);
	o += r->suffix.len;
	bf_out_commit(r->out, (size_t)(o - start));
}

/* The column of the first value that is not UTF-8, or -1. */
static long bad_utf8(const struct bf_sqlcol *cols, const struct bf_sqlrow *row)
{
	for (size_t i = 0; i < row->n; i++)
		if (row->v[i] && cols[i].kind != BF_SQL_BINARY && !bf_utf8_valid(row->v[i], row->len[i], NULL))
			return (long)i;
	return -1;
}

static int quarantine(struct bf_table_reader *r, struct bf_table_part *p, const char *location,
		      const char *date, const struct bf_sqlcol *col, const struct bf_sqlrow *row,
		      long col_i, long long line, struct bf_err *err)
{
	char why[160];
	int rc;
	snprintf(why, sizeof why, "invalid UTF-8 in column %s", col->name);
	p->quarantined++;
	if (p->quarantined <= WARN_PER_WINDOW)
		bf_warn(NULL, "%s: row %lld: %s%s", p->what, line, why, r->strict ? "" : " (quarantined)");
	if ((rc = bf_state_quarantine(r->st, "extract", bf_sqlsrc_canon(r->src), location, date, p->what,
				      (long)line, why, row->v[col_i], row->len[col_i], err)))
		return rc;
	if (r->strict)
		return bf_fail(err, BF_EDATA, NULL, "%s: row %lld: %s (--strict)", p->what, line, why);
	return 0;
}

int bf_table_read(struct bf_table_reader *r, const char *location, int32_t date,
		  struct bf_table_part *p, struct bf_err *err)
{
	struct bf_sqlcur *cur = NULL;
	char iso[11];
	int rc;
	memset(p, 0, sizeof *p);
	bf_date_iso(date, iso);
	EVP_DigestInit_ex(r->md, EVP_sha256(), NULL);
	bf_buf_reset(&r->hash);
	if ((rc = bf_sqlsrc_window(r->src, location, date, &cur, err))) {
		char ignore[65];
		hash_final(r, ignore);
		return rc;
	}
	snprintf(p->what, sizeof p->what, "%s", bf_sqlcur_what(cur));
	snprintf(p->start, sizeof p->start, "%s", bf_sqlcur_start(cur));
	snprintf(p->end, sizeof p->end, "%s", bf_sqlcur_end(cur));
	size_t n;
	const struct bf_sqlcol *cols = bf_sqlcur_columns(cur, &n);
	const char **heads = bf_xcalloc(n ? n : 1, sizeof *heads);
	size_t *lens = bf_xcalloc(n ? n : 1, sizeof *lens);
	for (size_t i = 0; i < n; i++) {
		heads[i] = cols[i].name;
		lens[i] = strlen(cols[i].name);
	}
	char **names = bf_column_names(heads, lens, n);
	free(heads);
	free(lens);
	schema(r, cols, names, n);
	const char *canon = bf_sqlsrc_canon(r->src), *hash = strchr(canon, '#');
	parts(r, names, n, location, iso, hash ? hash + 1 : canon);
	bf_names_free(names, n);

	int check = !bf_sqlsrc_utf8_sure(r->src);
	struct bf_sqlrow row;
	long long line = 0;
	int got;
	while ((got = bf_sqlcur_next(cur, &row, err)) == 1) {
		line++;
		p->bytes += hash_row(r, &row);
		long bad = check ? bad_utf8(cols, &row) : -1;
		if (bad >= 0) {
			if ((rc = quarantine(r, p, location, iso, &cols[bad], &row, bad, line, err)))
				break;
			continue;
		}
		write_record(r, cols, &row, line);
		p->rows++;
	}
	if (!rc && got < 0)
		rc = -got;
	bf_sqlcur_close(cur);
	hash_final(r, p->sha256);
	if (p->quarantined > WARN_PER_WINDOW)
		bf_warn(NULL, "%s: %lld bad rows in all (quarantined)", p->what, p->quarantined);
	if (!rc) {
		struct bf_file_seen fs = {
			canon, location, iso, p->what, bf_sqlsrc_stream(r->src), p->bytes, -1, p->sha256,
			r->sent, p->rows, p->quarantined,
		};
		rc = bf_state_file_seen(r->st, &fs, err);
	}
	return rc;
}
