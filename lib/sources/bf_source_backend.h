/* What a source backend implements (the contract of sources/bf_source.h), and the backends
 * that bf_source.c's table knows. Only sources/ includes this header. */
#ifndef BF_SOURCE_BACKEND_H
#define BF_SOURCE_BACKEND_H

#include "sources/bf_source.h"

struct bf_source_ops {
	const char *scheme;
	/* Lists dir ("" is the root). *missing = 1 (and 0 returned) when it does not exist. */
	int (*list)(struct bf_source *s, const char *dir, struct bf_entry **ents, size_t *n,
		    int *missing, struct bf_err *err);
	/* Opens a file for streaming; e is its listing entry (size may be checked).
	 * BF_ENOINPUT means the file does not exist (https: 404): counted as missing. */
	int (*open)(struct bf_source *s, const char *path, const struct bf_entry *e, void **fh,
		    struct bf_err *err);
	/* >0 bytes, 0 at end of file, or -(exit code) with err filled. */
	long (*read)(void *fh, void *buf, size_t len, struct bf_err *err);
	/* Frees fh; an error when the file did not arrive whole. */
	int (*close)(void *fh, struct bf_err *err);
	void (*free)(struct bf_source *s);
};

/* Filled by bf_source_open before the backend's open; the backend sets ops and impl. */
struct bf_source {
	const struct bf_source_ops *ops;
	char *canon;               /* identity in the state file; never holds credentials */
	void *impl;
	struct bf_source_opts opts;
};

int bf_source_local_open(const char *path, struct bf_source *s, struct bf_err *err);
int bf_source_sftp_open(const char *url, struct bf_source *s, struct bf_err *err);
int bf_source_https_open(const char *url, struct bf_source *s, struct bf_err *err);

#endif
