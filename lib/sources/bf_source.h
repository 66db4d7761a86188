/* Where the nightly drops are read from: a local folder, sftp:// or https://. This is
 * the contract every caller uses; backends implement it behind
 * sources/bf_source_backend.h. Every source lists folders and streams files the same
 * way, and nothing outside the source's root is ever read: names from a source are
 * untrusted, and an entry that cannot or may not be read (an unsafe name, a link leading
 * outside the root or nowhere, a FIFO, a device) is listed with the reason it is refused
 * instead of being read or dropped. bf_source_open picks the backend from the spec;
 * bf_source_free(NULL) is a no-op. */
#ifndef BF_SOURCE_H
#define BF_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "base/bf_exit.h"
#include "base/bf_log.h"
#include "sources/bf_entry.h"

/* What listing or opening returns when one entry (a file, or a folder on the way
 * to it) cannot or may not be read while the source itself is fine: a link leading outside
 * the root or nowhere, not a regular file, permission refused, a redirect. The entry's
 * partition fails (exit 1) or, when the caller was asked to, skips it and counts it. */
#define BF_SOURCE_UNREADABLE BF_PARTIAL

/* Zeroed, every field means its default. */
struct bf_source_opts {
	const char *known_hosts;   /* sftp: default ~/.ssh/known_hosts */
	int accept_new_host_key;   /* sftp: add an unknown host's key (explicit opt-in) */
	const char *identity;      /* sftp: private key file; passphrase from BF_SFTP_PASSPHRASE */
	const char *password_file; /* sftp: file holding the password (else BF_SFTP_PASSWORD) */
	const char *ca_file;       /* https: CA bundle */
	const char *url_template;  /* https: "{location}/{yyyymmdd}/{file}" */
	char **file_names;         /* https: names to fetch for each date */
	size_t nfile_names;
	int retries;               /* transient faults: attempts after the first (0: none) */
	int retries_set;           /* retries was given; else the default, 5 */
	double timeout;            /* seconds per network operation (default 30) */
	const char *layout;        /* https: the folder layout, to fill the URL template */
	/* SQL sources (sources/sql/bf_sqlsrc.h): what is read */
	const char *table;         /* --table NAME or SCHEMA.NAME */
	const char *date_column;   /* a date, timestamp or timestamp with time zone */
	const char *location_column;  /* NULL: one location, the table's name or --location */
	const char *time_zone;     /* IANA name for timestamps with a zone (default UTC) */
	const char *stream;        /* NULL: the table's snake_case name */
	const char *columns;       /* comma-separated; NULL: every column */
	const char *query;         /* instead of --table: SQL with :start and :end */
};

struct bf_source;

int bf_source_open(const char *spec, const struct bf_source_opts *o, struct bf_source **out,
		   struct bf_err *err);
void bf_source_free(struct bf_source *s);
/* Lists dir, sorted by name. An entry with an unsafe name (bf_name_safe) or one the backend
 * cannot follow or read comes with e->refused set. *missing = 1 when dir does not exist;
 * BF_SOURCE_UNREADABLE when dir itself (or a folder on the way) may not be listed. */
int bf_source_list(struct bf_source *s, const char *dir, struct bf_entry **ents, size_t *n,
		   int *missing, struct bf_err *err);
/* The source's identity in the state file; never holds credentials. */
const char *bf_source_canon(const struct bf_source *s);

/* Opens a file for streaming; e is its listing entry (size may be checked). BF_ENOINPUT
 * means the file does not exist (https: 404): counted as missing; BF_SOURCE_UNREADABLE
 * that this file cannot or may not be read (nothing of it was read). */
int bf_source_open_file(struct bf_source *s, const char *path, const struct bf_entry *e,
			void **fh, struct bf_err *err);
/* >0 bytes, 0 at end of file, or -(exit code) with err filled. */
long bf_source_read(struct bf_source *s, void *fh, void *buf, size_t len, struct bf_err *err);
/* Frees fh; an error when the file did not arrive whole. */
int bf_source_close_file(struct bf_source *s, void *fh, struct bf_err *err);

#endif
