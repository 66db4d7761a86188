/* bf-search: semantic, lexical or hybrid search over a warehouse bf-load wrote. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_cli.h"
#include "base/bf_exit.h"
#include "base/bf_file.h"
#include "base/bf_init.h"
#include "base/bf_log.h"
#include "base/bf_opt.h"
#include "base/bf_time.h"
#include "proto/bf_msg.h"
#include "search/bf_search.h"
#include "search/bf_search_out.h"

static const char usage[] =
	"Usage: bf-search --target TARGET [options] QUERY\n"
	"       bf-search --target TARGET --index [--stream S]\n"
	"Finds the records of a warehouse closest to QUERY, best first: by meaning (the\n"
	"embedding column bf-enrich made; the query embedded the same way), by words (the\n"
	"database's full-text engine), or both (reciprocal rank fusion).\n"
	"\n"
	"  -t, --target TARGET     PATH.db or sqlite:PATH, postgresql://USER@HOST:PORT/DB\n"
	"  -s, --stream S          the stream (default: the one with an embedding column)\n"
	"  -c, --column C          its embedding column, when it has several\n"
	"  -k, --k N               results (default 10)\n"
	"  -m, --mode M            vector (default), text or hybrid\n"
	"      --json              one JSON object a line: rank, score, stream, record\n"
	"      --start-date D      business dates from D (YYYY-MM-DD) ...\n"
	"      --end-date D        ... to D, inclusive\n"
	"      --location L        one location only\n"
	"      --include-closures  keep the rows of closed days (closure markers)\n"
	"      --exact             never the compact index: every vector scored\n"
	"      --index             make the text and compact vector indexes current, exit\n"
	"      --pg-schema NAME    PostgreSQL schema of the tables (default public)\n"
	"      --threads N         scanning threads (default: the CPUs)\n"
	"      --timeout S         seconds for the model API's answer (default 60)\n"
	"  -q, --quiet             no warnings\n"
	"  -v, --verbose           notes too\n"
	"  -h, --help              this help\n"
	"  -V, --version           version\n";

enum { O_JSON = 0x100, O_START, O_END, O_LOC, O_CLOSURES, O_EXACT, O_INDEX, O_PGSCHEMA, O_THREADS,
       O_TIMEOUT, O_BENCH, O_BENCH_INDEX };

static const struct option longopts[] = {
	{ "target", required_argument, NULL, 't' },
	{ "stream", required_argument, NULL, 's' },
	{ "column", required_argument, NULL, 'c' },
	{ "k", required_argument, NULL, 'k' },
	{ "mode", required_argument, NULL, 'm' },
	{ "json", no_argument, NULL, O_JSON },
	{ "start-date", required_argument, NULL, O_START },
	{ "end-date", required_argument, NULL, O_END },
	{ "location", required_argument, NULL, O_LOC },
	{ "include-closures", no_argument, NULL, O_CLOSURES },
	{ "exact", no_argument, NULL, O_EXACT },
	{ "index", no_argument, NULL, O_INDEX },
	{ "pg-schema", required_argument, NULL, O_PGSCHEMA },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "bench", required_argument, NULL, O_BENCH },             /* tests/bench: not documented */
	{ "bench-index", no_argument, NULL, O_BENCH_INDEX },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_date(const char *opt, const char *s, char out[11])
{
	int32_t d;
	if (bf_date_parse(s, &d))
		return bf_cli_usage_error("%s: expected a date YYYY-MM-DD, not \"%s\"", opt, s);
	bf_date_iso(d, out);
	return 0;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* --bench FILE: the queries (float32, the column's dimension each) run in this process
 * with the vectors kept in memory, as a server would; one line each on stdout:
 * microseconds and the ids found. The first query (which reads the vectors) apart. */
static int bench(struct bf_search *s, struct bf_search_query *q, const char *file, struct bf_err *err)
{
	struct bf_buf b = BF_BUF_INIT;
	if (bf_read_file(file, &b)) {
		bf_buf_free(&b);
		return bf_fail(err, BF_ENOINPUT, file, "cannot read: %s", strerror(errno));
	}
	size_t dim = q->dim, nq = dim ? b.len / (dim * sizeof(float)) : 0;
	int rc = 0;
	for (size_t i = 0; i < nq && !rc; i++) {
		struct bf_search_results r;
		q->vector = (const float *)(const void *)(b.p + i * dim * sizeof(float));
		double t0 = now_us();
		rc = bf_search_query(s, q, &r, err);
		double us = now_us() - t0;
		if (rc)
			break;
		printf("%.0f", us);
		for (size_t h = 0; h < r.n; h++)
			printf(" %lld", (long long)r.hits[h].id);
		printf("\n");
		bf_search_results_free(&r);
	}
	bf_buf_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	struct bf_err err = { 0 };
	struct bf_search_opts so = { 0 };
	struct bf_search_query q = { .mode = BF_SEARCH_VECTOR, .k = 10, .index = -1 };
	const char *target = NULL, *bench_file = NULL;
	char sd[11], ed[11];
	int c, json = 0, index = 0, rc;
	long long k = 10;
	double timeout = 60;

	bf_main_init(argv);
	while ((c = getopt_long(argc, argv, "t:s:c:k:m:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 's': q.stream = optarg; break;
		case 'c': q.column = optarg; break;
		case 'k':
			if (bf_opt_llong("--k", optarg, 1, 100000, &k))
				return BF_EUSAGE;
			q.k = (size_t)k;
			break;
		case 'm':
			if (!strcmp(optarg, "vector"))
				q.mode = BF_SEARCH_VECTOR;
			else if (!strcmp(optarg, "text"))
				q.mode = BF_SEARCH_TEXT;
			else if (!strcmp(optarg, "hybrid"))
				q.mode = BF_SEARCH_HYBRID;
			else
				return bf_cli_usage_error("--mode: vector, text or hybrid, not \"%s\"", optarg);
			break;
		case O_JSON: json = 1; break;
		case O_START:
			if (parse_date("--start-date", optarg, sd))
				return BF_EUSAGE;
			q.filter.start_date = sd;
			break;
		case O_END:
			if (parse_date("--end-date", optarg, ed))
				return BF_EUSAGE;
			q.filter.end_date = ed;
			break;
		case O_LOC: q.filter.location = optarg; break;
		case O_CLOSURES: q.filter.include_closures = 1; break;
		case O_EXACT: q.index = 0; break;
		case O_INDEX: index = 1; break;
		case O_PGSCHEMA:
			if (!*optarg)
				return bf_cli_usage_error("--pg-schema: a schema name");
			so.pg_schema = optarg;
			break;
		case O_THREADS:
			if (bf_opt_int("--threads", optarg, 1, 64, &so.threads))
				return BF_EUSAGE;
			break;
		case O_TIMEOUT:
			if (bf_opt_secs("--timeout", optarg, 0.001, 86400, &timeout))
				return BF_EUSAGE;
			break;
		case O_BENCH: bench_file = optarg; break;
		case O_BENCH_INDEX: q.index = 1; break;
		case 'q': bf_log_set_level(0); break;
		case 'v': bf_log_set_level(2); break;
		case 'h': return bf_cli_help(usage);
		case 'V': return bf_cli_version();
		default: return bf_cli_usage_error("unknown option");
		}
	}
	if (!target)
		return bf_cli_usage_error("--target is required");
	if (index && optind < argc)
		return bf_cli_usage_error("--index takes no QUERY");
	if (!index && !bench_file) {
		if (optind == argc)
			return bf_cli_usage_error("a QUERY is required");
		if (optind + 1 < argc)
			return bf_cli_usage_error("one QUERY (quote it): unexpected \"%s\"", argv[optind + 1]);
		q.text = argv[optind];
	}
	if (bench_file && optind < argc)
		q.dim = (size_t)strtoul(argv[optind], NULL, 10);
	if (q.filter.start_date && q.filter.end_date && strcmp(q.filter.start_date, q.filter.end_date) > 0)
		return bf_cli_usage_error("--start-date is after --end-date");
	so.api_key = getenv("BF_API_KEY");
	so.timeout_ms = (long)(timeout * 1000);
	so.keep = bench_file != NULL;
	struct bf_search *s = NULL;
	if ((rc = bf_search_open(target, &so, &s, &err)) == 0) {
		if (index) {
			rc = bf_search_index(s, q.stream, &err);
		} else if (bench_file) {
			rc = bench(s, &q, bench_file, &err);
		} else {
			struct bf_search_results r;
			if ((rc = bf_search_query(s, &q, &r, &err)) == 0) {
				struct bf_buf b = BF_BUF_INIT;
				struct bf_out out;
				struct winsize ws;
				int width = isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
				if (json)
					bf_search_format_json(&r, &b);
				else
					bf_search_format_table(&r, width, &b);
				bf_out_init(&out, 1, "stdout");
				if (b.len)
					bf_out_buf(&out, &b);
				rc = bf_out_close(&out, &err);
				bf_buf_free(&b);
				if (!rc && r.used_index)
					bf_note(NULL, "answered through the compact index (%zu vectors)", r.scanned);
				else if (!rc)
					bf_note(NULL, "%zu vectors scored", r.scanned);
				bf_search_results_free(&r);
			}
		}
		bf_search_close(s);
	}
	if (rc)
		bf_err_print(&err);
	return bench_file ? bf_cli_close_stdout(rc) : rc;
}
