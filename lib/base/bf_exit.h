/* The one exit-code table of every bf tool (sysexits.h values). Only mains exit;
 * lib functions return these codes. */
#ifndef BF_EXIT_H
#define BF_EXIT_H

enum bf_exit {
	BF_OK = 0,           /* everything done */
	BF_PARTIAL = 1,      /* finished, but some dates or rows failed (reported) */
	BF_EUSAGE = 64,      /* bad command line */
	BF_EDATA = 65,       /* bad input data (protocol, CSV with --strict) */
	BF_ENOINPUT = 66,    /* input missing */
	BF_EUNAVAIL = 69,    /* remote unavailable; retryable */
	BF_ESOFTWARE = 70,   /* internal bug */
	BF_EOS = 71,         /* OS error (fork, memory, ...) */
	BF_EIO = 74,         /* I/O error, including a failed close of stdout */
	BF_ETEMP = 75,       /* temporary failure (locked state file, timeout); retry */
	BF_ENOPERM = 77,     /* authentication or permission refused */
	BF_ECONFIG = 78,     /* configuration error, state file newer than this binary */
};

/* Short name of a code ("usage", "dataerr", ...) for logs and reports. */
const char *bf_exit_name(int code);
/* Whether a code means "try again later". */
int bf_exit_retryable(int code);

#endif
