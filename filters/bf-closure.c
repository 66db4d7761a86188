/* bf-closure: decides for each partition whether the business was open, closed or not yet
 * judgeable, marks every record with it and adds closure markers for closed days. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_cli.h"
#include "stages/closure/bf_closure.h"
#include "stages/closure/bf_closure_rejudge.h"
#include "stages/closure/bf_closure_report.h"
#include "base/bf_exit.h"
#include "base/bf_init.h"
#include "base/bf_opt.h"
#include "base/bf_log.h"
#include "state/bf_state.h"
#include "base/bf_time.h"

static const char usage[] =
	"Usage: bf-closure [options] < messages.ndjson > messages.ndjson\n"
	"       bf-closure --report [--json] [--source SRC]\n"
	"       bf-closure --rejudge --history FILE [options] SHARD-STATE...\n"
	"Decides at each partition's STATE whether the business was open, closed (no_files,\n"
	"insufficient_files, low_activity, low_sales) or pending; adds closure_indicator and\n"
	"closure_reason to every record, one closure marker record per expected stream without\n"
	"rows on a closed day, and the verdict with its evidence to the STATE and the state file.\n"
	"\n"
	"      --expect-streams LIST   streams every day should have (default: learned)\n"
	"      --expect-files N        files a day should have (default: learned)\n"
	"      --min-files N           absolute: fewer files is insufficient_files\n"
	"      --min-rows N            absolute: fewer activity rows is low_activity\n"
	"      --min-sales X           absolute: smaller sales is low_sales\n"
	"      --activity-stream S     the stream counted for activity (default: learned)\n"
	"      --amount-column S.C     the amount summed for sales (default: learned)\n"
	"      --void-column C         rows of the amount stream with C true are not sales\n"
	"                              (default voided; \"\" for none)\n"
	"      --activity-fraction F   relative: F x median rows of the same weekday (default 0.1)\n"
	"      --sales-fraction F      relative: F x median sales of the same weekday (default 0.1)\n"
	"      --baseline-weeks K      history window in weeks (default 8)\n"
	"      --due-days N            an export of day D is due N days after D (default 1)\n"
	"      --today D               judge as if today were D (YYYY-MM-DD)\n"
	"      --max-memory SIZE       held bytes before spilling to $TMPDIR (default 64M)\n"
	"      --history FILE          read the history (open days before, days around) from FILE,\n"
	"                              written by --rejudge, instead of the state file\n"
	"      --rejudge               judge the verdicts of the shards' state files again in date\n"
	"                              order from their observations, into the --history FILE;\n"
	"                              print those that changed (FILE SOURCE LOCATION DATE OLD NEW)\n"
	"      --report                the closure analysis of the state file instead\n"
	"      --json                  the report as JSON\n"
	"      --source SRC            the report of one source only\n"
	"      --state PATH            state file (default $BF_STATE, else ./bf-state.db)\n"
	"      --max-line-bytes N      longest message accepted (default 64 MiB)\n"
	"  -q, --quiet                 no warnings\n"
	"  -v, --verbose               notes too (one per verdict)\n"
	"  -h, --help                  this help\n"
	"  -V, --version               version\n";

enum { O_EXPSTREAMS = 0x100, O_EXPFILES, O_MINFILES, O_MINROWS, O_MINSALES, O_ACTSTREAM,
       O_AMOUNT, O_VOID, O_ACTFRAC, O_SALESFRAC, O_WEEKS, O_DUE, O_TODAY, O_MAXMEM, O_REPORT, O_JSON,
       O_SOURCE, O_STATE, O_MAXLINE, O_HISTORY, O_REJUDGE };

static const struct option longopts[] = {
	{ "expect-streams", required_argument, NULL, O_EXPSTREAMS },
	{ "expect-files", required_argument, NULL, O_EXPFILES },
	{ "min-files", required_argument, NULL, O_MINFILES },
	{ "min-rows", required_argument, NULL, O_MINROWS },
	{ "min-sales", required_argument, NULL, O_MINSALES },
	{ "activity-stream", required_argument, NULL, O_ACTSTREAM },
	{ "amount-column", required_argument, NULL, O_AMOUNT },
	{ "void-column", required_argument, NULL, O_VOID },
	{ "activity-fraction", required_argument, NULL, O_ACTFRAC },
	{ "sales-fraction", required_argument, NULL, O_SALESFRAC },
	{ "baseline-weeks", required_argument, NULL, O_WEEKS },
	{ "due-days", required_argument, NULL, O_DUE },
	{ "today", required_argument, NULL, O_TODAY },
	{ "max-memory", required_argument, NULL, O_MAXMEM },
	{ "report", no_argument, NULL, O_REPORT },
	{ "history", required_argument, NULL, O_HISTORY },
	{ "rejudge", no_argument, NULL, O_REJUDGE },
	{ "json", no_argument, NULL, O_JSON },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "state", required_argument, NULL, O_STATE },
	{ "max-line-bytes", required_argument, NULL, O_MAXLINE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct cli {
	char *amount;
	int report, json, rejudge;
	const char *source;
};

/* Returns -1 to go on, or the exit code. */
static int parse(int argc, char **argv, struct bf_closure_opts *o, struct cli *cl)
{
	int c;

	while ((c = getopt_long(argc, argv, "qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case O_EXPSTREAMS:
			o->cfg.expect_streams = bf_cli_split_list(optarg, &o->cfg.nexpect_streams);
			if (!o->cfg.nexpect_streams)
				return bf_cli_usage_error("--expect-streams: a comma-separated list of streams");
			break;
		case O_EXPFILES:
			if (bf_opt_llong("--expect-files", optarg, 0, 100000, &o->cfg.expect_files))
				return BF_EUSAGE;
			break;
		case O_MINFILES:
			if (bf_opt_llong("--min-files", optarg, 0, 100000, &o->cfg.min_files))
				return BF_EUSAGE;
			break;
		case O_MINROWS:
			if (bf_opt_llong("--min-rows", optarg, 0, 1000000000000LL, &o->cfg.min_rows))
				return BF_EUSAGE;
			break;
		case O_MINSALES:
			if (bf_opt_num("--min-sales", optarg, -1e15, 1e15, &o->cfg.min_sales))
				return BF_EUSAGE;
			o->cfg.have_min_sales = 1;
			break;
		case O_ACTSTREAM:
			if (!*optarg)
				return bf_cli_usage_error("--activity-stream: a stream name");
			o->cfg.activity_stream = optarg;
			break;
		case O_AMOUNT: {
			const char *dot = strchr(optarg, '.');
			if (!dot || dot == optarg || !dot[1])
				return bf_cli_usage_error("--amount-column: STREAM.COLUMN, e.g. order_details.amount");
			free(cl->amount);
			cl->amount = bf_xstrndup(optarg, (size_t)(dot - optarg));
			o->cfg.amount_stream = cl->amount;
			o->cfg.amount_column = dot + 1;
			break;
		}
		case O_VOID: o->cfg.void_column = optarg; break;
		case O_ACTFRAC:
			if (bf_opt_num("--activity-fraction", optarg, 0, 1, &o->cfg.activity_fraction))
				return BF_EUSAGE;
			break;
		case O_SALESFRAC:
			if (bf_opt_num("--sales-fraction", optarg, 0, 1, &o->cfg.sales_fraction))
				return BF_EUSAGE;
			break;
		case O_WEEKS:
			if (bf_opt_int("--baseline-weeks", optarg, 1, 520, &o->cfg.baseline_weeks))
				return BF_EUSAGE;
			break;
		case O_DUE:
			if (bf_opt_int("--due-days", optarg, 0, 366, &o->cfg.due_days))
				return BF_EUSAGE;
			break;
		case O_TODAY:
			if (bf_date_parse(optarg, &o->cfg.today))
				return bf_cli_usage_error("--today: a date, YYYY-MM-DD");
			break;
		case O_MAXMEM:
			if (bf_opt_size("--max-memory", optarg, 4096, SIZE_MAX, &o->max_memory))
				return BF_EUSAGE;
			break;
		case O_REPORT: cl->report = 1; break;
		case O_HISTORY: o->history_path = optarg; break;
		case O_REJUDGE: cl->rejudge = 1; break;
		case O_JSON: cl->json = 1; break;
		case O_SOURCE: cl->source = optarg; break;
		case O_STATE: o->state_path = optarg; break;
		case O_MAXLINE:
			if (bf_opt_size("--max-line-bytes", optarg, 1024, SIZE_MAX, &o->max_line))
				return BF_EUSAGE;
			break;
		case 'q': bf_log_set_level(0); break;
		case 'v': bf_log_set_level(2); break;
		case 'h': return bf_cli_help(usage);
		case 'V': return bf_cli_version();
		default: return bf_cli_usage_error("unknown option");
		}
	}
	if (cl->rejudge && (!o->history_path || optind >= argc || cl->report))
		return bf_cli_usage_error("--rejudge: --history FILE and the shards' state files, without --report");
	if (optind < argc && !cl->rejudge)
		return bf_cli_usage_error("unexpected argument \"%s\"", argv[optind]);
	if ((cl->json || cl->source) && !cl->report)
		return bf_cli_usage_error("--json and --source go with --report");
	return -1;
}

int main(int argc, char **argv)
{
	struct bf_closure_opts o = { 0 };
	struct cli cl = { 0 };
	struct bf_err err = { 0 };
	char *args;
	int rc;

	bf_main_init(argv);
	bf_closure_cfg_init(&o.cfg);
	o.args = args = bf_argv_join(argc, argv);
	rc = parse(argc, argv, &o, &cl);
	if (rc < 0 && bf_cli_refuse_secret("--source", cl.source))
		rc = BF_EUSAGE;
	if (rc >= 0)
		goto out;
	if (cl.report) {
		struct bf_state *st = NULL;
		rc = bf_state_open_readonly(bf_state_path(o.state_path), &st, &err);
		if (!rc)
			rc = bf_closure_report(st, cl.source, cl.json, stdout, &err);
		bf_state_close(st);
		if (rc)
			bf_err_print(&err);
		rc = bf_cli_close_stdout(rc);
	} else if (cl.rejudge) {
		long long judged, changed;
		rc = bf_closure_rejudge(&o.cfg, o.history_path, argv + optind, (size_t)(argc - optind), stdout, &judged,
					&changed, &err);
		if (rc)
			bf_err_print(&err);
		else if (bf_log_level() >= 1)
			fprintf(stderr, "%s: %lld verdicts judged again over %d state files: %lld changed\n", bf_prog(),
				judged, argc - optind, changed);
		rc = bf_cli_close_stdout(rc);
	} else {
		rc = bf_closure_run(&o, 0, 1, &err);
		if (rc)
			bf_err_print(&err);
	}
out:
	bf_cli_list_free(o.cfg.expect_streams, o.cfg.nexpect_streams);
	free(cl.amount);
	free(args);
	return rc;
}
