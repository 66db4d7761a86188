/* Results as text: one JSON object a line, or a table for a terminal. */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "search/bf_search_out.h"

void bf_search_format_json(const struct bf_search_results *r, struct bf_buf *out)
{
	for (size_t i = 0; i < r->n; i++) {
		bf_buf_addf(out, "{\"rank\":%zu,\"score\":%.6g,\"stream\":", i + 1, r->hits[i].score);
		bf_buf_add_json_str(out, r->stream, strlen(r->stream));
		bf_buf_adds(out, ",\"record\":");
		bf_buf_adds(out, r->hits[i].record);
		bf_buf_adds(out, "}\n");
	}
}

/* Appends s cut to at most w characters of UTF-8 (an ellipsis marks a cut). */
static size_t add_cut(struct bf_buf *o, const char *s, size_t w)
{
	size_t chars = 0, i = 0, n = strlen(s);
	while (i < n) {
		size_t l = 1;
		while (i + l < n && ((unsigned char)s[i + l] & 0xc0) == 0x80)
			l++;
		if (chars + 1 > w || (chars + 1 == w && i + l < n)) {
			bf_buf_adds(o, "...");
			return chars + 3;
		}
		for (size_t k = 0; k < l; k++)
			bf_buf_addc(o, s[i + k] == '\n' || s[i + k] == '\t' ? ' ' : s[i + k]);
		i += l;
		chars++;
	}
	return chars;
}

void bf_search_format_table(const struct bf_search_results *r, int width, struct bf_buf *out)
{
	if (width < 40)
		width = 40;
	bf_buf_adds(out, "RANK  SCORE     DATE        LOCATION  RECORD\n");
	for (size_t i = 0; i < r->n; i++) {
		cJSON *rec = cJSON_Parse(r->hits[i].record);
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "_bf_date");
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(rec, "_bf_location");
		struct bf_buf text = BF_BUF_INIT, loc = BF_BUF_INIT;
		for (const cJSON *m = rec ? rec->child : NULL; m; m = m->next) {
			if (!cJSON_IsString(m) || !strncmp(m->string, "_bf_", 4) || !*m->valuestring)
				continue;
			bf_buf_adds(&text, text.len ? " | " : "");
			bf_buf_adds(&text, m->valuestring);
		}
		add_cut(&loc, cJSON_IsString(l) ? l->valuestring : "-", 8);
		bf_buf_addf(out, "%4zu  %-8.4f  %-10.10s  %-8s  ", i + 1, r->hits[i].score,
			    cJSON_IsString(d) ? d->valuestring : "-", loc.p);
		add_cut(out, text.p, (size_t)width - 42);
		bf_buf_addc(out, '\n');
		bf_buf_free(&text);
		bf_buf_free(&loc);
		cJSON_Delete(rec);
	}
}
