/* bf-serve's bridge to bf-report's core: a report of the server's source opened on the
 * state file (read-only), and one of its writers' output captured in memory. */
#include "serve/bf_serve_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/bf_exit.h"

char *serve_report_capture(struct serve *sv, serve_report_writer *write, size_t *len, struct bf_err *err)
{
	struct bf_report_opts o = { 0 };
	struct bf_report *rep = NULL;
	char *buf = NULL;
	size_t n = 0;
	int rc;
	o.state_path = sv->o->state_path;
	o.state_paths = sv->o->state_paths;
	o.nstates = sv->o->nstates;
	o.source = sv->canon;
	if ((rc = bf_report_open(&o, &rep, err)))
		return NULL;
	FILE *f = open_memstream(&buf, &n);
	if (!f) {
		bf_report_close(rep);
		bf_fail(err, BF_EOS, NULL, "open_memstream failed");
		return NULL;
	}
	rc = write(rep, f, err);
	if (fclose(f) && !rc)
		rc = bf_fail(err, BF_EOS, NULL, "out of memory");
	bf_report_close(rep);
	if (rc) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}
