#include "bf_exit.h"
#include "bf_load.h"
int bf_target_pg_open(const char *url, const struct bf_target_opts *o, struct bf_target **out,
		      struct bf_err *err)
{
	(void)o; (void)out;
	return bf_fail(err, BF_EUSAGE, url, "not yet");
}
