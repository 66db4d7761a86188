/* What bf-closure measures a day by, when the options do not say: the activity stream
 * (whose rows are the day's activity) and the amount column (summed for sales), learned
 * from the partitions around the day and the day itself. The rule is in docs/closures.md.
 *
 * A catalogue is what those partitions showed, stream by stream: on how many days each
 * stream was there, had rows, how many rows, and how many values of each money-named
 * column parse as money. It owns its names (copied when added); the measure owns its
 * names and its evidence ("learned"). bf_closure_learn() is pure: the same catalogue and
 * options give the same measure, whatever order the days were added in. */
#ifndef BF_CLOSURE_LEARN_H
#define BF_CLOSURE_LEARN_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "stages/closure/bf_closure.h"

/* Days with data needed before a stream without a well-known name is learned (a week:
 * every weekday once). */
#define BF_CLOSURE_LEARN_MIN_DAYS 7
/* Share of a column's values that must parse as money. */
#define BF_CLOSURE_MONEY_SHARE 0.9

struct bf_closure_seen {
	char *name;
	long long days;            /* days the stream was there: a file, or rows */
	long long rows_days;       /* days it had rows */
	double rows;               /* its rows over all days */
};

struct bf_closure_seen_money {
	char *stream, *column;
	long long values;          /* values that were not empty */
	long long parsed;          /* of those, values that parse as money */
};

struct bf_closure_catalogue {
	long long days;            /* days on which some stream was there */
	struct bf_closure_seen *streams;
	size_t nstreams;
	struct bf_closure_seen_money *money;
	size_t nmoney;
};

/* Adds what days days showed of a stream (a day of the partition itself: 1, 1 or 0, rows). */
void bf_closure_catalogue_stream(struct bf_closure_catalogue *c, const char *name, long long days,
				 long long rows_days, double rows);
/* Adds values of a column of a stream. */
void bf_closure_catalogue_money(struct bf_closure_catalogue *c, const char *stream,
				const char *column, long long values, long long parsed);
void bf_closure_catalogue_free(struct bf_closure_catalogue *c);

struct bf_closure_measure {
	char *activity_stream;     /* NULL: none (low_activity and learned sales not judged) */
	int activity_known;        /* the stream was there on this day or a day around it */
	char *amount_stream;       /* NULL: none (low_sales not judged) */
	char *amount_column;
	const char *activity_how;  /* option, well_known_name, most_days, only_stream, none */
	const char *amount_how;    /* option, money_name, none */
	cJSON *learned;            /* the evidence: what, how and why */
};
void bf_closure_measure_free(struct bf_closure_measure *m);

/* The measure of a day: the options' stream and column where given, else learned from cat. */
void bf_closure_learn(const struct bf_closure_cfg *cfg, const struct bf_closure_catalogue *cat,
		      struct bf_closure_measure *m);

/* Adds to cat what the judged partitions of (source, location) in [date - 7*weeks,
 * date + 7*weeks) showed, but date itself and partitions that failed since (from the state
 * file's closures table: the evidence's observed rows and money columns). */
int bf_closure_catalogue_load(struct bf_state *st, const char *source, const char *location,
			      int32_t date, int weeks, struct bf_closure_catalogue *cat,
			      struct bf_err *err);

/* The rank of a column name in the list of money names (0 first), -1 when not one. The
 * name is compared in snake_case ("Gross Sales" and "grossSales" are gross_sales). */
int bf_closure_money_name(const char *column);
/* The rank of a stream name in the list of well-known activity streams, -1 when not one. */
int bf_closure_activity_name(const char *stream);

#endif
