/* The query's embedding, made the way the column's vectors were (its x-bf-embedding in
 * _bf_columns): the offline feature hashing of model/bf_embed_hash with the column's
 * dimension, or the OpenAI-compatible API and model recorded, the key from BF_API_KEY.
 * The vector is returned at unit length (similarities are cosines). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "base/bf_exit.h"
#include "model/bf_embed_hash.h"
#include "model/bf_model.h"
#include "proto/bf_json.h"
#include "search/bf_search_int.h"
#include "search/bf_vdot.h"

struct wait_one {
	struct bf_model_job *job;
	int done;
};

static void on_done(void *ctx, struct bf_model_job *job)
{
	struct wait_one *w = ctx;
	if (job == w->job)
		w->done = 1;
}

static int via_model(struct bf_search *s, const struct bf_sdb_col *col, const char *base, const char *model,
		     int dim, const char *text, float **v, size_t *n, struct bf_err *err)
{
	struct bf_buf key = BF_BUF_INIT;
	bf_buf_adds(&key, base);
	bf_buf_addc(&key, '\n');
	bf_buf_adds(&key, model);
	if (!s->model || strcmp(s->model_key, key.p)) {
		bf_search_embed_free(s);
		struct bf_model_opts mo = { base, model, s->o.api_key, 1, 3, s->o.timeout_ms > 0 ? s->o.timeout_ms : 60000,
					    0, 0, 200, 5000 };
		struct bf_model *m = NULL;
		int rc = bf_model_new(&mo, &m, err);
		if (rc) {
			bf_buf_free(&key);
			return rc;
		}
		s->model = m;
		s->model_key = bf_buf_detach(&key);
	}
	bf_buf_free(&key);
	struct bf_model_task task = { .kind = BF_MODEL_EMBED, .dim = dim };
	const char *inputs[1] = { text };
	struct bf_model_job job = { .task = &task, .n = 1, .inputs = inputs };
	struct wait_one w = { &job, 0 };
	bf_model_submit(s->model, &job);
	int rc = 0;
	while (!w.done && !rc)
		rc = bf_model_poll(s->model, 1000, on_done, &w, err);
	if (!rc && job.code)
		rc = bf_fail(err, job.code, col->name, "embedding the query through %s (model %s): %s", base, model,
			     job.error);
	cJSON *arr = !rc ? cJSON_Parse(job.outputs[0]) : NULL;
	if (!rc && !cJSON_IsArray(arr))
		rc = bf_fail(err, BF_EDATA, col->name, "the model's embedding is not an array of numbers");
	if (!rc) {
		size_t k = (size_t)cJSON_GetArraySize(arr), i = 0;
		*v = bf_xmalloc((k + 1) * sizeof **v);
		for (const cJSON *x = arr->child; x; x = x->next)
			(*v)[i++] = (float)x->valuedouble;
		*n = k;
	}
	cJSON_Delete(arr);
	bf_model_job_clear(&job);
	return rc;
}

int bf_search_embed(struct bf_search *s, const struct bf_sdb_col *col, const char *text, float **v,
		    size_t *dim, struct bf_err *err)
{
	*v = NULL;
	*dim = 0;
	if (!col->embedding)
		return bf_fail(err, BF_EDATA, col->name, "the warehouse does not say how this column was embedded"
			       " (no x-bf-embedding recorded in _bf_columns: load it again with this bf-load, from"
			       " bf-enrich --embed)");
	cJSON *e = cJSON_Parse(col->embedding);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "method");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "dim");
	int want = cJSON_IsNumber(d) && d->valuedouble >= 1 && d->valuedouble <= 65536 ? (int)d->valuedouble : 0;
	int rc = 0;
	if (cJSON_IsString(m) && !strcmp(m->valuestring, "hash")) {
		int n = want ? want : BF_EMBED_HASH_DIM;
		*v = bf_xmalloc((size_t)n * sizeof **v);
		if (!bf_embed_hash(text, strlen(text), n, *v))
			rc = bf_fail(err, BF_EUSAGE, NULL, "the query has no word to search for");
		*dim = (size_t)n;
	} else if (cJSON_IsString(m) && !strcmp(m->valuestring, "model")) {
		const char *base = bf_json_str(e, "api_base"), *model = bf_json_str(e, "model");
		if (!base || !model || !*base || !*model)
			rc = bf_fail(err, BF_EDATA, col->name, "the recorded embedding names no API base or model");
		else
			rc = via_model(s, col, base, model, want, text, v, dim, err);
	} else {
		rc = bf_fail(err, BF_EDATA, col->name, "unknown embedding method in _bf_columns: %s", col->embedding);
	}
	cJSON_Delete(e);
	if (!rc && !bf_sdb_normalize(*v, *dim, *v))
		rc = bf_fail(err, BF_EDATA, col->name, "the query's embedding is all zeros");
	if (rc) {
		free(*v);
		*v = NULL;
	}
	return rc;
}

void bf_search_embed_free(struct bf_search *s)
{
	bf_model_free(s->model);
	s->model = NULL;
	free(s->model_key);
	s->model_key = NULL;
}
