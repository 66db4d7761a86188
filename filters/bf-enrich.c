/* bf-enrich: adds derived fields and model answers to the records on the pipe. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_cli.h"
#include "stages/enrich/bf_enrich.h"
#include "base/bf_exit.h"
#include "base/bf_init.h"
#include "base/bf_opt.h"
#include "base/bf_log.h"

static const char usage[] =
	"Usage: bf-enrich [options] < messages.ndjson > enriched.ndjson\n"
	"Adds fields to RECORD messages: POS timestamps in ISO 8601, weekday, hour, daypart,\n"
	"money in cents, durations in seconds, text embeddings (hashed offline, or a model's),\n"
	"labels and prompt answers from an OpenAI-compatible API. Everything else passes\n"
	"through unchanged and in order. With no options, derives the well-known POS columns.\n"
	"\n"
	"      --derive S.COL=KIND     KIND: timestamp, money, duration (S may be *)\n"
	"      --embed S.C1[+C2..][:DIM][:hash|:model]   text embedding -> C1_C2_embedding\n"
	"      --classify S.COL=L1|L2|...                a label of the set -> COL_label\n"
	"      --prompt S.FIELD[:json]=TEMPLATE          answer to TEMPLATE with {column}s -> FIELD\n"
	"      --auto / --no-auto      derive the well-known POS columns (default: only when\n"
	"                              nothing else is configured)\n"
	"      --timezone TZ           business time zone: IANA name, UTC or +HH:MM\n"
	"      --config FILE           JSON settings (see bf-enrich(1)); flags win\n"
	"      --api-base URL          OpenAI-compatible API (key from BF_API_KEY)\n"
	"      --model NAME            model for embeddings and chat\n"
	"      --batch-size B          inputs per embeddings request (default 32)\n"
	"      --concurrency C         requests in flight (default 4)\n"
	"      --timeout S             seconds per request (default 60)\n"
	"      --retries N             retries of a failed request (default 5)\n"
	"      --retry-base-ms MS      first backoff ceiling (default 200)\n"
	"      --breaker N[:S]         open after N consecutive failures, probe after S s (5:5)\n"
	"      --on-error fail|pass    a record that cannot be enriched fails its date (default)\n"
	"                              or passes with _bf_enrich_error\n"
	"      --price-per-1k-tokens P[,OUT]  price for the cost in the state file\n"
	"      --state PATH            state file (default $BF_STATE, else ./bf-state.db)\n"
	"      --max-line-bytes N      longest message accepted (default 64 MiB)\n"
	"  -q, --quiet                 no warnings\n"
	"  -v, --verbose               notes too\n"
	"  -h, --help                  this help\n"
	"  -V, --version               version\n";

enum {
	O_DERIVE = 0x100, O_EMBED, O_CLASSIFY, O_PROMPT, O_AUTO, O_NOAUTO, O_TZ, O_CONFIG,
	O_API, O_MODEL, O_BATCH, O_CONC, O_TIMEOUT, O_RETRIES, O_RBASE, O_BREAKER, O_ONERR,
	O_PRICE, O_STATE, O_MAXLINE,
};

static const struct option longopts[] = {
	{ "derive", required_argument, NULL, O_DERIVE },
	{ "embed", required_argument, NULL, O_EMBED },
	{ "classify", required_argument, NULL, O_CLASSIFY },
	{ "prompt", required_argument, NULL, O_PROMPT },
	{ "auto", no_argument, NULL, O_AUTO },
	{ "no-auto", no_argument, NULL, O_NOAUTO },
	{ "timezone", required_argument, NULL, O_TZ },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "api-base", required_argument, NULL, O_API },
	{ "model", required_argument, NULL, O_MODEL },
	{ "batch-size", required_argument, NULL, O_BATCH },
	{ "concurrency", required_argument, NULL, O_CONC },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "retry-base-ms", required_argument, NULL, O_RBASE },
	{ "breaker", required_argument, NULL, O_BREAKER },
	{ "on-error", required_argument, NULL, O_ONERR },
	{ "price-per-1k-tokens", required_argument, NULL, O_PRICE },
	{ "state", required_argument, NULL, O_STATE },
	{ "max-line-bytes", required_argument, NULL, O_MAXLINE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct bf_enrich_opts o;
	struct bf_err err = { 0 };
	char *args;
	const char *config = NULL;
	int c, rc = 0;

	bf_main_init(argv);
	bf_enrich_opts_init(&o);
	args = bf_argv_join(argc, argv);
	o.args = args ? args : "";
	while ((c = getopt_long(argc, argv, "qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case O_DERIVE: rc = bf_enrich_add_derive(&o, optarg, &err); break;
		case O_EMBED: rc = bf_enrich_add_embed(&o, optarg, &err); break;
		case O_CLASSIFY: rc = bf_enrich_add_classify(&o, optarg, &err); break;
		case O_PROMPT: rc = bf_enrich_add_prompt(&o, optarg, &err); break;
		case O_AUTO: o.auto_derive = 1; break;
		case O_NOAUTO: o.auto_derive = 0; break;
		case O_TZ: free(o.timezone); o.timezone = bf_xstrdup(optarg); break;
		case O_CONFIG: config = optarg; break;
		case O_API: free(o.api_base); o.api_base = bf_xstrdup(optarg); break;
		case O_MODEL: free(o.model); o.model = bf_xstrdup(optarg); break;
		case O_BATCH: rc = bf_opt_int("--batch-size", optarg, 1, 4096, &o.batch); break;
		case O_CONC: rc = bf_opt_int("--concurrency", optarg, 1, 256, &o.concurrency); break;
		case O_RETRIES: rc = bf_opt_int("--retries", optarg, 0, 100, &o.retries); break;
		case O_RBASE: {
			long v;
			if (!(rc = bf_opt_ms("--retry-base-ms", optarg, 1, 600000, &v)))
				o.retry_base_ms = v;
			break;
		}
		case O_TIMEOUT: rc = bf_opt_secs("--timeout", optarg, 0.001, 86400, &o.timeout_s); break;
		case O_BREAKER: {  /* N[:SECONDS] */
			char *colon = strchr(optarg, ':');
			if (colon)
				*colon = '\0';
			rc = bf_opt_int("--breaker", optarg, 0, 10000, &o.breaker);
			if (!rc && colon)
				rc = bf_opt_secs("--breaker", colon + 1, 0, 86400, &o.breaker_cooldown_s);
			break;
		}
		case O_ONERR:
			if (!strcmp(optarg, "pass"))
				o.on_error_pass = 1;
			else if (!strcmp(optarg, "fail"))
				o.on_error_pass = 0;
			else
				rc = bf_cli_usage_error("--on-error: fail or pass");
			break;
		case O_PRICE: rc = bf_enrich_price(&o, optarg, &err); break;
		case O_STATE: o.state_path = optarg; break;
		case O_MAXLINE: rc = bf_opt_size("--max-line-bytes", optarg, 1024, SIZE_MAX, &o.max_line); break;
		case 'q': bf_log_set_level(0); break;
		case 'v': bf_log_set_level(2); break;
		case 'h': rc = bf_cli_help(usage); goto done;
		case 'V': rc = bf_cli_version(); goto done;
		default: rc = bf_cli_usage_error("unknown option"); goto done;
		}
		if (rc) {
			if (err.code) {
				bf_cli_usage_error("%s", err.msg);
				rc = BF_EUSAGE;
			}
			goto done;
		}
	}
	if (optind < argc) {
		rc = bf_cli_usage_error("unexpected argument \"%s\"", argv[optind]);
		goto done;
	}
	if ((rc = bf_cli_refuse_secret("--api-base", o.api_base)))
		goto done;
	if (config && (rc = bf_enrich_load_config(&o, config, &err))) {
		bf_err_print(&err);
		goto done;
	}
	o.api_key = getenv("BF_API_KEY");
	rc = bf_enrich_run(&o, 0, 1, &err);
	if (rc)
		bf_err_print(&err);
done:
	bf_enrich_opts_free(&o);
	free(args);
	return rc;
}
