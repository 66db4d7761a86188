/* The measure of a day: the activity stream and the amount column, given or learned. */
#include "stages/closure/bf_closure_learn.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "sources/bf_names.h"

/* Streams whose rows are transactions of the business, most telling first. */
static const char *const activity_names[] = {
	"order_details", "orders", "checks", "check_details", "transactions", "sales",
	"receipts", "tickets", "invoices", "bills", "work_orders", "jobs", "bookings",
	"appointments", "visits",
};

/* Columns that hold what a transaction was worth, most telling first. */
static const char *const money_names[] = {
	"amount", "total", "gross_sales", "net_sales", "sales", "total_amount", "order_total",
	"check_total", "invoice_total", "sale_total", "grand_total", "subtotal", "sub_total",
	"net_total", "gross_total", "net_amount", "gross_amount", "total_price", "price",
	"total_collected", "revenue",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int rank_in(const char *name, const char *const *list, size_t n)
{
	char snake[BF_NAME_MAX + 1];
	bf_snake_case(name, strlen(name), 1, snake);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(snake, list[i]))
			return (int)i;
	return -1;
}

int bf_closure_money_name(const char *column)
{
	return rank_in(column, money_names, NELEM(money_names));
}

int bf_closure_activity_name(const char *stream)
{
	return rank_in(stream, activity_names, NELEM(activity_names));
}

void bf_closure_catalogue_stream(struct bf_closure_catalogue *c, const char *name, long long days,
				 long long rows_days, double rows)
{
	struct bf_closure_seen *s = NULL;
	for (size_t i = 0; i < c->nstreams && !s; i++)
		if (!strcmp(c->streams[i].name, name))
			s = &c->streams[i];
	if (!s) {
		c->streams = bf_xrealloc(c->streams, (c->nstreams + 1) * sizeof *c->streams);
		s = &c->streams[c->nstreams++];
		memset(s, 0, sizeof *s);
		s->name = bf_xstrdup(name);
	}
	s->days += days;
	s->rows_days += rows_days;
	s->rows += rows;
}

void bf_closure_catalogue_money(struct bf_closure_catalogue *c, const char *stream,
				const char *column, long long values, long long parsed)
{
	struct bf_closure_seen_money *m = NULL;
	for (size_t i = 0; i < c->nmoney && !m; i++)
		if (!strcmp(c->money[i].stream, stream) && !strcmp(c->money[i].column, column))
			m = &c->money[i];
	if (!m) {
		c->money = bf_xrealloc(c->money, (c->nmoney + 1) * sizeof *c->money);
		m = &c->money[c->nmoney++];
		memset(m, 0, sizeof *m);
		m->stream = bf_xstrdup(stream);
		m->column = bf_xstrdup(column);
	}
	m->values += values;
	m->parsed += parsed;
}

void bf_closure_catalogue_free(struct bf_closure_catalogue *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nstreams; i++)
		free(c->streams[i].name);
	free(c->streams);
	for (size_t i = 0; i < c->nmoney; i++) {
		free(c->money[i].stream);
		free(c->money[i].column);
	}
	free(c->money);
	memset(c, 0, sizeof *c);
}

void bf_closure_measure_free(struct bf_closure_measure *m)
{
	if (!m)
		return;
	free(m->activity_stream);
	free(m->amount_stream);
	free(m->amount_column);
	cJSON_Delete(m->learned);
	memset(m, 0, sizeof *m);
}

static const struct bf_closure_seen *find(const struct bf_closure_catalogue *c, const char *name)
{
	for (size_t i = 0; i < c->nstreams; i++)
		if (!strcmp(c->streams[i].name, name))
			return &c->streams[i];
	return NULL;
}

/* There on at least half of the days (a stream of some days only is not the export's). */
static int usual(const struct bf_closure_catalogue *c, const struct bf_closure_seen *s)
{
	return s->days > 0 && 2 * s->days >= c->days;
}

/* More telling for activity when no name is known: rows on more days, then more rows,
 * then the name (so that the choice never depends on the order streams were seen). */
static int better(const struct bf_closure_seen *a, const struct bf_closure_seen *b)
{
	if (a->rows_days != b->rows_days)
		return a->rows_days > b->rows_days;
	if (a->rows != b->rows)
		return a->rows > b->rows;
	return strcmp(a->name, b->name) < 0;
}

static const struct bf_closure_seen *learn_activity(const struct bf_closure_catalogue *c,
						    struct bf_buf *why, const char **how)
{
	const struct bf_closure_seen *pick = NULL, *most = NULL;
	int best = -1;
	for (size_t i = 0; i < c->nstreams; i++) {
		const struct bf_closure_seen *s = &c->streams[i];
		int r = bf_closure_activity_name(s->name);
		if (r >= 0 && usual(c, s) &&
		    (best < 0 || r < best || (r == best && strcmp(s->name, pick->name) < 0))) {
			best = r;
			pick = s;
		}
		if (usual(c, s) && s->rows_days > 0 && (!most || better(s, most)))
			most = s;
	}
	if (pick) {
		*how = "well_known_name";
		bf_buf_addf(why, "%s is a well-known activity stream name, there on %lld of %lld days",
			    pick->name, pick->days, c->days);
		return pick;
	}
	if (c->nstreams == 1 && c->streams[0].days > 0) {
		*how = "only_stream";
		bf_buf_addf(why, "%s is the only stream, there on %lld of %lld days",
			    c->streams[0].name, c->streams[0].days, c->days);
		return &c->streams[0];
	}
	*how = "none";
	if (!c->days) {
		bf_buf_adds(why, "no stream on this day or on a judged day around it");
	} else if (!most) {
		bf_buf_adds(why, "no stream of a well-known name, and no stream with rows on at least half of the days");
	} else if (c->days < BF_CLOSURE_LEARN_MIN_DAYS) {
		bf_buf_addf(why, "no stream of a well-known name, and %lld days are too few to learn one "
			    "from (%d needed)", c->days, BF_CLOSURE_LEARN_MIN_DAYS);
	} else {
		*how = "most_days";
		bf_buf_addf(why, "no stream of a well-known name; %s had rows on the most days (%lld of %lld), "
			    "then the most rows (%.0f)", most->name, most->rows_days, c->days, most->rows);
		return most;
	}
	return NULL;
}

static const struct bf_closure_seen_money *learn_amount(const struct bf_closure_catalogue *c,
							 const char *stream)
{
	const struct bf_closure_seen_money *pick = NULL;
	int best = -1;
	for (size_t i = 0; i < c->nmoney; i++) {
		const struct bf_closure_seen_money *m = &c->money[i];
		int r = bf_closure_money_name(m->column);
		if (strcmp(m->stream, stream) || r < 0 || m->values <= 0 ||
		    (double)m->parsed < BF_CLOSURE_MONEY_SHARE * (double)m->values)
			continue;
		if (best < 0 || r < best || (r == best && strcmp(m->column, pick->column) < 0)) {
			best = r;
			pick = m;
		}
	}
	return pick;
}

static int cmp_seen(const void *a, const void *b)
{
	return strcmp((*(const struct bf_closure_seen *const *)a)->name,
		      (*(const struct bf_closure_seen *const *)b)->name);
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

void bf_closure_learn(const struct bf_closure_cfg *cfg, const struct bf_closure_catalogue *cat,
		      struct bf_closure_measure *m)
{
	struct bf_buf awhy = BF_BUF_INIT, swhy = BF_BUF_INIT, amount = BF_BUF_INIT;
	memset(m, 0, sizeof *m);

	if (cfg->activity_stream) {
		const struct bf_closure_seen *s = find(cat, cfg->activity_stream);
		m->activity_stream = bf_xstrdup(cfg->activity_stream);
		m->activity_how = "option";
		m->activity_known = s && s->days > 0;
		bf_buf_adds(&awhy, "given by --activity-stream");
		if (!m->activity_known)
			bf_buf_adds(&awhy, ", but neither this day nor a judged day around it has that "
				    "stream: low_activity is not judged");
	} else {
		const struct bf_closure_seen *s = learn_activity(cat, &awhy, &m->activity_how);
		if (s) {
			m->activity_stream = bf_xstrdup(s->name);
			m->activity_known = 1;
		}
	}

	if (cfg->amount_stream && cfg->amount_column) {
		m->amount_stream = bf_xstrdup(cfg->amount_stream);
		m->amount_column = bf_xstrdup(cfg->amount_column);
		m->amount_how = "option";
		bf_buf_adds(&swhy, "given by --amount-column");
	} else if (m->activity_stream && m->activity_known) {
		const struct bf_closure_seen_money *c = learn_amount(cat, m->activity_stream);
		if (c) {
			m->amount_stream = bf_xstrdup(c->stream);
			m->amount_column = bf_xstrdup(c->column);
			m->amount_how = "money_name";
			bf_buf_addf(&swhy, "%s is a money column name; %lld of %lld values parse as money",
				    c->column, c->parsed, c->values);
		} else {
			m->amount_how = "none";
			bf_buf_addf(&swhy, "no column of %s with a money name (amount, total, gross_sales, ...) "
				    "has values that parse as money: low_sales is not judged", m->activity_stream);
		}
	} else {
		m->amount_how = "none";
		bf_buf_adds(&swhy, "no activity stream: low_sales is not judged");
	}

	cJSON *l = m->learned = cJSON_CreateObject();
	add_str_or_null(l, "activity_stream", m->activity_stream);
	cJSON_AddStringToObject(l, "activity_how", m->activity_how);
	cJSON_AddStringToObject(l, "activity_why", awhy.p);
	if (m->amount_stream)
		bf_buf_addf(&amount, "%s.%s", m->amount_stream, m->amount_column);
	add_str_or_null(l, "amount_column", m->amount_stream ? amount.p : NULL);
	cJSON_AddStringToObject(l, "amount_how", m->amount_how);
	cJSON_AddStringToObject(l, "amount_why", swhy.p);
	cJSON_AddNumberToObject(l, "days", (double)cat->days);
	const struct bf_closure_seen **sorted = bf_xmalloc((cat->nstreams + 1) * sizeof *sorted);
	for (size_t i = 0; i < cat->nstreams; i++)
		sorted[i] = &cat->streams[i];
	qsort(sorted, cat->nstreams, sizeof *sorted, cmp_seen);
	cJSON *days = cJSON_AddObjectToObject(l, "stream_days");
	for (size_t i = 0; i < cat->nstreams; i++)
		cJSON_AddNumberToObject(days, sorted[i]->name, (double)sorted[i]->days);
	free(sorted);
	bf_buf_free(&awhy);
	bf_buf_free(&swhy);
	bf_buf_free(&amount);
}
