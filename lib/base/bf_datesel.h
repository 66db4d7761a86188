/* Date selection, the same in every tool: --date D, --dates D..., --start-date D
 * --end-date D (inclusive), --all. Dates are YYYY-MM-DD or YYYYMMDD. */
#ifndef BF_DATESEL_H
#define BF_DATESEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/bf_log.h"

struct bf_datesel {
	int all;
	int32_t start, end;        /* BF_DATE_NONE when not given */
	int32_t *dates;            /* explicit dates */
	size_t n, cap;
	int dates_opt;             /* --dates was given: trailing date arguments join it */
};

void bf_datesel_init(struct bf_datesel *s);
void bf_datesel_free(struct bf_datesel *s);
/* Handles one option ("date", "dates", "start-date", "end-date", "all"); arg may hold
 * several dates separated by commas or blanks. Returns 0, BF_EUSAGE, or -1 when name is
 * not a date option. */
int bf_datesel_option(struct bf_datesel *s, const char *name, const char *arg, struct bf_err *err);
/* Takes leftover arguments that follow --dates; returns BF_EUSAGE for anything else. */
int bf_datesel_args(struct bf_datesel *s, int argc, char **argv, struct bf_err *err);
/* Checks the combination; returns 0 or BF_EUSAGE. */
int bf_datesel_validate(const struct bf_datesel *s, struct bf_err *err);
/* The sorted unique dates selected; with --all, lo..hi (found in the source) is used.
 * Caller frees *out. */
size_t bf_datesel_resolve(const struct bf_datesel *s, int32_t lo, int32_t hi, int32_t **out);

/* getopt_long entries shared by every tool: use BF_DATESEL_LONGOPTS inside the table and
 * pass the option's name to bf_datesel_option when getopt returns BF_OPT_DATESEL. */
#define BF_OPT_DATESEL 0x1000
#define BF_DATESEL_LONGOPTS \
	{ "date", required_argument, NULL, BF_OPT_DATESEL }, \
	{ "dates", required_argument, NULL, BF_OPT_DATESEL }, \
	{ "start-date", required_argument, NULL, BF_OPT_DATESEL }, \
	{ "end-date", required_argument, NULL, BF_OPT_DATESEL }, \
	{ "all", no_argument, NULL, BF_OPT_DATESEL }

#endif
