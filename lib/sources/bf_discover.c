#include "sources/bf_discover.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"

/* Whether a listed entry may stand for a folder of the layout: a folder, or an entry with a
 * safe name that cannot be followed (a link leading outside, a FIFO, ...), so that its
 * partitions are requested and fail instead of vanishing. Other refused entries are
 * reported here. */
static int folder_like(const char *dir, const struct bf_entry *e)
{
	if (!e->refused)
		return e->type == BF_ENT_DIR;
	if (bf_name_safe(e->name))
		return 1;
	struct bf_buf shown = BF_BUF_INIT;
	bf_buf_add_json_str(&shown, e->name, strlen(e->name));
	bf_warn(dir[0] ? dir : "/", "refused entry %s: %s", shown.p, e->refused);
	bf_buf_free(&shown);
	return 0;
}

/* Finds the locations (folders matching the location segment). */
int bf_discover_locations(struct bf_source *src, const struct bf_layout *l, char *const *want,
			  size_t nwant, char ***locs, size_t *nlocs, struct bf_err *err)
{
	*locs = NULL;
	*nlocs = 0;
	/* a location names one folder: never a path */
	for (size_t k = 0; k < nwant; k++)
		if (!bf_name_safe(want[k]))
			return bf_fail(err, BF_EUSAGE, "--location",
				       "\"%s\" is not a folder name (no '/', '\\', \"..\" or control characters)",
				       want[k]);
	if (l->loc_seg < 0) {
		*locs = bf_xmalloc(sizeof **locs);
		(*locs)[0] = bf_xstrdup("");
		*nlocs = 1;
		return 0;
	}
	struct bf_buf dir = BF_BUF_INIT;
	struct bf_entry *ents;
	size_t n;
	int missing, rc;
	bf_layout_render_prefix(l, (size_t)l->loc_seg, "", &dir);
	rc = bf_source_list(src, dir.p, &ents, &n, &missing, err);
	if (!rc && missing)
		rc = bf_fail(err, BF_ENOINPUT, bf_source_canon(src), "no such folder");
	if (rc) {
		bf_buf_free(&dir);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		struct bf_layout_caps caps = { -1, -1, -1, "" };
		if (!folder_like(dir.p, &ents[i]) ||
		    !bf_layout_match(l, (size_t)l->loc_seg, ents[i].name, &caps))
			continue;
		if (nwant) {
			size_t k;
			for (k = 0; k < nwant; k++)
				if (!strcmp(want[k], caps.location))
					break;
			if (k == nwant)
				continue;
		}
		*locs = bf_xrealloc(*locs, (*nlocs + 1) * sizeof **locs);
		(*locs)[(*nlocs)++] = bf_xstrdup(caps.location);
	}
	bf_entries_free(ents, n);
	bf_buf_free(&dir);
	/* a location asked for by name is requested even when its folder is missing */
	for (size_t k = 0; k < nwant; k++) {
		size_t i;
		for (i = 0; i < *nlocs; i++)
			if (!strcmp((*locs)[i], want[k]))
				break;
		if (i == *nlocs) {
			*locs = bf_xrealloc(*locs, (*nlocs + 1) * sizeof **locs);
			(*locs)[(*nlocs)++] = bf_xstrdup(want[k]);
		}
	}
	return 0;
}

/* Walks the date segments under a location folder for the earliest and latest dates. */
static int scan_dates(struct bf_source *src, const struct bf_layout *l, size_t seg, const char *dir,
		      struct bf_layout_caps caps, int32_t *lo, int32_t *hi, struct bf_err *unknown,
		      struct bf_err *err)
{
	struct bf_entry *ents;
	size_t n;
	int missing, rc;
	if ((rc = bf_source_list(src, dir, &ents, &n, &missing, err))) {
		if (rc != BF_SOURCE_UNREADABLE)
			return rc;
		/* its partitions fail one by one, for the dates found elsewhere */
		bf_warn(NULL, "%s; the dates under it are not known", err->msg);
		if (!unknown->code)
			*unknown = *err;
		*err = (struct bf_err){ 0 };
		return 0;
	}
	struct bf_buf child = BF_BUF_INIT;
	for (size_t i = 0; i < n && !rc; i++) {
		struct bf_layout_caps k = caps;
		if (!folder_like(dir, &ents[i]) || !bf_layout_match(l, seg, ents[i].name, &k))
			continue;
		bf_buf_reset(&child);
		if (*dir) {
			bf_buf_adds(&child, dir);
			bf_buf_addc(&child, '/');
		}
		bf_buf_adds(&child, ents[i].name);
		if (seg + 1 < l->n && ents[i].refused) {
			bf_warn(child.p, "refused: %s; the dates under it are not known", ents[i].refused);
			if (!unknown->code)
				bf_fail(unknown, BF_SOURCE_UNREADABLE, child.p, "refused: %s", ents[i].refused);
			continue;
		}
		if (seg + 1 < l->n) {
			rc = scan_dates(src, l, seg + 1, child.p, k, lo, hi, unknown, err);
			continue;
		}
		int32_t d = bf_date_from_ymd(k.y, k.m, k.d);
		int y, m, dd;
		bf_date_to_ymd(d, &y, &m, &dd);
		if (k.y < 1900 || k.m < 1 || k.m > 12 || k.d < 1 || k.d > 31 || y != k.y || m != k.m || dd != k.d) {
			bf_note(child.p, "not a date folder, ignored");
			continue;
		}
		if (*lo == BF_DATE_NONE || d < *lo)
			*lo = d;
		if (*hi == BF_DATE_NONE || d > *hi)
			*hi = d;
	}
	bf_buf_free(&child);
	bf_entries_free(ents, n);
	return rc;
}

int bf_discover_dates(struct bf_source *src, const struct bf_layout *l, char *const *locs,
		      size_t nlocs, int32_t *lo, int32_t *hi, struct bf_err *err)
{
	struct bf_err unknown = { 0 };
	int rc = 0;
	for (size_t i = 0; i < nlocs && !rc; i++) {
		struct bf_buf dir = BF_BUF_INIT;
		struct bf_layout_caps caps = { -1, -1, -1, "" };
		bf_layout_render_prefix(l, (size_t)l->first_date_seg, locs[i], &dir);
		rc = scan_dates(src, l, (size_t)l->first_date_seg, dir.p, caps, lo, hi, &unknown, err);
		bf_buf_free(&dir);
	}
	/* no date found, and a folder that might hold some could not be read: not "nothing" */
	if (!rc && unknown.code && *lo == BF_DATE_NONE)
		rc = bf_fail(err, BF_SOURCE_UNREADABLE, NULL, "%s; no date folder is known", unknown.msg);
	return rc;
}
