/* Progress on stderr: one updating line on a terminal, a plain line every few seconds
 * when asked for off a terminal, nothing otherwise. */
#ifndef BF_PROGRESS_H
#define BF_PROGRESS_H

#include <stdint.h>

struct bf_progress {
	int mode;                  /* 0 off, 1 terminal line, 2 plain lines */
	int64_t last_ms;
	int dirty;
};

/* want: -1 never (--quiet), 0 only on a terminal, 1 always (--progress). */
void bf_progress_init(struct bf_progress *p, int want);
/* Shows the line if enough time passed since the last one (force: now). */
void bf_progress_show(struct bf_progress *p, int force, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Ends the terminal line. */
void bf_progress_done(struct bf_progress *p);

#endif
