#include "sources/bf_layout.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"
#include "base/bf_time.h"

static const char *const tokens[] = { "{location}", "{yyyymmdd}", "{date}", "{yyyy}", "{mm}", "{dd}", NULL };
enum { T_LOC, T_YMD, T_DATE, T_Y, T_M, T_D, T_NONE };

static int token_at(const char *p, size_t *tlen)
{
	for (int i = 0; tokens[i]; i++) {
		size_t n = strlen(tokens[i]);
		if (strncmp(p, tokens[i], n) == 0) {
			*tlen = n;
			return i;
		}
	}
	return T_NONE;
}

int bf_layout_parse(const char *spec, struct bf_layout *l, struct bf_err *err)
{
	memset(l, 0, sizeof *l);
	l->loc_seg = l->first_date_seg = -1;
	if (!spec || !*spec)
		spec = BF_LAYOUT_DEFAULT;
	const char *p = spec;
	int has_date = 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 2 && !strncmp(p, "..", 2)) || (n == 1 && *p == '.'))
			return bf_fail(err, BF_EUSAGE, "--layout", "bad segment in \"%s\"", spec);
		char *seg = bf_xstrndup(p, n);
		l->seg = bf_xrealloc(l->seg, (l->n + 1) * sizeof *l->seg);
		l->seg[l->n++] = seg;      /* counted now, so that an error below frees it */
		int locs = 0, dates = 0;
		for (const char *q = seg; *q; q++) {
			size_t tl;
			int t = *q == '{' ? token_at(q, &tl) : T_NONE;
			if (*q == '{' && t == T_NONE)
				return bf_fail(err, BF_EUSAGE, "--layout", "unknown placeholder in \"%s\"", seg);
			if (t == T_LOC)
				locs++;
			else if (t != T_NONE)
				dates++;
			if (t != T_NONE)
				q += tl - 1;
		}
		if (locs > 1 || (locs && dates))
			return bf_fail(err, BF_EUSAGE, "--layout", "{location} must be a segment of its own kind: \"%s\"", seg);
		if (locs) {
			if (l->loc_seg >= 0 || has_date)
				return bf_fail(err, BF_EUSAGE, "--layout", "{location} must come once, before the date");
			for (size_t i = 0; i + 1 < l->n; i++)
				if (strchr(l->seg[i], '{'))
					return bf_fail(err, BF_EUSAGE, "--layout", "only literal folders may precede {location}");
			l->loc_seg = (int)l->n - 1;
		}
		if (dates) {
			if (!has_date)
				l->first_date_seg = (int)l->n - 1;
			has_date = 1;
		} else if (has_date) {
			return bf_fail(err, BF_EUSAGE, "--layout", "the date must be in the last segments");
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (!has_date)
		return bf_fail(err, BF_EUSAGE, "--layout", "\"%s\" has no date placeholder", spec);
	return 0;
}

void bf_layout_free(struct bf_layout *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->seg[i]);
	free(l->seg);
	memset(l, 0, sizeof *l);
}

static void render(const struct bf_layout *l, size_t upto, const char *location, int32_t date,
		   struct bf_buf *out)
{
	char iso[11], compact[9];
	if (date != BF_DATE_NONE) {
		bf_date_iso(date, iso);
		bf_date_compact(date, compact);
	}
	bf_buf_reset(out);
	for (size_t i = 0; i < upto && i < l->n; i++) {
		if (i)
			bf_buf_addc(out, '/');
		for (const char *q = l->seg[i]; *q; q++) {
			size_t tl;
			int t = *q == '{' ? token_at(q, &tl) : T_NONE;
			switch (t) {
			case T_LOC: bf_buf_adds(out, location ? location : ""); break;
			case T_YMD: bf_buf_add(out, compact, 8); break;
			case T_DATE: bf_buf_add(out, iso, 10); break;
			case T_Y: bf_buf_add(out, iso, 4); break;
			case T_M: bf_buf_add(out, iso + 5, 2); break;
			case T_D: bf_buf_add(out, iso + 8, 2); break;
			default: bf_buf_addc(out, *q); continue;
			}
			q += tl - 1;
		}
	}
	if (!out->p)
		bf_buf_adds(out, "");
}

void bf_layout_render(const struct bf_layout *l, const char *location, int32_t date, struct bf_buf *out)
{
	render(l, l->n, location, date, out);
}

void bf_layout_render_prefix(const struct bf_layout *l, size_t upto, const char *location,
			     struct bf_buf *out)
{
	render(l, upto, location, BF_DATE_NONE, out);
}

static int num(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + s[i] - '0';
	}
	return 0;
}

static int match(const char *pat, const char *name, struct bf_layout_caps *c)
{
	while (*pat) {
		size_t tl;
		int t = *pat == '{' ? token_at(pat, &tl) : T_NONE;
		if (t == T_NONE) {
			if (*name != *pat)
				return 0;
			pat++;
			name++;
			continue;
		}
		pat += tl;
		switch (t) {
		case T_LOC: {
			/* the location runs up to where the rest of the pattern matches */
			size_t rest = strlen(pat), nl = strlen(name);
			if (nl <= rest || strcmp(name + nl - rest, pat) != 0 || nl - rest >= sizeof c->location)
				return 0;
			memcpy(c->location, name, nl - rest);
			c->location[nl - rest] = '\0';
			return 1;
		}
		case T_YMD:
			if (num(name, 4, &c->y) || num(name + 4, 2, &c->m) || num(name + 6, 2, &c->d))
				return 0;
			name += 8;
			break;
		case T_DATE:
			if (num(name, 4, &c->y) || name[4] != '-' || num(name + 5, 2, &c->m) ||
			    name[7] != '-' || num(name + 8, 2, &c->d))
				return 0;
			name += 10;
			break;
		case T_Y:
			if (num(name, 4, &c->y))
				return 0;
			name += 4;
			break;
		case T_M:
			if (num(name, 2, &c->m))
				return 0;
			name += 2;
			break;
		case T_D:
			if (num(name, 2, &c->d))
				return 0;
			name += 2;
			break;
		}
	}
	return *name == '\0';
}

int bf_layout_match(const struct bf_layout *l, size_t i, const char *name, struct bf_layout_caps *caps)
{
	struct bf_layout_caps c = *caps;
	if (i >= l->n || !match(l->seg[i], name, &c))
		return 0;
	*caps = c;
	return 1;
}
