#include <string.h>

#include "base/bf_exit.h"
#include "stages/bf_load.h"

int bf_target_open(const char *spec, const struct bf_target_opts *o, struct bf_target **out,
		   struct bf_err *err)
{
	static const struct bf_target_opts none = { 0 };
	*out = NULL;
	if (!o)
		o = &none;
	if (!spec || !*spec)
		return bf_fail(err, BF_EUSAGE, "--target", "required");
	if (!strncmp(spec, "sqlite:", 7))
		return bf_target_sqlite_open(spec + 7, out, err);
	if (!strncmp(spec, "postgresql://", 13) || !strncmp(spec, "postgres://", 11))
		return bf_target_pg_open(spec, o, out, err);
	if (!strncmp(spec, "dir:", 4)) {
		if (!spec[4])
			return bf_fail(err, BF_EUSAGE, "--target", "dir: needs a path (dir:PATH)");
		return bf_target_dir_open(spec + 4, out, err);
	}
	if (strstr(spec, "://"))
		return bf_fail(err, BF_EUSAGE, "--target", "unsupported target \"%.*s\" (PATH.db, sqlite:PATH, "
			       "postgresql://USER@HOST:PORT/DB or dir:PATH)", (int)(strchr(spec, ':') - spec), spec);
	return bf_target_sqlite_open(spec, out, err);
}
