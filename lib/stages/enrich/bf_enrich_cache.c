/* The cache of model answers in the state file (enrich_cache): keyed by the SHA-256 of
 * model, task and input; rows written in batches. */
#include "stages/enrich/bf_enrich_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "base/bf_time.h"

void bf_enrich_cache_key(struct ctx *c, const struct bf_enrich_task *t, const char *input,
			 char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	EVP_DigestUpdate(x, c->o->model, strlen(c->o->model) + 1);
	EVP_DigestUpdate(x, t->task_key, strlen(t->task_key) + 1);
	EVP_DigestUpdate(x, input, strlen(input));
	EVP_DigestFinal_ex(x, md, &mdlen);
	EVP_MD_CTX_free(x);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

char *bf_enrich_cache_get(struct ctx *c, const char *key)
{
	char *out = NULL;
	if (!c->get)
		return NULL;
	sqlite3_bind_text(c->get, 1, key, 64, SQLITE_STATIC);
	if (bf_sqlite_step(c->get) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(c->get, 0);
		if (t)
			out = bf_xstrdup(t);
	}
	sqlite3_reset(c->get);
	sqlite3_clear_bindings(c->get);
	return out;
}

/* Cache rows are written in one transaction per 256 (a commit per request would
 * stall the loop on the disk; a transaction of 1024 rows took up to 35 ms, long
 * enough to leave every connection idle meanwhile), and at every STATE and at the end. */
#define CACHE_FLUSH_ROWS 256
void bf_enrich_cache_flush(struct ctx *c)
{
	char now[21];
	struct bf_err e = { 0 };
	if (!c->put || !c->ncache_rows)
		return;
	bf_now_rfc3339(now);
	if (bf_sqlite_exec(c->st->db, "BEGIN IMMEDIATE", "cache", &e)) {
		bf_warn(NULL, "enrichment cache not written: %s", e.msg);
	} else {
		for (size_t i = 0; i + 2 < c->ncache_rows * 3; i += 3) {
			sqlite3_bind_text(c->put, 1, c->cache_rows[i], 64, SQLITE_STATIC);
			sqlite3_bind_text(c->put, 2, c->o->model, -1, SQLITE_STATIC);
			sqlite3_bind_text(c->put, 3, c->cache_rows[i + 1], -1, SQLITE_STATIC);
			sqlite3_bind_text(c->put, 4, c->cache_rows[i + 2], -1, SQLITE_STATIC);
			sqlite3_bind_text(c->put, 5, now, -1, SQLITE_STATIC);
			bf_sqlite_step(c->put);
			sqlite3_reset(c->put);
		}
		if (bf_sqlite_exec(c->st->db, "COMMIT", "cache", &e)) {
			bf_warn(NULL, "enrichment cache not written: %s", e.msg);
			bf_sqlite_exec(c->st->db, "ROLLBACK", "cache", &e);
		}
	}
	for (size_t i = 0; i < c->ncache_rows * 3; i += 3) {
		free(c->cache_rows[i]);
		free(c->cache_rows[i + 2]);
	}
	c->ncache_rows = 0;
}

void bf_enrich_cache_put_job(struct ctx *c, struct batch *b)
{
	if (!c->put)
		return;
	for (int i = 0; i < b->n; i++) {
		if (!b->job.outputs || !b->job.outputs[i])
			continue;
		if ((c->ncache_rows + 1) * 3 > c->cache_cap) {
			c->cache_cap = c->cache_cap ? c->cache_cap * 2 : 3 * 256;
			c->cache_rows = bf_xrealloc(c->cache_rows, c->cache_cap * sizeof *c->cache_rows);
		}
		c->cache_rows[c->ncache_rows * 3] = bf_xstrdup(b->keys[i]);
		c->cache_rows[c->ncache_rows * 3 + 1] = b->task->task_key;   /* borrowed */
		c->cache_rows[c->ncache_rows * 3 + 2] = bf_xstrdup(b->job.outputs[i]);
		c->ncache_rows++;
	}
	if (c->ncache_rows >= CACHE_FLUSH_ROWS)
		bf_enrich_cache_flush(c);
}
