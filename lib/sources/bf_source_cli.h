/* The source options on the command line, one table for every tool that opens a source
 * (bf-extract, and bf-run, which opens it to find the dates and hands the same options to
 * each bf-extract it starts), so that the tools cannot drift apart:
 *   - BF_SOURCE_LONGOPTS: getopt_long entries, used inside a tool's table; getopt returns
 *     BF_OPT_SOURCE and the tool passes the option's name to bf_source_option;
 *   - bf_source_option: fills struct bf_source_opts;
 *   - bf_source_args: the options set, as bf-extract arguments;
 *   - BF_SOURCE_USAGE: their lines in --help.
 * No secret passes through here: a password or passphrase comes from the environment or a
 * file (--password-file names the file). The option values are borrowed from argv except
 * the --files list, which bf_source_opts_free frees. */
#ifndef BF_SOURCE_CLI_H
#define BF_SOURCE_CLI_H

#include <stddef.h>

#include "sources/bf_source.h"

#define BF_OPT_SOURCE 0x1100

/* --retries N (network retries) stands apart: bf-run's own --retries counts the reruns of
 * a failed date, so bf-run takes the network retries as --source-retries. */
#define BF_SOURCE_LONGOPTS_BUT_RETRIES \
	{ "layout", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "known-hosts", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "accept-new-host-key", no_argument, NULL, BF_OPT_SOURCE }, \
	{ "identity", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "password-file", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "ca-file", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "url-template", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "files", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "timeout", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "table", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "date-column", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "location-column", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "time-zone", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "stream", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "columns", required_argument, NULL, BF_OPT_SOURCE }, \
	{ "query", required_argument, NULL, BF_OPT_SOURCE }
#define BF_SOURCE_LONGOPTS \
	BF_SOURCE_LONGOPTS_BUT_RETRIES, \
	{ "retries", required_argument, NULL, BF_OPT_SOURCE }
#define BF_SOURCE_LONGOPTS_RUN \
	BF_SOURCE_LONGOPTS_BUT_RETRIES, \
	{ "source-retries", required_argument, NULL, BF_OPT_SOURCE }

/* The --help lines of every source option but --layout and the retries, which each tool
 * words its own way. */
#define BF_SOURCE_USAGE \
	"      --known-hosts FILE  sftp: known_hosts file (default ~/.ssh/known_hosts)\n" \
	"      --accept-new-host-key  sftp: trust and record an unknown host key (explicit opt-in)\n" \
	"      --identity FILE     sftp: private key (passphrase from BF_SFTP_PASSPHRASE)\n" \
	"      --password-file F   sftp: password file (else BF_SFTP_PASSWORD, else agent/keys)\n" \
	"      --ca-file FILE      https: CA certificates to trust\n" \
	"      --url-template T    https: path of a file, default {location}/{yyyymmdd}/{file}\n" \
	"      --files NAMES       https: comma-separated file names to fetch for each date\n" \
	"      --timeout S         seconds per network operation (default 30)\n"

/* The --help lines of the SQL source options (sources/sql/bf_sqlsrc.h). */
#define BF_SOURCE_SQL_USAGE \
	"SQL sources (postgresql://..., sqlite:PATH, odbc:CONNECTION-STRING):\n" \
	"      --table NAME        the table (or SCHEMA.NAME) to read\n" \
	"      --date-column COL   its business date: a date, timestamp or timestamp with zone\n" \
	"      --location-column COL  the partition's location (default: the table's name,\n" \
	"                          or --location L)\n" \
	"      --time-zone ZONE    IANA zone of the business day for timestamps with a zone\n" \
	"                          (default UTC)\n" \
	"      --stream NAME       stream name (default: the table's name in snake_case)\n" \
	"      --columns A,B,...   columns to read (default all)\n" \
	"      --query SQL         instead of --table: a query whose :start and :end are the\n" \
	"                          bounds of one business date (bound, never pasted)\n"

/* Handles one option by its long name (as in BF_SOURCE_LONGOPTS*; arg NULL for a flag).
 * Returns 0; BF_EUSAGE for a bad value, the usage error printed (as bf_opt_*
 * does); -1 when name is not a source option. A repeated option replaces the earlier. */
int bf_source_option(struct bf_source_opts *o, const char *name, const char *arg);
/* The options set in o as bf-extract arguments ("--known-hosts", "FILE", ...; --layout
 * first), *n of them; NULL when there are none. Free with bf_cli_list_free. */
char **bf_source_args(const struct bf_source_opts *o, size_t *n);
/* Frees what bf_source_option allocated and clears o. */
void bf_source_opts_free(struct bf_source_opts *o);

#endif
