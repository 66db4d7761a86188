/* The closure analysis of a state file: how many partitions were judged open, closed
 * (by reason) and pending, closures by month and by weekday, the longest runs of
 * consecutive closed days of each location, closed dates that fall on a weekday the
 * location is normally open (holiday-like), and over the calendar ("periods",
 * bf_closure_periods.h): weekends, holiday periods, runs closed at every location. Reads the closures table only; writes text
 * or one JSON document to out. Nothing is retained after the call. */
#ifndef BF_CLOSURE_REPORT_H
#define BF_CLOSURE_REPORT_H

#include <stdio.h>

#include "base/bf_log.h"
#include "state/bf_state.h"

/* source: only this source (NULL: all). json: 1 for JSON, 0 for text.
 * Returns 0, or an exit code with err filled (BF_EIO when out fails). */
int bf_closure_report(struct bf_state *st, const char *source, int json, FILE *out,
		      struct bf_err *err);

#endif
