/* The folder layout of a drop: '/'-separated segments with placeholders
 * {location}, {yyyymmdd}, {date} (YYYY-MM-DD), {yyyy}, {mm}, {dd}; default
 * "{location}/{yyyymmdd}". A location segment, if any, comes before the date segments,
 * and only literal segments may come before it. A date's files sit in its last segment. */
#ifndef BF_LAYOUT_H
#define BF_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "base/bf_buf.h"
#include "base/bf_log.h"

#define BF_LAYOUT_DEFAULT "{location}/{yyyymmdd}"

struct bf_layout {
	char **seg;
	size_t n;
	int loc_seg;               /* index of the {location} segment, -1 if none */
	int first_date_seg;        /* first segment with a date placeholder */
};

int bf_layout_parse(const char *spec, struct bf_layout *l, struct bf_err *err);
void bf_layout_free(struct bf_layout *l);
/* The folder of (location, date): "185129/20240404". */
void bf_layout_render(const struct bf_layout *l, const char *location, int32_t date, struct bf_buf *out);
/* Renders only segments [0, upto). */
void bf_layout_render_prefix(const struct bf_layout *l, size_t upto, const char *location,
			     struct bf_buf *out);

/* What matching one segment captured. */
struct bf_layout_caps {
	int y, m, d;               /* -1 when not captured */
	char location[256];
};
/* Whether name matches segment i, adding what it captures to caps. */
int bf_layout_match(const struct bf_layout *l, size_t i, const char *name, struct bf_layout_caps *caps);

#endif
