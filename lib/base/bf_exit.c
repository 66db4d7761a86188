#include "base/bf_exit.h"

const char *bf_exit_name(int code)
{
	switch (code) {
	case BF_OK: return "ok";
	case BF_PARTIAL: return "partial";
	case BF_EUSAGE: return "usage";
	case BF_EDATA: return "dataerr";
	case BF_ENOINPUT: return "noinput";
	case BF_EUNAVAIL: return "unavailable";
	case BF_ESOFTWARE: return "software";
	case BF_EOS: return "oserr";
	case BF_EIO: return "ioerr";
	case BF_ETEMP: return "tempfail";
	case BF_ENOPERM: return "noperm";
	case BF_ECONFIG: return "config";
	default: return code > 128 ? "signal" : "unknown";
	}
}

int bf_exit_retryable(int code)
{
	return code == BF_EUNAVAIL || code == BF_ETEMP;
}
