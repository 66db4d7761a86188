#include "targets/bf_target_views.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_sql.h"

const char *bf_target_view_name(const char *table, int view, struct bf_buf *buf)
{
	bf_buf_reset(buf);
	bf_buf_adds(buf, table);
	bf_buf_adds(buf, view == BF_VIEW_OPEN ? "_open" : "_daily");
	return buf->p;
}

void bf_target_views_sql(struct bf_buf *q, const char *schema, const char *table,
			 int (*has_col)(void *ctx, const char *col), void *ctx, const char *amount,
			 int pg, int which)
{
	struct bf_buf vopen = BF_BUF_INIT, vdaily = BF_BUF_INIT;
	bf_target_view_name(table, BF_VIEW_OPEN, &vopen);
	bf_target_view_name(table, BF_VIEW_DAILY, &vdaily);
	int closure = has_col(ctx, "closure_indicator"), reason = has_col(ctx, "closure_reason");
#define QN(n) do { if (schema) { bf_sql_ident(q, schema); bf_buf_addc(q, '.'); } bf_sql_ident(q, n); } while (0)
	if (which & BF_VIEW_OPEN) {
		bf_buf_adds(q, "DROP VIEW IF EXISTS ");
		QN(vopen.p);
		bf_buf_adds(q, ";\nCREATE VIEW ");
		QN(vopen.p);
		bf_buf_adds(q, " AS SELECT * FROM ");
		QN(table);
		if (closure)
			bf_buf_adds(q, pg ? " WHERE (\"closure_indicator\")::boolean IS NOT TRUE"
					  : " WHERE \"closure_indicator\" IS NOT TRUE");
	}
	if (!(which & BF_VIEW_DAILY))
		goto out;
	bf_buf_adds(q, which & BF_VIEW_OPEN ? ";\nDROP VIEW IF EXISTS " : "DROP VIEW IF EXISTS ");
	QN(vdaily.p);
	bf_buf_adds(q, ";\nCREATE VIEW ");
	QN(vdaily.p);
	/* closure markers carry _bf_line 0: they are not rows of the day */
	bf_buf_adds(q, " AS SELECT \"_bf_date\" AS \"date\", \"_bf_location\" AS \"location\","
		       " count(CASE WHEN \"_bf_line\" > 0 THEN 1 END) AS \"rows\"");
	if (amount && has_col(ctx, amount)) {
		/* SQLite sums decimal text as floating point: round away the binary noise */
		bf_buf_adds(q, pg ? ", sum((" : ", round(sum(");
		bf_sql_ident(q, amount);
		bf_buf_adds(q, pg ? ")::numeric) AS " : "), 6) AS ");
		bf_sql_ident(q, amount);
	}
	if (closure)
		bf_buf_adds(q, pg ? ", coalesce(bool_or((\"closure_indicator\")::boolean), false) AS \"closed\""
				  : ", coalesce(max(\"closure_indicator\"), 0) AS \"closed\"");
	else
		bf_buf_adds(q, pg ? ", CAST(NULL AS boolean) AS \"closed\"" : ", NULL AS \"closed\"");
	if (reason)
		bf_buf_adds(q, pg ? ", max((\"closure_reason\")::text) AS \"closure_reason\""
				  : ", max(\"closure_reason\") AS \"closure_reason\"");
	else
		bf_buf_adds(q, pg ? ", CAST(NULL AS text) AS \"closure_reason\"" : ", NULL AS \"closure_reason\"");
	bf_buf_adds(q, " FROM ");
	QN(table);
	bf_buf_adds(q, " WHERE \"_bf_date\" IS NOT NULL GROUP BY \"_bf_date\", \"_bf_location\"");
out:
#undef QN
	bf_buf_free(&vopen);
	bf_buf_free(&vdaily);
}
