#include "base/bf_sql.h"

void bf_sql_ident(struct bf_buf *b, const char *name)
{
	bf_buf_addc(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			bf_buf_addc(b, '"');
		bf_buf_addc(b, *p);
	}
	bf_buf_addc(b, '"');
}

void bf_sql_index_ident(struct bf_buf *b, const char *table, const char *suffix)
{
	struct bf_buf ix = BF_BUF_INIT;
	bf_buf_adds(&ix, table);
	bf_buf_adds(&ix, "__");
	bf_buf_adds(&ix, suffix);
	bf_sql_ident(b, ix.p);
	bf_buf_free(&ix);
}
