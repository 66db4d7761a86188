/* bf-load: SCHEMA/RECORD/STATE messages on stdin -> a warehouse, one transaction a partition. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_cli.h"
#include "base/bf_exit.h"
#include "base/bf_init.h"
#include "base/bf_opt.h"
#include "stages/bf_load.h"
#include "base/bf_log.h"

static const char usage[] =
	"Usage: bf-load --target TARGET [options] < messages.ndjson\n"
	"Loads SCHEMA/RECORD/STATE messages into a warehouse. Each partition (location, date)\n"
	"is replaced and committed in one transaction when its STATE arrives; the STATE is then\n"
	"marked in the state file and written to stdout. Records without bf lineage (a Singer\n"
	"tap's) are upserted by their stream's key_properties, or appended when it has none.\n"
	"\n"
	"  -t, --target TARGET     PATH.db or sqlite:PATH (SQLite), postgresql://USER@HOST:PORT/DB\n"
	"                          (password from PGPASSWORD or ~/.pgpass, never in the URL),\n"
	"                          dir:PATH (NDJSON files per stream and partition)\n"
	"      --pg-schema NAME    PostgreSQL schema of the tables (default public)\n"
	"      --type S.C=TYPE     column C of stream S gets TYPE: string integer number boolean\n"
	"                          date date-time timestamptz json vector (repeatable)\n"
	"      --amount-column S.C the column summed by the <S>_daily view (repeatable;\n"
	"                          default order_details.amount)\n"
	"      --rebuild-keys      a stream's key_properties may change: its unique index is\n"
	"                          made again (else such a SCHEMA is refused, exit 65)\n"
	"      --max-streams N     the most streams one run takes (default 1000)\n"
	"      --state PATH        state file (default $BF_STATE, else ./bf-state.db)\n"
	"      --max-line-bytes N  longest message accepted (default 64 MiB)\n"
	"      --progress          show progress even when stderr is not a terminal\n"
	"  -q, --quiet             no progress, no warnings\n"
	"  -v, --verbose           notes too\n"
	"  -h, --help              this help\n"
	"  -V, --version           version\n";

enum { O_STATE = 0x100, O_MAXLINE, O_PROGRESS, O_PGSCHEMA, O_TYPE, O_AMOUNT, O_REKEY, O_MAXSTREAMS };

static const struct option longopts[] = {
	{ "target", required_argument, NULL, 't' },
	{ "state", required_argument, NULL, O_STATE },
	{ "max-line-bytes", required_argument, NULL, O_MAXLINE },
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "pg-schema", required_argument, NULL, O_PGSCHEMA },
	{ "type", required_argument, NULL, O_TYPE },
	{ "amount-column", required_argument, NULL, O_AMOUNT },
	{ "rebuild-keys", no_argument, NULL, O_REKEY },
	{ "max-streams", required_argument, NULL, O_MAXSTREAMS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Splits "stream.column" at its first dot into fresh strings. */
static int split_col(const char *arg, size_t n, char **stream, char **column)
{
	const char *dot = memchr(arg, '.', n);
	if (!dot || dot == arg || (size_t)(dot - arg) + 1 >= n)
		return -1;
	*stream = bf_xstrndup(arg, (size_t)(dot - arg));
	*column = bf_xstrndup(dot + 1, n - (size_t)(dot - arg) - 1);
	return 0;
}

static struct bf_load_opts o;
static struct bf_type_override *types;
static struct bf_amount_col *amounts;
static char *args;

/* Frees what the options allocated, whichever way main returns. */
static void cleanup(void)
{
	free(args);
	for (size_t i = 0; i < o.ntypes; i++) {
		free(types[i].stream);
		free(types[i].column);
	}
	for (size_t i = 0; i < o.namounts; i++) {
		free(amounts[i].stream);
		free(amounts[i].column);
	}
	free(types);
	free(amounts);
}

int main(int argc, char **argv)
{
	struct bf_err err = { 0 };
	int c, rc;

	atexit(cleanup);
	bf_main_init(argv);
	o.args = args = bf_argv_join(argc, argv);
	while ((c = getopt_long(argc, argv, "t:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o.target = optarg; break;
		case O_STATE: o.state_path = optarg; break;
		case O_MAXLINE:
			if (bf_opt_size("--max-line-bytes", optarg, 1024, SIZE_MAX, &o.max_line))
				return BF_EUSAGE;
			break;
		case O_PROGRESS: o.progress = 1; break;
		case O_PGSCHEMA:
			if (!*optarg)
				return bf_cli_usage_error("--pg-schema: a schema name");
			o.topts.pg_schema = optarg;
			break;
		case O_TYPE: {
			const char *eq = strrchr(optarg, '=');
			struct bf_type_override ov;
			if (!eq || split_col(optarg, (size_t)(eq - optarg), &ov.stream, &ov.column))
				return bf_cli_usage_error("--type: STREAM.COLUMN=TYPE, not \"%s\"", optarg);
			if (bf_type_parse(eq + 1, &ov.type)) {
				free(ov.stream);
				free(ov.column);
				return bf_cli_usage_error("--type: unknown type \"%s\" (string integer number boolean "
							  "date date-time timestamptz json vector)", eq + 1);
			}
			types = bf_xrealloc(types, (o.ntypes + 1) * sizeof *types);
			types[o.ntypes++] = ov;
			o.types = types;
			break;
		}
		case O_AMOUNT: {
			struct bf_amount_col a;
			if (split_col(optarg, strlen(optarg), &a.stream, &a.column))
				return bf_cli_usage_error("--amount-column: STREAM.COLUMN, not \"%s\"", optarg);
			amounts = bf_xrealloc(amounts, (o.namounts + 1) * sizeof *amounts);
			amounts[o.namounts++] = a;
			o.amounts = amounts;
			break;
		}
		case O_REKEY: o.topts.rebuild_keys = 1; break;
		case O_MAXSTREAMS: {
			long long n;
			if (bf_opt_llong("--max-streams", optarg, 1, 1000000000, &n))
				return BF_EUSAGE;
			o.max_streams = (size_t)n;
			break;
		}
		case 'q': o.progress = -1; bf_log_set_level(0); break;
		case 'v': bf_log_set_level(2); break;
		case 'h': return bf_cli_help(usage);
		case 'V': return bf_cli_version();
		default: return bf_cli_usage_error("unknown option");
		}
	}
	if (optind < argc)
		return bf_cli_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (!o.target)
		return bf_cli_usage_error("--target is required");
	if (bf_cli_refuse_secret("--target", o.target))
		return BF_EUSAGE;
	rc = bf_load_run(&o, 0, 1, &err);
	if (rc)
		bf_err_print(&err);
	return rc;
}
