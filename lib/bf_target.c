#include <string.h>

#include "bf_exit.h"
#include "bf_load.h"

int bf_target_open(const char *spec, struct bf_target **out, struct bf_err *err)
{
	*out = NULL;
	if (!spec || !*spec)
		return bf_fail(err, BF_EUSAGE, "--target", "required");
	if (!strncmp(spec, "sqlite:", 7))
		return bf_target_sqlite_open(spec + 7, out, err);
	if (strstr(spec, "://") || !strncmp(spec, "dir:", 4))
		return bf_fail(err, BF_EUSAGE, spec, "unsupported target (PATH.db or sqlite:PATH)");
	return bf_target_sqlite_open(spec, out, err);
}
