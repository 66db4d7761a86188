/* Opening the PostgreSQL target: connected the one bf way (pg/bf_pgconnect.h: no password
 * in the URL, TLS verified for a server not on this machine), then bf-load's own tables. */
#include <libpq-fe.h>

#include "pg/bf_pgconnect.h"
#include "targets/bf_target_pg_int.h"

int bf_target_pg_open(const char *url, const struct bf_target_opts *o, struct bf_target **out,
		      struct bf_err *err)
{
	*out = NULL;
	PGconn *c = NULL;
	int rc = bf_pg_connect(url, "--target", &c, err);
	if (rc)
		return rc;
	struct pgt *t = bf_xcalloc(1, sizeof *t);
	bf_buf_init(&t->sql);
	bf_buf_init(&t->copy);
	bf_buf_init(&t->tmp);
	t->base.ops = &pgt_ops;
	t->base.display = bf_xstrdup(url);
	t->schema = bf_xstrdup(o && o->pg_schema ? o->pg_schema : "public");
	t->rebuild_keys = o && o->rebuild_keys;
	t->read_only = o && o->read_only;
	bf_pgconn_init(&t->k, c, t->base.display);
	if ((rc = pgt_run(t, "SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET client_min_messages = warning",
			  0, NULL, err)) ||
	    (rc = t->read_only ? pgt_run(t, "SET default_transaction_read_only = on", 0, NULL, err)
			       : pgt_setup(t, err))) {
		pgt_close(&t->base);
		return rc;
	}
	*out = &t->base;
	return 0;
}
