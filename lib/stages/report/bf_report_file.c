/* Report files written whole or not at all: the report is made in memory, then written
 * through base/bf_file's atomic file. */
#include "stages/report/bf_report_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"
#include "base/bf_file.h"

int bf_report_write_file(const char *path, int (*write)(void *arg, FILE *out, struct bf_err *err),
			 void *arg, struct bf_err *err)
{
	char *data = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&data, &n);
	int rc;
	if (!f)
		return bf_fail(err, BF_EOS, path, "open_memstream: %s", strerror(errno));
	rc = write(arg, f, err);
	if (fclose(f) && !rc)
		rc = bf_fail(err, BF_EOS, path, "open_memstream: %s", strerror(errno));
	if (!rc)
		rc = bf_write_file_atomic(path, data, n, 0666, err);
	free(data);
	return rc;
}
