/* Report files written whole or not at all: through PATH.tmp.PID, fsync and a rename. */
#include "stages/report/bf_report_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

int bf_report_write_file(const char *path, int (*write)(void *arg, FILE *out, struct bf_err *err),
			 void *arg, struct bf_err *err)
{
	struct bf_buf tmp = BF_BUF_INIT;
	int rc;
	bf_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp.p, "w");
	if (!f) {
		rc = bf_fail(err, errno == EACCES || errno == EPERM ? BF_ENOPERM : BF_EIO, path, "cannot create %s: %s",
			     tmp.p, strerror(errno));
		bf_buf_free(&tmp);
		return rc;
	}
	rc = write(arg, f, err);
	if (!rc && fsync(fileno(f)))
		rc = bf_fail(err, BF_EIO, path, "fsync: %s", strerror(errno));
	if (fclose(f) && !rc)
		rc = bf_fail(err, BF_EIO, path, "write failed: %s", strerror(errno));
	if (!rc && rename(tmp.p, path))
		rc = bf_fail(err, BF_EIO, path, "rename: %s", strerror(errno));
	if (rc)
		unlink(tmp.p);
	bf_buf_free(&tmp);
	return rc;
}
