/* bf-run's options: their defaults, and the string vectors that hold the repeatable ones. */
#include "stages/run/bf_run.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"

void bf_strv_push(struct bf_strv *s, char *str)
{
	s->v = bf_xrealloc(s->v, (s->n + 2) * sizeof *s->v);
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void bf_strv_free(struct bf_strv *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void bf_run_opts_init(struct bf_run_opts *o)
{
	memset(o, 0, sizeof *o);
	bf_datesel_init(&o->dates);
	o->max_workers = 2;
	o->batch_size = 0;
	o->retries = 3;
	o->retry_base_ms = 500;
	o->grace = -1;
	o->lease = 60;
	o->batch_seconds = 30;
	o->breaker_failures = 3;
	o->breaker_cooldown = 30;
	o->breaker_probes = 3;
	o->alert_burst_window = 60;
}
