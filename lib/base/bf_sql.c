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
