/* bf-sample: writes a deterministic point-of-sale nightly export drop (Toast-style CSV
 * files laid out as OUT/<location>/<YYYYMMDD>/<File>.csv) and OUT/manifest.json, which
 * describes exactly what was written: closed days and their expected closure reasons,
 * good and bad row counts, injected defects. Same arguments and seed, same bytes.
 *
 * A test tool: the demo, the tests and the benchmarks use it to make input for the bf
 * tools. Its parts are in tests/tools/sample/; it links bf's base layer (libbf.a) for
 * the calendar, allocation and file helpers. See bf-sample.1. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_init.h"
#include "sample/orders.h"

/* ------------------------------------------------------------------------------------
 * Messages */

void fail(int code, const char *where, const char *what)
{
	if (where)
		fprintf(stderr, "%s: %s: %s\n", PROG, where, what);
	else
		fprintf(stderr, "%s: %s\n", PROG, what);
	exit(code);
}

void *sample_zalloc(size_t n)
{
	return bf_xcalloc(1, n);
}

/* "YYYY-MM-DD" strictly, from 1971 to 2199; returns 0 on success. */
static int parse_date(const char *s, int64_t *out)
{
	int32_t d;
	if (strlen(s) != 10 || bf_date_parse(s, &d) || d < bf_date_from_ymd(1971, 1, 1) ||
	    d > bf_date_from_ymd(2199, 12, 31))
		return -1;
	*out = d;
	return 0;
}

/* ------------------------------------------------------------------------------------
 * Command line */

static void usage(FILE *fp)
{
	fputs("usage: bf-sample --out DIR [--seed N] [--start-date YYYY-MM-DD] [--days N]\n"
	      "                 [--orders-per-day N] [--locations N] [--defects LIST] [--gzip]\n"
	      "                 [--lf] [--no-closures] [--force] [--quiet]\n"
	      "\n"
	      "Writes a deterministic point-of-sale nightly export drop, DIR/<location>/<YYYYMMDD>/\n"
	      "<File>.csv, and DIR/manifest.json describing it (closed days, row counts, defects).\n"
	      "\n"
	      "  -o, --out DIR            output folder; created; must be empty unless --force\n"
	      "      --seed N             random seed (default 1); same seed, same bytes\n"
	      "      --start-date DATE    first date (default 2024-01-01)\n"
	      "      --days N             number of dates (default 440)\n"
	      "      --orders-per-day N   average orders of a location-day (default 300)\n"
	      "      --locations N        number of locations, 185129, 185130, ... (default 2)\n"
	      "      --defects LIST       inject defects: bom,ragged,truncated,invalid_utf8,\n"
	      "                           blank_lines,gzip, or all (default none)\n"
	      "      --gzip               write every file as <File>.csv.gz\n"
	      "      --lf                 end lines with LF (default CRLF, like the POS)\n"
	      "      --no-closures        no closed days\n"
	      "      --force              allow a non-empty DIR; earlier output in it is removed\n"
	      "  -q, --quiet              no summary on a terminal\n"
	      "  -h, --help               this help\n"
	      "  -V, --version            print the version\n",
	      fp);
}

static uint64_t parse_num(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char msg[160];
	char *end = NULL;
	int ok = *s >= '0' && *s <= '9';
	errno = 0;
	unsigned long long v = ok ? strtoull(s, &end, 10) : 0;
	if (!ok || errno || *end || v < min || v > max) {
		snprintf(msg, sizeof msg, "not an integer from %llu to %llu: '%.40s'",
			 (unsigned long long)min, (unsigned long long)max, s);
		fail(BF_EUSAGE, opt, msg);
	}
	return v;
}

static unsigned parse_defects(const char *s)
{
	unsigned mask = 0;
	char msg[200];
	if (strlen(s) >= 256)
		fail(BF_EUSAGE, "--defects", "list too long");
	char *buf = bf_xstrdup(s);
	for (char *tok = buf, *next; tok; tok = next) {
		int k;
		next = strchr(tok, ',');
		if (next)
			*next++ = 0;
		if (!*tok)
			fail(BF_EUSAGE, "--defects", "empty item in the list");
		if (!strcmp(tok, "all")) {
			mask |= ((1u << D_N) - 1) & ~1u;
			continue;
		}
		if (!strcmp(tok, "none"))
			continue;
		for (k = 1; k < D_N; k++)
			if (!strcmp(tok, defect_name[k]))
				break;
		if (k == D_N) {
			snprintf(msg, sizeof msg, "unknown defect '%.40s' (bom, ragged, truncated, "
				 "invalid_utf8, blank_lines, gzip, all, none)", tok);
			fail(BF_EUSAGE, "--defects", msg);
		}
		mask |= 1u << k;
	}
	free(buf);
	return mask;
}

enum {
	O_SEED = 256, O_START, O_DAYS, O_OPD, O_LOCATIONS, O_DEFECTS, O_GZIP, O_LF,
	O_NO_CLOSURES, O_FORCE,
};

static void parse_args(int argc, char **argv, struct cfg *c)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, O_SEED },
		{ "start-date", required_argument, NULL, O_START },
		{ "days", required_argument, NULL, O_DAYS },
		{ "orders-per-day", required_argument, NULL, O_OPD },
		{ "locations", required_argument, NULL, O_LOCATIONS },
		{ "defects", required_argument, NULL, O_DEFECTS },
		{ "gzip", no_argument, NULL, O_GZIP },
		{ "lf", no_argument, NULL, O_LF },
		{ "no-closures", no_argument, NULL, O_NO_CLOSURES },
		{ "force", no_argument, NULL, O_FORCE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	char where[64];

	memset(c, 0, sizeof *c);
	c->seed = 1;
	c->start = bf_date_from_ymd(2024, 1, 1);
	c->days = 440;
	c->orders_per_day = 300;
	c->locations = 2;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': c->out = optarg; break;
		case O_SEED: c->seed = parse_num("--seed", optarg, 0, UINT64_MAX); break;
		case O_START:
			if (parse_date(optarg, &c->start))
				fail(BF_EUSAGE, "--start-date", "not a date YYYY-MM-DD from 1971 to 2199");
			break;
		case O_DAYS: c->days = (int)parse_num("--days", optarg, 1, 36600); break;
		case O_OPD: c->orders_per_day = (int)parse_num("--orders-per-day", optarg, 1, 50000); break;
		case O_LOCATIONS: c->locations = (int)parse_num("--locations", optarg, 1, 99); break;
		case O_DEFECTS: c->defects = parse_defects(optarg); break;
		case O_GZIP: c->gzip_all = 1; break;
		case O_LF: c->lf = 1; break;
		case O_NO_CLOSURES: c->no_closures = 1; break;
		case O_FORCE: c->force = 1; break;
		case 'q': c->quiet = 1; break;
		case 'h':
			usage(stdout);
			if (fflush(stdout) != 0 || ferror(stdout))
				fail(BF_EIO, "stdout", strerror(errno));
			exit(0);
		case 'V':
			if (printf("%s %s\n", PROG, VERSION) < 0 || fflush(stdout) != 0)
				fail(BF_EIO, "stdout", strerror(errno));
			exit(0);
		case ':':
		case '?':
		default:
			if (optopt && optopt < 256 && argv[optind - 1][1] != '-')
				snprintf(where, sizeof where, "-%c", optopt);
			else
				snprintf(where, sizeof where, "%.60s", argv[optind - 1]);
			fail(BF_EUSAGE, where, ch == ':' ? "option requires an argument"
							  : "unknown option (see --help)");
		}
	}
	if (optind < argc) {
		snprintf(where, sizeof where, "%.60s", argv[optind]);
		fail(BF_EUSAGE, where, "unexpected argument (see --help)");
	}
	if (!c->out || !*c->out)
		fail(BF_EUSAGE, "--out", "required (see --help)");
	if (c->start + c->days - 1 > bf_date_from_ymd(2199, 12, 31))
		fail(BF_EUSAGE, "--days", "the range goes past 2199-12-31");
}

/* ------------------------------------------------------------------------------------
 * Output folder */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0)
		fail(BF_EIO, path, strerror(errno));
	return 0;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Creates OUT, or checks it is empty; with --force, removes earlier output in it
 * (manifest.json and the all-digit location folders), leaving anything else alone. */
static void prepare_out(const struct cfg *c)
{
	struct stat st;
	char path[PATH_MAX];
	if (stat(c->out, &st) != 0) {
		if (errno != ENOENT)
			fail(BF_EIO, c->out, strerror(errno));
		sample_mkdirs(c->out);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		fail(BF_EIO, c->out, "exists and is not a directory");
	DIR *d = opendir(c->out);
	if (!d)
		fail(BF_EIO, c->out, strerror(errno));
	struct dirent *e;
	int nonempty = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		nonempty = 1;
		if (!c->force)
			break;
		if (strcmp(e->d_name, "manifest.json") && !all_digits(e->d_name))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", c->out, e->d_name) >= (int)sizeof path)
			fail(BF_EIO, c->out, "path too long");
		if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
			fail(BF_EIO, path, strerror(errno));
	}
	closedir(d);
	if (nonempty && !c->force)
		fail(BF_EUSAGE, c->out, "not empty (use --force to overwrite earlier output)");
}

/* ------------------------------------------------------------------------------------
 * Driver */

static void setup(struct gen *g)
{
	orders_init();
	int nl = g->c.locations;
	g->locid = sample_zalloc((size_t)nl * sizeof *g->locid);
	g->locname = sample_zalloc((size_t)nl * sizeof *g->locname);
	g->locfactor = sample_zalloc((size_t)nl * sizeof *g->locfactor);
	for (int l = 0; l < nl; l++) {
		struct rng r = rng_for(g->c.seed, 5, (uint64_t)l, 0);
		snprintf(g->locid[l], sizeof g->locid[l], "%d", 185129 + l);
		if (l < NLOCNAMES)
			snprintf(g->locname[l], sizeof g->locname[l], "%s", location_names[l]);
		else
			snprintf(g->locname[l], sizeof g->locname[l], "%s #%d",
				 location_names[l % NLOCNAMES], l / NLOCNAMES + 1);
		g->locfactor[l] = l == 0 ? 1000 : l == 1 ? 720 : 500 + (int)rng_below(&r, 701);
	}
	for (int k = 0; k < NF; k++) {
		g->w[k].buf = sample_zalloc(WBUF_CAP);
		g->w[k].eol = g->c.lf ? "\n" : "\r\n";
		g->w[k].eol_len = g->c.lf ? 1 : 2;
	}
	g->nparts = (size_t)g->c.days * (size_t)nl;
	g->parts = sample_zalloc(g->nparts * sizeof *g->parts);
}

static void generate(struct gen *g)
{
	char dir[PATH_MAX];
	for (int l = 0; l < g->c.locations; l++) {
		snprintf(dir, sizeof dir, "%s/%s", g->c.out, g->locid[l]);
		sample_mkdirs(dir);
	}
	/* partitions sorted by date, then location */
	for (int d = 0; d < g->c.days; d++)
		for (int l = 0; l < g->c.locations; l++)
			gen_partition(g, l, d, &g->parts[(size_t)d * (size_t)g->c.locations + (size_t)l]);
}

static void report(const struct gen *g)
{
	long closed = 0;
	if (g->c.quiet || !isatty(STDERR_FILENO))
		return;
	for (size_t i = 0; i < g->nparts; i++)
		closed += g->parts[i].closure != CL_OPEN;
	fprintf(stderr, "%s: %s: %zu partitions (%ld closed), %ld rows, %ld bad rows, %zu defects\n",
		PROG, g->c.out, g->nparts, closed, g->total_rows, g->total_bad, g->ndefs);
}

int main(int argc, char **argv)
{
	static struct gen g;
	bf_main_init(argv);
	parse_args(argc, argv, &g.c);
	prepare_out(&g.c);
	setup(&g);
	plan_closures(&g);
	plan_defects(&g);
	generate(&g);
	write_manifest(&g);
	report(&g);
	return 0;
}
