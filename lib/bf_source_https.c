/* https source: not built yet (see the remote-sources issue). */
#include "bf_source.h"

#include "bf_exit.h"

int bf_source_https_open(const char *url, struct bf_source *s, struct bf_err *err)
{
	(void)s;
	return bf_fail(err, BF_EUSAGE, url, "https sources are not supported by this build yet");
}
