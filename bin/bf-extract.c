/* bf-extract: date-partitioned CSV drops or database tables -> SCHEMA/RECORD/STATE
 * messages on stdout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_cli.h"
#include "base/bf_exit.h"
#include "base/bf_init.h"
#include "base/bf_opt.h"
#include "base/bf_shard.h"
#include "stages/bf_extract.h"
#include "base/bf_log.h"
#include "sources/bf_source_cli.h"

static const char usage[] =
	"Usage: bf-extract --source SRC (--date D | --dates D... | --start-date D --end-date D | --all)\n"
	"                  [options]\n"
	"Reads the nightly CSV drops (or a database table's rows) of each requested (location, date)\n"
	"and writes SCHEMA, RECORD and STATE messages (newline-delimited JSON) on stdout, one STATE\n"
	"per partition.\n"
	"\n"
	"  -s, --source SRC        local folder, sftp://user@host[:port]/path, https://host/base/,\n"
	"                          postgresql://[user@]host[:port]/db, sqlite:PATH or\n"
	"                          odbc:CONNECTION-STRING (passwords from PGPASSWORD, ~/.pgpass,\n"
	"                          BF_ODBC_PASSWORD, never in SRC)\n"
	"      --layout PATTERN    folder layout (default {location}/{yyyymmdd}); placeholders\n"
	"                          {location} {yyyymmdd} {date} {yyyy} {mm} {dd}\n"
	"      --location L        only this location (repeatable; requested even if missing)\n"
	"      --shard K/N         only the partitions shard K of N owns (K from 1; auto or auto/N:\n"
	"                          from a Slurm array or Kubernetes Indexed Job; see bf-run(1))\n"
	"      --include GLOBS     file-name patterns, comma-separated (default *.csv,*.csv.gz)\n"
	"      --delimiter C       field delimiter (default ,)\n"
	"      --date D, --dates D..., --start-date D --end-date D, --all\n"
	"                          dates: YYYY-MM-DD or YYYYMMDD; --all = earliest to latest found\n"
	"      --force             redo partitions already loaded or closed\n"
	"      --strict            the first bad row is fatal (exit 65)\n"
	"      --skip-unreadable   an entry that cannot be read (a link leading outside the\n"
	"                          source, a FIFO, no permission) is quarantined and counted\n"
	"                          instead of failing its date\n"
	"      --state PATH        state file (default $BF_STATE, else ./bf-state.db)\n"
	"      --target TARGET     skip only partitions done in this target (bf-load's --target;\n"
	"                          default $BF_TARGET, set by bf-run; else done in any target)\n"
	"      --pg-schema NAME    with a PostgreSQL --target: its schema (default public)\n"
	BF_SOURCE_USAGE
	"      --retries N         retries of transient network faults (default 5; 0: none)\n"
	BF_SOURCE_SQL_USAGE
	"      --progress          show progress even when stderr is not a terminal\n"
	"  -q, --quiet             no progress, no warnings\n"
	"  -v, --verbose           notes too\n"
	"  -h, --help              this help\n"
	"  -V, --version           version\n";

enum { O_LOCATION = 0x100, O_INCLUDE, O_DELIM, O_FORCE, O_STRICT, O_STATE, O_PROGRESS,
       O_SKIP_UNREADABLE, O_TARGET, O_PGSCHEMA, O_SHARD };

static const struct option longopts[] = {
	{ "source", required_argument, NULL, 's' },
	{ "location", required_argument, NULL, O_LOCATION },
	{ "shard", required_argument, NULL, O_SHARD },
	{ "include", required_argument, NULL, O_INCLUDE },
	{ "delimiter", required_argument, NULL, O_DELIM },
	{ "force", no_argument, NULL, O_FORCE },
	{ "strict", no_argument, NULL, O_STRICT },
	{ "skip-unreadable", no_argument, NULL, O_SKIP_UNREADABLE },
	{ "state", required_argument, NULL, O_STATE },
	{ "target", required_argument, NULL, O_TARGET },
	{ "pg-schema", required_argument, NULL, O_PGSCHEMA },
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	BF_DATESEL_LONGOPTS,
	BF_SOURCE_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	/* static: what the options allocated stays reachable when a usage error returns early */
	static struct bf_extract_opts o;
	static char *args;
	struct bf_err err = { 0 };
	int c, idx, rc;
	const char *shard_spec = NULL;

	bf_main_init(argv);
	bf_datesel_init(&o.dates);
	o.args = args = bf_argv_join(argc, argv);
	while ((c = getopt_long(argc, argv, "s:qvhV", longopts, &idx)) != -1) {
		switch (c) {
		case 's': o.source = optarg; break;
		case O_LOCATION:
			o.locations = bf_xrealloc(o.locations, (o.nlocations + 1) * sizeof *o.locations);
			o.locations[o.nlocations++] = optarg;
			break;
		case O_SHARD: shard_spec = optarg; break;
		case O_INCLUDE: o.include = optarg; break;
		case O_DELIM:
			if (strlen(optarg) != 1 && strcmp(optarg, "\\t"))
				return bf_cli_usage_error("--delimiter: one character");
			o.delimiter = strcmp(optarg, "\\t") ? optarg[0] : '\t';
			break;
		case O_FORCE: o.force = 1; break;
		case O_STRICT: o.strict = 1; break;
		case O_SKIP_UNREADABLE: o.skip_unreadable = 1; break;
		case O_STATE: o.state_path = optarg; break;
		case O_TARGET: o.target = optarg; break;
		case O_PGSCHEMA: o.pg_schema = optarg; break;
		case BF_OPT_SOURCE:
			if (bf_source_option(&o.src, longopts[idx].name, optarg))
				return BF_EUSAGE;
			break;
		case O_PROGRESS: o.progress = 1; break;
		case 'q': o.progress = -1; bf_log_set_level(0); break;
		case 'v': bf_log_set_level(2); break;
		case 'h': return bf_cli_help(usage);
		case 'V': return bf_cli_version();
		case BF_OPT_DATESEL:
			if (bf_datesel_option(&o.dates, longopts[idx].name, optarg ? optarg : "", &err))
				return bf_cli_usage_error("%s", err.msg);
			break;
		default:
			return bf_cli_usage_error("unknown option");
		}
	}
	if (bf_datesel_args(&o.dates, argc - optind, argv + optind, &err) ||
	    bf_datesel_validate(&o.dates, &err))
		return bf_cli_usage_error("%s", err.msg);
	if (!o.source)
		return bf_cli_usage_error("--source is required");
	if (shard_spec && bf_shard_parse(shard_spec, NULL, &o.shard, &err))
		return bf_cli_usage_error("%s", err.msg);
	bf_shard_say(&o.shard);
	if (bf_cli_refuse_secret("--source", o.source) || bf_cli_refuse_secret("--target", o.target))
		return BF_EUSAGE;
	rc = bf_extract_run(&o, 1, &err);
	if (rc)
		bf_err_print(&err);
	bf_datesel_free(&o.dates);
	free(o.locations);
	bf_source_opts_free(&o.src);
	free(args);
	return rc;
}
