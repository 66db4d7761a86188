/* bf-sample: OUT/manifest.json, what the drop holds. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_file.h"
#include "sample.h"

static cJSON *jchk(cJSON *item)
{
	if (!item)
		fail(BF_EOS, "manifest", "out of memory");
	return item;
}

static cJSON *jadd(cJSON *obj, const char *key, cJSON *item)
{
	jchk(item);
	if (key ? !cJSON_AddItemToObject(obj, key, item) : !cJSON_AddItemToArray(obj, item))
		fail(BF_EOS, "manifest", "out of memory");
	return item;
}

static cJSON *jmoney(int64_t cents)
{
	char t[32];
	t[fmt_money(t, cents)] = 0;
	return cJSON_CreateString(t);
}

void write_manifest(struct gen *g)
{
	char t[64], path[PATH_MAX];
	long closed = 0, by_reason[R_N] = { 0 };
	cJSON *root = jchk(cJSON_CreateObject());

	jadd(root, "generator", cJSON_CreateString(PROG));
	jadd(root, "version", cJSON_CreateString(VERSION));
	snprintf(t, sizeof t, "%llu", (unsigned long long)g->c.seed);
	jadd(root, "seed", cJSON_CreateRaw(t));
	bf_date_iso((int32_t)(g->c.start), t);
	jadd(root, "start_date", cJSON_CreateString(t));
	bf_date_iso((int32_t)(g->c.start + g->c.days - 1), t);
	jadd(root, "end_date", cJSON_CreateString(t));
	jadd(root, "days", cJSON_CreateNumber(g->c.days));
	jadd(root, "orders_per_day", cJSON_CreateNumber(g->c.orders_per_day));
	jadd(root, "line_ending", cJSON_CreateString(g->c.lf ? "lf" : "crlf"));
	jadd(root, "gzip", cJSON_CreateBool(g->c.gzip_all));
	jadd(root, "closures", cJSON_CreateBool(!g->c.no_closures));
	cJSON *a = jadd(root, "locations", cJSON_CreateArray());
	for (int l = 0; l < g->c.locations; l++)
		jadd(a, NULL, cJSON_CreateString(g->locid[l]));
	a = jadd(root, "location_names", cJSON_CreateObject());
	for (int l = 0; l < g->c.locations; l++)
		jadd(a, g->locid[l], cJSON_CreateString(g->locname[l]));
	a = jadd(root, "streams", cJSON_CreateArray());
	for (int k = 0; k < NF; k++)
		jadd(a, NULL, cJSON_CreateString(stream_name[k]));
	a = jadd(root, "files", cJSON_CreateArray());
	for (int k = 0; k < NF; k++) {
		snprintf(t, sizeof t, "%s.csv", file_stem[k]);
		jadd(a, NULL, cJSON_CreateString(t));
	}

	static const char *const folder_state[] = { "missing", "empty", "present" };
	a = jadd(root, "partitions", cJSON_CreateArray());
	for (size_t i = 0; i < g->nparts; i++) {
		const struct part *pt = &g->parts[i];
		cJSON *p = jadd(a, NULL, cJSON_CreateObject());
		jadd(p, "location", cJSON_CreateString(g->locid[pt->loc]));
		bf_date_iso((int32_t)(g->c.start + pt->day), t);
		jadd(p, "date", cJSON_CreateString(t));
		jadd(p, "folder", cJSON_CreateString(folder_state[pt->folder]));
		jadd(p, "closed", cJSON_CreateBool(pt->closure != CL_OPEN));
		if (pt->closure != CL_OPEN) {
			jadd(p, "reason", cJSON_CreateString(closure_reason[pt->closure]));
			jadd(p, "closure", cJSON_CreateString(closure_name[pt->closure]));
			closed++;
			for (int rr = 0; rr < R_N; rr++)
				by_reason[rr] += !strcmp(reason_name[rr], closure_reason[pt->closure]);
		} else {
			jadd(p, "reason", cJSON_CreateNull());
			jadd(p, "closure", cJSON_CreateNull());
		}
		cJSON *fs = jadd(p, "files", cJSON_CreateObject());
		for (int k = 0; k < NF; k++) {
			if (!pt->f[k].written)
				continue;
			snprintf(t, sizeof t, "%s.csv%s", file_stem[k], pt->f[k].gz ? ".gz" : "");
			cJSON *f = jadd(fs, t, cJSON_CreateObject());
			jadd(f, "rows", cJSON_CreateNumber((double)pt->f[k].rows));
			jadd(f, "bad_rows", cJSON_CreateNumber((double)pt->f[k].bad));
		}
		jadd(p, "orders", cJSON_CreateNumber((double)pt->orders));
		jadd(p, "sales", jmoney(pt->sales));
	}

	a = jadd(root, "defects", cJSON_CreateArray());
	for (size_t i = 0; i < g->ndefs; i++) {
		const struct defect_rec *d = &g->defs[i];
		const struct part *pt = &g->parts[(size_t)d->day * (size_t)g->c.locations + (size_t)d->loc];
		cJSON *o = jadd(a, NULL, cJSON_CreateObject());
		jadd(o, "location", cJSON_CreateString(g->locid[d->loc]));
		bf_date_iso((int32_t)(g->c.start + d->day), t);
		jadd(o, "date", cJSON_CreateString(t));
		jadd(o, "file", cJSON_CreateString(d->name));
		jadd(o, "line", d->line > 0 ? cJSON_CreateNumber((double)d->line) : cJSON_CreateNull());
		jadd(o, "kind", cJSON_CreateString(defect_name[d->kind]));
		if (d->detail)
			jadd(o, "detail", cJSON_CreateString(d->detail));
		jadd(o, "rows", cJSON_CreateNumber((double)pt->f[d->file].rows));
		jadd(o, "bad_rows", cJSON_CreateNumber((double)pt->f[d->file].bad));
	}

	cJSON *tot = jadd(root, "totals", cJSON_CreateObject());
	jadd(tot, "partitions", cJSON_CreateNumber((double)g->nparts));
	jadd(tot, "closed", cJSON_CreateNumber((double)closed));
	jadd(tot, "rows", cJSON_CreateNumber((double)g->total_rows));
	jadd(tot, "bad_rows", cJSON_CreateNumber((double)g->total_bad));
	jadd(tot, "defects", cJSON_CreateNumber((double)g->ndefs));
	cJSON *br = jadd(tot, "closed_by_reason", cJSON_CreateObject());
	for (int rr = 0; rr < R_N; rr++)
		jadd(br, reason_name[rr], cJSON_CreateNumber((double)by_reason[rr]));

	char *s = cJSON_Print(root);
	if (!s)
		fail(BF_EOS, "manifest", "out of memory");
	struct bf_buf text = BF_BUF_INIT;
	struct bf_err err = { 0 };
	bf_buf_adds(&text, s);
	bf_buf_addc(&text, '\n');
	snprintf(path, sizeof path, "%s/manifest.json", g->c.out);
	if (bf_write_file_atomic(path, text.p, text.len, 0666, &err))
		fail(BF_EIO, NULL, err.msg);
	bf_buf_free(&text);
	cJSON_free(s);
	cJSON_Delete(root);
}

