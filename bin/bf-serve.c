/* bf-serve: an HTTP API for a backfill: status, runs, closure analytics, daily trends,
 * metrics, and starting bf-run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_cli.h"
#include "base/bf_exit.h"
#include "base/bf_init.h"
#include "base/bf_log.h"
#include "base/bf_opt.h"
#include "serve/bf_serve.h"
#include "state/bf_state.h"
#include "state/bf_state_union.h"

static const char usage[] =
	"Usage: bf-serve --source SRC --target TARGET --token-file FILE [--state PATH]...\n"
	"                [--listen HOST:PORT] [options] [-- BF-RUN-OPTION...]\n"
	"Serves a backfill over HTTP: its status and runs, closure analytics, daily trends,\n"
	"Prometheus metrics and the HTML report; POST /api/backfill/run starts bf-run.\n"
	"Every /api and /metrics request needs \"Authorization: Bearer TOKEN\".\n"
	"\n"
	"Options:\n"
	"  -s, --source SRC        the source of the runs it starts (as bf-run --source)\n"
	"  -t, --target TARGET     the warehouse (as bf-run --target); trends read its views\n"
	"      --state PATH        state file (default $BF_STATE, else ./bf-state.db); repeatable,\n"
	"                          and a quoted pattern ('state/*.db') is expanded by bf-serve:\n"
	"                          the shards' files shown as one; runs it starts write the first\n"
	"      --token-file FILE   the bearer token (first line); must not be readable by\n"
	"                          group or others\n"
	"  -l, --listen ADDR       HOST:PORT, [V6]:PORT or PORT (default 127.0.0.1:8080);\n"
	"                          port 0 picks a free one (the address is said on stderr)\n"
	"      --log-dir DIR       where the runs it starts write their --log (default .)\n"
	"      --bf-run PATH       the bf-run program (default: beside bf-serve, else PATH)\n"
	"      --pg-schema NAME    the warehouse's PostgreSQL schema (default public)\n"
	"      --trend-stream S    the stream of daily trends (default order_details)\n"
	"      --trend-amount COL  its sales column (default amount)\n"
	"      --trend-order COL   its order id column (default order_id)\n"
	"      --threads N         worker threads (default 4)\n"
	"      --max-connections N connections at once (default 512)\n"
	"      --timeout S         an idle connection is closed after S (default 10s)\n"
	"      --stop-timeout S    on SIGTERM a running bf-run may finish its pipelines for S,\n"
	"                          then it stops them (default 30s)\n"
	"  -q, --quiet             no messages but errors\n"
	"  -v, --verbose           notes too (libmicrohttpd's)\n"
	"  -h, --help              this help\n"
	"  -V, --version           version\n"
	"Arguments after -- are given to every bf-run it starts (e.g. -- --exec-path DIR).\n";

enum { O_STATE = 0x100, O_TOKEN, O_LOG_DIR, O_BF_RUN, O_PG_SCHEMA, O_STREAM, O_AMOUNT, O_ORDER, O_THREADS,
       O_MAXCONN, O_TIMEOUT, O_STOP_TIMEOUT };

static const struct option longopts[] = {
	{ "source", required_argument, NULL, 's' },
	{ "target", required_argument, NULL, 't' },
	{ "state", required_argument, NULL, O_STATE },
	{ "token-file", required_argument, NULL, O_TOKEN },
	{ "listen", required_argument, NULL, 'l' },
	{ "log-dir", required_argument, NULL, O_LOG_DIR },
	{ "bf-run", required_argument, NULL, O_BF_RUN },
	{ "pg-schema", required_argument, NULL, O_PG_SCHEMA },
	{ "trend-stream", required_argument, NULL, O_STREAM },
	{ "trend-amount", required_argument, NULL, O_AMOUNT },
	{ "trend-order", required_argument, NULL, O_ORDER },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "max-connections", required_argument, NULL, O_MAXCONN },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "stop-timeout", required_argument, NULL, O_STOP_TIMEOUT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct bf_serve_opts o;
	struct bf_err err = { 0 };
	const char **states BF_CLI_LIST = NULL;
	char **paths = NULL;
	size_t nstates = 0, npaths = 0;
	int c, rc;

	bf_main_init(argv);
	bf_serve_opts_init(&o);
	while ((c = getopt_long(argc, argv, "s:t:l:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.source = optarg; break;
		case 't': o.target = optarg; break;
		case O_STATE: bf_cli_list_add(&states, &nstates, optarg); break;
		case O_TOKEN: o.token_file = optarg; break;
		case 'l': o.listen = optarg; break;
		case O_LOG_DIR: o.log_dir = optarg; break;
		case O_BF_RUN: o.bf_run = optarg; break;
		case O_PG_SCHEMA: o.pg_schema = optarg; break;
		case O_STREAM: o.trend_stream = optarg; break;
		case O_AMOUNT: o.trend_amount = optarg; break;
		case O_ORDER: o.trend_order = optarg; break;
		case O_THREADS:
			if (bf_opt_int("--threads", optarg, 1, 256, &o.threads))
				return BF_EUSAGE;
			break;
		case O_MAXCONN:
			if (bf_opt_int("--max-connections", optarg, 1, 100000, &o.max_connections))
				return BF_EUSAGE;
			break;
		case O_TIMEOUT:
			if (bf_opt_secs("--timeout", optarg, 1, 3600, &o.timeout))
				return BF_EUSAGE;
			break;
		case O_STOP_TIMEOUT:
			if (bf_opt_secs("--stop-timeout", optarg, 0, 86400, &o.stop_timeout))
				return BF_EUSAGE;
			break;
		case 'q': bf_log_set_level(0); break;
		case 'v': bf_log_set_level(2); break;
		case 'h': return bf_cli_help(usage);
		case 'V': return bf_cli_version();
		default: return bf_cli_usage_error("unknown option");
		}
	}
	/* what follows "--" goes to every bf-run; nothing else may follow */
	if (optind < argc && strcmp(argv[optind - 1], "--"))
		return bf_cli_usage_error("unexpected argument \"%s\" (bf-run options go after --)", argv[optind]);
	o.run_args = argv + optind;
	o.nrun_args = (size_t)(argc - optind);
	if (!o.source || !*o.source)
		return bf_cli_usage_error("--source is required");
	if (!o.target || !*o.target)
		return bf_cli_usage_error("--target is required");
	if (!o.token_file)
		return bf_cli_usage_error("--token-file is required");
	rc = nstates ? bf_state_expand(states, nstates, &paths, &npaths, &err) : 0;
	o.state_path = bf_state_path(npaths ? paths[0] : NULL);
	o.state_paths = (const char *const *)paths;
	o.nstates = npaths;
	if (!rc)
		rc = bf_serve_run(&o, &err);
	if (rc)
		bf_err_print(&err);
	bf_state_paths_free(paths, npaths);
	return rc;
}
