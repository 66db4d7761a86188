#include "base/bf_progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "base/bf_log.h"
#include "base/bf_time.h"

void bf_progress_init(struct bf_progress *p, int want)
{
	p->mode = want < 0 ? 0 : isatty(2) ? 1 : want > 0 ? 2 : 0;
	p->last_ms = 0;
	p->dirty = 0;
}

void bf_progress_show(struct bf_progress *p, int force, const char *fmt, ...)
{
	if (!p->mode)
		return;
	int64_t now = bf_mono_ms();
	int64_t every = p->mode == 1 ? 200 : 5000;
	if (!force && p->last_ms && now - p->last_ms < every)
		return;
	p->last_ms = now;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (p->mode == 1) {
		fprintf(stderr, "\r%s: %s\033[K", bf_prog(), line);
		p->dirty = 1;
	} else {
		fprintf(stderr, "%s: %s\n", bf_prog(), line);
	}
	fflush(stderr);
}

void bf_progress_done(struct bf_progress *p)
{
	if (p->mode == 1 && p->dirty) {
		fputc('\n', stderr);
		p->dirty = 0;
	}
}
