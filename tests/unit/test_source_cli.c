/* Unit tests for bf_source_cli: every option of BF_SOURCE_LONGOPTS and _RUN is parsed into
 * struct bf_source_opts; what bf_source_args writes parses back (through bf-extract's
 * table) to the same options; nothing is written for options not set; bad numbers are
 * usage errors; the --files list is owned and replaced. TAP. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_cli.h"
#include "base/bf_exit.h"
#include "sources/bf_source_cli.h"

#include "tap.h"

static const struct option extract_opts[] = { BF_SOURCE_LONGOPTS, { NULL, 0, NULL, 0 } };
static const struct option run_opts[] = { BF_SOURCE_LONGOPTS_RUN, { NULL, 0, NULL, 0 } };

/* Parses argv (argv[0] a program name) with table into o; returns the first failure. */
static int parse(const struct option *table, int argc, char **argv, struct bf_source_opts *o)
{
	int c, idx, rc;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", table, &idx)) != -1) {
		if (c != BF_OPT_SOURCE)
			return -2;
		if ((rc = bf_source_option(o, table[idx].name, optarg)))
			return rc;
	}
	return optind == argc ? 0 : -3;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same(const struct bf_source_opts *a, const struct bf_source_opts *b)
{
	if (a->nfile_names != b->nfile_names)
		return 0;
	for (size_t i = 0; i < a->nfile_names; i++)
		if (strcmp(a->file_names[i], b->file_names[i]))
			return 0;
	return same_str(a->layout, b->layout) && same_str(a->known_hosts, b->known_hosts) &&
	       a->accept_new_host_key == b->accept_new_host_key && same_str(a->identity, b->identity) &&
	       same_str(a->password_file, b->password_file) && same_str(a->ca_file, b->ca_file) &&
	       same_str(a->url_template, b->url_template) && a->retries == b->retries &&
	       a->timeout == b->timeout;
}

/* Round trip: the args of o, parsed with bf-extract's table, give o again. */
static int round_trip(const struct bf_source_opts *o, size_t *nargs)
{
	size_t n;
	char **args = bf_source_args(o, &n);
	char **argv = calloc(n + 2, sizeof *argv);
	struct bf_source_opts back = { 0 };
	argv[0] = "bf-extract";
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = args[i];
	int rc = parse(extract_opts, (int)n + 1, argv, &back);
	int ok_ = rc == 0 && same(o, &back);
	bf_source_opts_free(&back);
	free(argv);
	bf_cli_list_free(args, n);
	*nargs = n;
	return ok_;
}

int main(void)
{
	struct bf_source_opts o = { 0 };
	size_t n;

	/* every entry of both tables is a source option */
	int all = 1;
	for (const struct option *p = run_opts; p->name; p++) {
		struct bf_source_opts x = { 0 };
		if (bf_source_option(&x, p->name, p->has_arg ? "7" : NULL) != 0)
			all = 0, diag("--%s not taken", p->name);
		bf_source_opts_free(&x);
	}
	for (const struct option *p = extract_opts; p->name; p++) {
		struct bf_source_opts x = { 0 };
		if (bf_source_option(&x, p->name, p->has_arg ? "7" : NULL) != 0)
			all = 0, diag("--%s not taken", p->name);
		bf_source_opts_free(&x);
	}
	ok(all, "every option of BF_SOURCE_LONGOPTS and BF_SOURCE_LONGOPTS_RUN is parsed");
	ok(bf_source_option(&o, "include", "*.csv") == -1 && bf_source_option(&o, "date", "2024-01-01") == -1 &&
	   bf_source_option(&o, "retry", "1") == -1, "other options are not source options");

	/* nothing set: nothing passed on */
	char **none = bf_source_args(&o, &n);
	ok(!none && n == 0, "no option set: no argument");

	/* bf-run's spelling in, bf-extract's out */
	char *run_argv[] = { "bf-run", "--known-hosts", "kh", "--accept-new-host-key", "--identity", "id_key",
			     "--password-file", "pw.txt", "--ca-file", "ca.pem", "--url-template",
			     "{location}-{date}-{file}", "--files", "A.csv,,B.csv", "--timeout", "12",
			     "--source-retries", "4", "--layout", "{location}/{date}", NULL };
	ok(parse(run_opts, (int)(sizeof run_argv / sizeof run_argv[0]) - 1, run_argv, &o) == 0,
	   "bf-run's options parse");
	ok(!strcmp(o.known_hosts, "kh") && o.accept_new_host_key && !strcmp(o.identity, "id_key") &&
	   !strcmp(o.password_file, "pw.txt") && !strcmp(o.ca_file, "ca.pem") &&
	   !strcmp(o.url_template, "{location}-{date}-{file}") && o.nfile_names == 2 &&
	   !strcmp(o.file_names[0], "A.csv") && !strcmp(o.file_names[1], "B.csv") && o.timeout == 12 &&
	   o.retries == 4 && !strcmp(o.layout, "{location}/{date}"),
	   "into every field of struct bf_source_opts");
	char **args = bf_source_args(&o, &n);
	char line[512] = "";
	for (size_t i = 0; i < n; i++) {
		strncat(line, i ? " " : "", sizeof line - strlen(line) - 1);
		strncat(line, args[i], sizeof line - strlen(line) - 1);
	}
	ok(!strcmp(line, "--layout {location}/{date} --known-hosts kh --accept-new-host-key --identity id_key "
			   "--password-file pw.txt --ca-file ca.pem --url-template {location}-{date}-{file} "
			   "--files A.csv,B.csv --timeout 12 --retries 4"),
	   "passed on in bf-extract's words, --layout first: %s", line);
	bf_cli_list_free(args, n);
	ok(round_trip(&o, &n) && n == 19, "and bf-extract's table reads them back the same (%zu)", n);

	/* one at a time: each alone round-trips */
	{
		const char *one[][2] = { { "--layout", "{location}/{yyyymmdd}" }, { "--known-hosts", "k" },
					 { "--accept-new-host-key", NULL }, { "--identity", "i" },
					 { "--password-file", "p" }, { "--ca-file", "c" }, { "--url-template", "" },
					 { "--files", "x.csv" }, { "--timeout", "86400" }, { "--retries", "100" } };
		int good = 1;
		for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
			struct bf_source_opts x = { 0 };
			char *av[] = { "bf-extract", (char *)one[i][0], (char *)one[i][1], NULL };
			int ac = one[i][1] ? 3 : 2;
			size_t k;
			if (parse(extract_opts, ac, av, &x) || !round_trip(&x, &k) || k != (size_t)ac - 1)
				good = 0, diag("%s does not round-trip", one[i][0]);
			bf_source_opts_free(&x);
		}
		ok(good, "each option alone passes on to exactly itself (an empty template too)");
	}

	/* bad values */
	{
		struct bf_source_opts x = { 0 };
		ok(bf_source_option(&x, "timeout", "0") == BF_EUSAGE && bf_source_option(&x, "timeout", "soon") == BF_EUSAGE &&
		   bf_source_option(&x, "retries", "101") == BF_EUSAGE &&
		   bf_source_option(&x, "source-retries", "-1") == BF_EUSAGE &&
		   bf_source_option(&x, "retries", "") == BF_EUSAGE && x.timeout == 0 && x.retries == 0,
		   "bad numbers are usage errors and change nothing");
	}

	/* --files again replaces the list (ASan would see a leak) */
	ok(bf_source_option(&o, "files", "C.csv") == 0 && o.nfile_names == 1 && !strcmp(o.file_names[0], "C.csv"),
	   "a second --files replaces the first");
	bf_source_opts_free(&o);
	ok(!o.file_names && !o.nfile_names && !o.layout && !o.retries, "freed options are cleared");
	bf_source_opts_free(&o);
	return done_testing();
}
