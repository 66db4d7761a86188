/* bf-report: what a backfill did, read from the state file (never changed). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_cli.h"
#include "base/bf_datesel.h"
#include "base/bf_exit.h"
#include "base/bf_init.h"
#include "base/bf_log.h"
#include "stages/report/bf_report.h"
#include "state/bf_state.h"
#include "state/bf_state_union.h"
#include "base/bf_time.h"

static const char usage[] =
	"Usage: bf-report [--state PATH]... [--source S] [--location L] [date selection]\n"
	"                 (summary | dates | closures | metrics | calendar) [--json] [--output FILE]\n"
	"       bf-report [...] --html FILE\n"
	"       bf-report [...] --prometheus [--output FILE]\n"
	"Reports on a backfill from the state file, which is opened read-only; from several\n"
	"(the shards of one backfill) as one.\n"
	"\n"
	"Subcommands (default summary):\n"
	"  summary                 dates loaded, closed, failed, pending, missing (with percentages),\n"
	"                          rows, quarantined rows, errors; overall and per bf-run run\n"
	"  dates                   one line per (date, location): status, rows, attempts, last error\n"
	"  closures                the closure analysis (by reason, month, weekday; holiday-like days)\n"
	"  metrics                 throughput and timings per stage (rows/s, ms per date, p50/p95)\n"
	"  calendar                a calendar heat map: weeks across, weekdays down\n"
	"Options:\n"
	"      --state PATH        state file (default $BF_STATE, else ./bf-state.db); repeatable,\n"
	"                          and a quoted pattern ('state/*.db') is expanded by bf-report\n"
	"  -s, --source S          only this source (a folder is matched by its real path)\n"
	"      --location L        only this location (repeatable)\n"
	"      --date D, --dates D..., --start-date D --end-date D, --all\n"
	"                          the dates (default: every date from the first to the last found)\n"
	"      --json              JSON instead of text\n"
	"      --html FILE         one self-contained HTML page: summary, calendar, rows per day\n"
	"      --prometheus        metrics in Prometheus text format (node_exporter textfile)\n"
	"  -o, --output FILE       write to FILE (through FILE.tmp.PID and a rename) instead of stdout\n"
	"      --color WHEN        auto (default: on a terminal, unless NO_COLOR is set), always, never\n"
	"  -h, --help              this help\n"
	"  -V, --version           version\n";

enum { O_STATE = 0x100, O_LOCATION, O_JSON, O_HTML, O_PROM, O_COLOR };

static const struct option longopts[] = {
	{ "state", required_argument, NULL, O_STATE },
	{ "source", required_argument, NULL, 's' },
	{ "location", required_argument, NULL, O_LOCATION },
	{ "json", no_argument, NULL, O_JSON },
	{ "html", required_argument, NULL, O_HTML },
	{ "prometheus", no_argument, NULL, O_PROM },
	{ "output", required_argument, NULL, 'o' },
	{ "color", required_argument, NULL, O_COLOR },
	{ "colour", required_argument, NULL, O_COLOR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	BF_DATESEL_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const char *const commands[] = { "summary", "dates", "closures", "metrics", "calendar" };
enum { C_SUMMARY, C_DATES, C_CLOSURES, C_METRICS, C_CALENDAR, C_HTML, C_PROM };

/* What one run writes, and how. */
struct what {
	struct bf_report *r;
	int cmd, json, color;
};

static int write_report(void *arg, FILE *out, struct bf_err *err)
{
	const struct what *w = arg;
	switch (w->cmd) {
	case C_SUMMARY: return bf_report_summary(w->r, w->json, out, err);
	case C_DATES: return bf_report_dates(w->r, w->json, out, err);
	case C_CLOSURES: return bf_report_closures(w->r, w->json, out, err);
	case C_METRICS: return bf_report_metrics(w->r, w->json, out, err);
	case C_CALENDAR: return bf_report_calendar(w->r, w->json, w->color, out, err);
	case C_HTML: return bf_report_html(w->r, out, err);
	default: return bf_report_prometheus(w->r, out, err);
	}
}

/* A partition in several state files is said on stderr (the first ten of them). */
static void warn_conflicts(const struct bf_report *r)
{
	for (size_t i = 0; i < r->nconflicts && i < 10; i++)
		bf_warn(NULL, "%s %s %s: in several state files (%s); counted: %s", r->conflicts[i].date,
			r->conflicts[i].location, r->conflicts[i].source, r->conflicts[i].states, r->conflicts[i].counted);
	if (r->nconflicts > 10)
		bf_warn(NULL, "%zu more partitions in several state files (bf-report summary lists them)", r->nconflicts - 10);
}

int main(int argc, char **argv)
{
	struct bf_report_opts o = { 0 };
	struct bf_datesel ds;
	struct bf_err err = { 0 };
	struct what w = { 0 };
	const char *html = NULL, *output = NULL, *color = "auto";
	const char **locs BF_CLI_LIST = NULL, **states BF_CLI_LIST = NULL;
	size_t nlocs = 0, nstates = 0, npaths = 0;
	char **paths = NULL;
	int c, idx, rc, prom = 0, cmd = -1;

	bf_main_init(argv);
	bf_datesel_init(&ds);
	while ((c = getopt_long(argc, argv, "s:o:hV", longopts, &idx)) != -1) {
		switch (c) {
		case O_STATE: bf_cli_list_add(&states, &nstates, optarg); break;
		case 's': o.source = optarg; break;
		case O_LOCATION: bf_cli_list_add(&locs, &nlocs, optarg); break;
		case O_JSON: w.json = 1; break;
		case O_HTML: html = optarg; break;
		case O_PROM: prom = 1; break;
		case 'o': output = optarg; break;
		case O_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
				return bf_cli_usage_error("--color: expected auto, always or never");
			color = optarg;
			break;
		case 'h': return bf_cli_help(usage);
		case 'V': return bf_cli_version();
		case BF_OPT_DATESEL:
			if (bf_datesel_option(&ds, longopts[idx].name, optarg ? optarg : "", &err))
				return bf_cli_usage_error("%s", err.msg);
			break;
		default:
			return bf_cli_usage_error("unknown option");
		}
	}
	/* the subcommand may stand anywhere among the dates that follow --dates */
	char **rest = argv + optind;
	int nrest = argc - optind, k = 0;
	for (int i = 0; i < nrest; i++) {
		int found = -1;
		for (int j = 0; j < (int)(sizeof commands / sizeof commands[0]); j++)
			if (!strcmp(rest[i], commands[j]))
				found = j;
		if (found < 0) {
			rest[k++] = rest[i];
			continue;
		}
		if (cmd >= 0)
			return bf_cli_usage_error("one subcommand at a time ('%s' and '%s')", commands[cmd], rest[i]);
		cmd = found;
	}
	if (bf_datesel_args(&ds, k, rest, &err))
		return bf_cli_usage_error("%s (subcommands: summary, dates, closures, metrics, calendar)", err.msg);
	if ((ds.all || ds.n || ds.start != BF_DATE_NONE || ds.end != BF_DATE_NONE) &&
	    bf_datesel_validate(&ds, &err))
		return bf_cli_usage_error("%s", err.msg);
	if ((html != NULL) + prom + (cmd >= 0) > 1)
		return bf_cli_usage_error("give one of a subcommand, --html FILE or --prometheus");
	if (w.json && (html || prom))
		return bf_cli_usage_error("--json goes with a subcommand");
	if (html && output)
		return bf_cli_usage_error("--html names its own file; --output is for the other reports");
	if (html && !*html)
		return bf_cli_usage_error("--html: needs a file name");
	if (bf_cli_refuse_secret("--source", o.source))
		return BF_EUSAGE;
	w.cmd = html ? C_HTML : prom ? C_PROM : cmd >= 0 ? cmd : C_SUMMARY;
	const char *nc = getenv("NO_COLOR");
	w.color = !strcmp(color, "always") ||
		  (!strcmp(color, "auto") && !output && isatty(STDOUT_FILENO) && !(nc && *nc));

	o.state_path = bf_state_path(nstates ? states[0] : NULL);
	o.locations = locs;
	o.nlocations = nlocs;
	o.dates = &ds;
	rc = nstates ? bf_state_expand(states, nstates, &paths, &npaths, &err) : 0;
	o.state_paths = (const char *const *)paths;
	o.nstates = npaths;
	if (!rc)
		rc = bf_report_open(&o, &w.r, &err);
	if (!rc)
		warn_conflicts(w.r);
	if (!rc) {
		const char *file = html ? html : output;
		if (file && strcmp(file, "-"))
			rc = bf_report_write_file(file, write_report, &w, &err);
		else
			rc = write_report(&w, stdout, &err);
	}
	if (rc)
		bf_err_print(&err);
	bf_report_close(w.r);
	bf_datesel_free(&ds);
	bf_state_paths_free(paths, npaths);
	return bf_cli_close_stdout(rc);
}
