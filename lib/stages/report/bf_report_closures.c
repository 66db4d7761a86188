/* bf-report closures: the closure analysis (stages/closure), on the report's read-only
 * connection. */
#include "stages/report/bf_report_int.h"

#include <string.h>

#include "base/bf_exit.h"
#include "stages/closure/bf_closure_report.h"
#include "state/bf_state.h"

int bf_report_closures(struct bf_report *r, int json, FILE *out, struct bf_err *err)
{
	struct bf_state st;
	memset(&st, 0, sizeof st);
	st.db = DB(r);
	st.path = r->path;
	if (!bf_sqlite_has_table(DB(r), "closures"))
		return bf_fail(err, BF_EDATA, r->path, "no closures table");
	return bf_closure_report(&st, r->source, json, out, err);
}
