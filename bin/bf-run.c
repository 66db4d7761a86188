/* bf-run: runs the stage pipelines of a backfill date by date, several at once. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_cli.h"
#include "base/bf_exit.h"
#include "base/bf_init.h"
#include "base/bf_opt.h"
#include "base/bf_log.h"
#include "stages/run/bf_run.h"
#include "base/bf_time.h"
#include "sources/bf_source_cli.h"

static const char usage[] =
	"Usage: bf-run --source SRC (--target TARGET | --shell-pipeline S) (--all | --dates D... |\n"
	"              --date D | --start-date D --end-date D | --retry-failed) [options]\n"
	"Runs bf-extract | bf-enrich | bf-closure | bf-load once per batch of dates, several\n"
	"at once, skipping dates already loaded or closed; resumable, retrying what may pass.\n"
	"\n"
	"Plan:\n"
	"  -s, --source SRC        source of bf-extract (folder, sftp://, https://, postgresql://,\n"
	"                          sqlite:PATH, odbc:CONNECTION-STRING)\n"
	"      --layout PATTERN    folder layout (default {location}/{yyyymmdd})\n"
	"      --location L        only this location (repeatable)\n"
	"  -t, --target TARGET     target of bf-load (PATH.db, sqlite:PATH, ...)\n"
	"      --date D, --dates D..., --start-date D --end-date D, --all\n"
	"      --retry-failed      only dates whose last attempt failed (alone: all of them)\n"
	"      --newest-first      work from the latest date back\n"
	"      --force             redo dates already done (stages get --force)\n"
	"  -n, --dry-run           print the plan and change nothing\n"
	"      --json              the plan as JSON (with --dry-run)\n"
	"Source (used to find the dates, and passed to every bf-extract):\n"
	BF_SOURCE_USAGE
	"      --source-retries N  retries of transient network faults (default 5; 0: none)\n"
	BF_SOURCE_SQL_USAGE
	"Execution:\n"
	"  -j, --max-workers N     pipelines at once (default 2)\n"
	"      --batch-size N      dates per pipeline (default: from 1 date, adapted to the time\n"
	"                          per date, at most a quarter of a worker's share and 16; a\n"
	"                          failed batch's dates are rerun one by one)\n"
	"      --batch-seconds S   the adapted batch aims at pipelines of S seconds (default 30)\n"
	"      --retries N         retries of a date failing with 69 or 75 (default 3)\n"
	"      --retry-delay MS    base of the exponential backoff (default 500)\n"
	"      --grace S           after the first signal, stop running pipelines after S seconds\n"
	"                          (default: let them finish)\n"
	"      --lease S           claim lease on a date, renewed while running (default 60)\n"
	"      --breaker-failures N  pipelines in a row failing with one retryable cause (a stage\n"
	"                          exiting 69 or 75) that pause the run (default 3; 0: never)\n"
	"      --breaker-cooldown S  the pause before one date is tried as a probe (default 30)\n"
	"      --breaker-probes N  failed probes that stop the run with exit 69 (default 3)\n"
	"      --no-enrich, --no-closure  leave that stage out (also left out when not installed)\n"
	"      --extract-arg A, --enrich-arg A, --closure-arg A, --load-arg A\n"
	"                          one more argument for that stage (repeatable)\n"
	"      --include G, --delimiter C, --strict\n"
	"                          passed to bf-extract\n"
	"      --exec-path DIR     look for the stages in DIR first (also $BF_EXEC_PATH)\n"
	"      --shell-pipeline S  run the pipeline string S with a shell for each batch instead\n"
	"                          of the stages: its dates are in \"$@\" and $BF_DATES (D1,D2,...),\n"
	"                          never put into S; --target is then optional\n"
	"      --shell PATH        the shell for --shell-pipeline (default /bin/sh)\n"
	"      --state PATH        state file (default $BF_STATE, else ./bf-state.db)\n"
	"Reporting:\n"
	"      --log FILE          JSON log (default bf-run-<UTC time>.json; '-' for none)\n"
	"      --no-log            no JSON log\n"
	"      --progress          progress lines even when stderr is not a terminal (default)\n"
	"  -q, --quiet             no progress, no summary, no warnings\n"
	"  -v, --verbose           notes, and the stages' own messages\n"
	"      --alert-failure-rate PCT     alert when PCT% of processed dates failed\n"
	"      --alert-throughput-drop PCT  alert when a batch's rows/s (closed and empty\n"
	"                                   partitions left out) falls PCT% under the mean\n"
	"      --alert-error-burst N[/S]    alert on N failures within S seconds (default 60)\n"
	"      --alert-command CMD [ARG...] ';'  run CMD with the alert as JSON on its stdin\n"
	"  -h, --help              this help\n"
	"  -V, --version           version\n"
	"\n"
	"Examples:\n"
	"  bf-run --source /srv/drops --target wh.db --all --dry-run\n"
	"  bf-run --source sftp://pos@files.example.com/out --known-hosts pos_known_hosts \\\n"
	"      --identity pos_key --target wh.db --all -j 4 --log run.json\n"
	"  bf-run --source /srv/drops --target wh.db --dates $(jq -r '.failed_dates[]' run.json)\n"
	"  bf-run --source /srv/drops --target wh.db --retry-failed\n";

enum { O_LOCATION = 0x100, O_RETRY_FAILED, O_NEWEST, O_FORCE, O_JSON, O_BATCH, O_RETRIES,
       O_RETRY_DELAY, O_GRACE, O_LEASE, O_NO_ENRICH, O_NO_CLOSURE, O_EXTRACT_ARG, O_ENRICH_ARG,
       O_CLOSURE_ARG, O_LOAD_ARG, O_PASS_ARG, O_PASS_FLAG, O_EXEC_PATH, O_STATE, O_LOG, O_NO_LOG,
       O_PROGRESS, O_ALERT_RATE, O_ALERT_DROP, O_ALERT_BURST, O_SHELL_PIPELINE, O_SHELL,
       O_BATCH_SECONDS, O_BREAKER_FAILURES, O_BREAKER_COOLDOWN, O_BREAKER_PROBES };

static const struct option longopts[] = {
	{ "source", required_argument, NULL, 's' },
	{ "location", required_argument, NULL, O_LOCATION },
	{ "target", required_argument, NULL, 't' },
	{ "shell-pipeline", required_argument, NULL, O_SHELL_PIPELINE },
	{ "shell", required_argument, NULL, O_SHELL },
	{ "retry-failed", no_argument, NULL, O_RETRY_FAILED },
	{ "newest-first", no_argument, NULL, O_NEWEST },
	{ "force", no_argument, NULL, O_FORCE },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, O_JSON },
	{ "max-workers", required_argument, NULL, 'j' },
	{ "batch-size", required_argument, NULL, O_BATCH },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "retry-delay", required_argument, NULL, O_RETRY_DELAY },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "lease", required_argument, NULL, O_LEASE },
	{ "batch-seconds", required_argument, NULL, O_BATCH_SECONDS },
	{ "breaker-failures", required_argument, NULL, O_BREAKER_FAILURES },
	{ "breaker-cooldown", required_argument, NULL, O_BREAKER_COOLDOWN },
	{ "breaker-probes", required_argument, NULL, O_BREAKER_PROBES },
	{ "no-enrich", no_argument, NULL, O_NO_ENRICH },
	{ "no-closure", no_argument, NULL, O_NO_CLOSURE },
	{ "extract-arg", required_argument, NULL, O_EXTRACT_ARG },
	{ "enrich-arg", required_argument, NULL, O_ENRICH_ARG },
	{ "closure-arg", required_argument, NULL, O_CLOSURE_ARG },
	{ "load-arg", required_argument, NULL, O_LOAD_ARG },
	{ "include", required_argument, NULL, O_PASS_ARG },
	{ "delimiter", required_argument, NULL, O_PASS_ARG },
	{ "strict", no_argument, NULL, O_PASS_FLAG },
	{ "exec-path", required_argument, NULL, O_EXEC_PATH },
	{ "state", required_argument, NULL, O_STATE },
	{ "log", required_argument, NULL, O_LOG },
	{ "no-log", no_argument, NULL, O_NO_LOG },
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "alert-failure-rate", required_argument, NULL, O_ALERT_RATE },
	{ "alert-throughput-drop", required_argument, NULL, O_ALERT_DROP },
	{ "alert-error-burst", required_argument, NULL, O_ALERT_BURST },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	BF_DATESEL_LONGOPTS,
	BF_SOURCE_LONGOPTS_RUN,
	{ NULL, 0, NULL, 0 },
};

/* Leaves main through the cleanup with exit code x. */
#define DONE(x) do { rc = (x); goto out; } while (0)

int main(int argc, char **argv)
{
	struct bf_run_opts o;
	struct bf_err err = { 0 };
	char *args = NULL;
	char **av;
	int ac = 0, c, idx, rc;

	bf_main_init(argv);
	bf_run_opts_init(&o);
	/* --alert-command CMD ARG... ';' takes the words up to ';' as an argv of its own */
	av = bf_xcalloc((size_t)argc + 1, sizeof *av);
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--alert-command")) {
			if (i + 1 >= argc || !strcmp(argv[i + 1], ";"))
				DONE(bf_cli_usage_error("--alert-command: needs a command"));
			for (i++; i < argc && strcmp(argv[i], ";"); i++)
				bf_strv_push(&o.alert_cmd, argv[i]);
			continue;
		}
		if (!strncmp(argv[i], "--alert-command=", 16)) {
			bf_strv_push(&o.alert_cmd, argv[i] + 16);
			continue;
		}
		av[ac++] = argv[i];
	}
	/* the runs table keeps the options but never a stage option's value that may hold a secret */
	o.args = args = bf_argv_join(ac, av);
	while ((c = getopt_long(ac, av, "s:t:nj:qvhV", longopts, &idx)) != -1) {
		switch (c) {
		case 's': o.source = optarg; break;
		case 't': o.target = optarg; break;
		case O_SHELL_PIPELINE: o.shell_pipeline = optarg; break;
		case O_SHELL: o.shell = optarg; break;
		case O_LOCATION: bf_strv_push(&o.locations, optarg); break;
		case O_RETRY_FAILED: o.retry_failed = 1; break;
		case O_NEWEST: o.newest_first = 1; break;
		case O_FORCE: o.force = 1; break;
		case 'n': o.dry_run = 1; break;
		case O_JSON: o.json = 1; break;
		case 'j':
			if (bf_opt_int("--max-workers", optarg, 1, 256, &o.max_workers))
				DONE(BF_EUSAGE);
			break;
		case O_BATCH:
			if (bf_opt_int("--batch-size", optarg, 1, 10000, &o.batch_size))
				DONE(BF_EUSAGE);
			break;
		case O_RETRIES:
			if (bf_opt_int("--retries", optarg, 0, 100, &o.retries))
				DONE(BF_EUSAGE);
			break;
		case O_RETRY_DELAY:
			if (bf_opt_ms("--retry-delay", optarg, 0, 3600000, &o.retry_base_ms))
				DONE(BF_EUSAGE);
			break;
		case O_GRACE:
			if (bf_opt_secs("--grace", optarg, 0, 86400, &o.grace))
				DONE(BF_EUSAGE);
			break;
		case O_LEASE:
			if (bf_opt_secs("--lease", optarg, 1, 86400, &o.lease))
				DONE(BF_EUSAGE);
			break;
		case O_BATCH_SECONDS:
			if (bf_opt_secs("--batch-seconds", optarg, 0.001, 86400, &o.batch_seconds))
				DONE(BF_EUSAGE);
			break;
		case O_BREAKER_FAILURES:
			if (bf_opt_int("--breaker-failures", optarg, 0, 10000, &o.breaker_failures))
				DONE(BF_EUSAGE);
			break;
		case O_BREAKER_COOLDOWN:
			if (bf_opt_secs("--breaker-cooldown", optarg, 0, 86400, &o.breaker_cooldown))
				DONE(BF_EUSAGE);
			break;
		case O_BREAKER_PROBES:
			if (bf_opt_int("--breaker-probes", optarg, 1, 10000, &o.breaker_probes))
				DONE(BF_EUSAGE);
			break;
		case O_NO_ENRICH: o.no_enrich = 1; break;
		case O_NO_CLOSURE: o.no_closure = 1; break;
		case O_EXTRACT_ARG: bf_strv_push(&o.extract_args, optarg); break;
		case O_ENRICH_ARG: bf_strv_push(&o.enrich_args, optarg); break;
		case O_CLOSURE_ARG: bf_strv_push(&o.closure_args, optarg); break;
		case O_LOAD_ARG: bf_strv_push(&o.load_args, optarg); break;
		case O_PASS_ARG: {
			struct bf_buf b = BF_BUF_INIT;
			bf_buf_addf(&b, "--%s", longopts[idx].name);
			bf_strv_take(&o.extract_args, bf_buf_detach(&b));
			bf_strv_push(&o.extract_args, optarg);
			break;
		}
		case O_PASS_FLAG: {
			struct bf_buf b = BF_BUF_INIT;
			bf_buf_addf(&b, "--%s", longopts[idx].name);
			bf_strv_take(&o.extract_args, bf_buf_detach(&b));
			break;
		}
		case BF_OPT_SOURCE:
			if (bf_source_option(&o.src, longopts[idx].name, optarg))
				DONE(BF_EUSAGE);
			break;
		case O_EXEC_PATH: o.exec_path = optarg; break;
		case O_STATE: o.state_path = optarg; break;
		case O_LOG: o.log_path = optarg; break;
		case O_NO_LOG: o.log_path = ""; break;
		case O_PROGRESS: o.progress = 1; break;
		case O_ALERT_RATE:
			if (bf_opt_num("--alert-failure-rate", optarg, 0.01, 100, &o.alert_failure_rate))
				DONE(BF_EUSAGE);
			break;
		case O_ALERT_DROP:
			if (bf_opt_num("--alert-throughput-drop", optarg, 0.01, 100, &o.alert_throughput_drop))
				DONE(BF_EUSAGE);
			break;
		case O_ALERT_BURST: {
			char *slash = strchr(optarg, '/');
			if (slash) {
				*slash = '\0';
				if (bf_opt_secs("--alert-error-burst", slash + 1, 1, 86400, &o.alert_burst_window))
					DONE(BF_EUSAGE);
			}
			if (bf_opt_int("--alert-error-burst", optarg, 1, 1000000, &o.alert_burst))
				DONE(BF_EUSAGE);
			break;
		}
		case 'q': o.progress = -1; bf_log_set_level(0); break;
		case 'v': o.verbose = 1; bf_log_set_level(2); break;
		case 'h': DONE(bf_cli_help(usage));
		case 'V': DONE(bf_cli_version());
		case BF_OPT_DATESEL:
			if (bf_datesel_option(&o.dates, longopts[idx].name, optarg ? optarg : "", &err))
				DONE(bf_cli_usage_error("%s", err.msg));
			break;
		default:
			DONE(bf_cli_usage_error("unknown option"));
		}
	}
	if (bf_datesel_args(&o.dates, ac - optind, av + optind, &err))
		DONE(bf_cli_usage_error("%s", err.msg));
	int sel = o.dates.all || o.dates.n || o.dates.start != BF_DATE_NONE || o.dates.end != BF_DATE_NONE;
	if ((sel || !o.retry_failed) && bf_datesel_validate(&o.dates, &err))
		DONE(bf_cli_usage_error("%s", err.msg));
	if (!o.source)
		DONE(bf_cli_usage_error("--source is required"));
	if (!o.target && !o.shell_pipeline)
		DONE(bf_cli_usage_error("--target is required"));
	/* nothing recorded yet: a password on the command line is refused before it could be */
	if (bf_cli_refuse_secret("--source", o.source) || bf_cli_refuse_secret("--target", o.target) ||
	    bf_cli_refuse_secret("--shell-pipeline", o.shell_pipeline))
		DONE(BF_EUSAGE);
	const struct bf_strv *stage_args[] = { &o.extract_args, &o.enrich_args, &o.closure_args, &o.load_args };
	for (size_t s = 0; s < sizeof stage_args / sizeof stage_args[0]; s++)
		for (size_t k = 0; k < stage_args[s]->n; k++)
			if (bf_cli_refuse_secret("a stage argument", stage_args[s]->v[k]))
				DONE(BF_EUSAGE);
	if (o.shell && !o.shell_pipeline)
		DONE(bf_cli_usage_error("--shell goes with --shell-pipeline"));
	if (o.json && !o.dry_run)
		DONE(bf_cli_usage_error("--json goes with --dry-run (the run's JSON is its --log)"));
	rc = bf_run_run(&o, &err);
	if (rc && err.code)
		bf_err_print(&err);
	if (o.dry_run)
		rc = bf_cli_close_stdout(rc);
out:
	bf_run_opts_free(&o);
	free(args);
	free(av);
	return rc;
}
