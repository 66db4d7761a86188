/* Which locations and dates a source holds, found by walking its folder layout — the
 * same way for bf-extract's --all and bf-run's plan. Results are malloc'ed; free the
 * location list with bf_cli_list_free. */
#ifndef BF_DISCOVER_H
#define BF_DISCOVER_H

#include <stddef.h>
#include <stdint.h>

#include "sources/bf_layout.h"
#include "base/bf_log.h"
#include "sources/bf_source.h"

/* The locations found (only those in want when nwant > 0; a wanted location is listed even
 * when its folder is missing); "" alone when the layout has no location. */
int bf_discover_locations(struct bf_source *src, const struct bf_layout *l, char *const *want,
			  size_t nwant, char ***locs, size_t *nlocs, struct bf_err *err);
/* Widens [*lo, *hi] (BF_DATE_NONE when empty) to the date folders of the given locations.
 * A folder that cannot be listed is warned about and its dates stay unknown (its
 * partitions fail, for the dates found elsewhere); BF_SOURCE_UNREADABLE when no date was
 * found at all and such a folder was met. */
int bf_discover_dates(struct bf_source *src, const struct bf_layout *l, char *const *locs,
		      size_t nlocs, int32_t *lo, int32_t *hi, struct bf_err *err);

#endif
