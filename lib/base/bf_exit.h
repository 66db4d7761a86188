/* The one exit-code table of every bf tool (sysexits.h values). Only mains exit;
 * lib functions return these codes. The comment of each code is its meaning as users
 * read it: --help (base/bf_cli.c), README.md, docs/DESIGN.md section 4 and every man
 * page's EXIT STATUS repeat it, and tests/cli/t0002-exit-codes-doc.sh holds them to it. */
#ifndef BF_EXIT_H
#define BF_EXIT_H

enum bf_exit {
	BF_OK = 0,           /* ok */
	BF_PARTIAL = 1,      /* finished, but some dates or rows failed (reported) */
	BF_EUSAGE = 64,      /* usage error */
	BF_EDATA = 65,       /* bad input data */
	BF_ENOINPUT = 66,    /* input missing */
	BF_EUNAVAIL = 69,    /* remote unavailable (retryable) */
	BF_ESOFTWARE = 70,   /* internal error */
	BF_EOS = 71,         /* operating-system error */
	BF_EIO = 74,         /* I/O error, including a failed write or close of stdout */
	BF_ETEMP = 75,       /* temporary failure, retry (state file locked, timeout) */
	BF_ENOPERM = 77,     /* authentication or permission refused */
	BF_ECONFIG = 78,     /* configuration error, including a state file newer than this bf */
};

/* Short name of a code ("usage", "dataerr", ...) for logs and reports. */
const char *bf_exit_name(int code);
/* Whether a code means "try again later". */
int bf_exit_retryable(int code);

#endif
