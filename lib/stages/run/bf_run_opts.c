/* bf-run's options: their defaults, and freeing what they own. */
#include "stages/run/bf_run.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "sources/bf_source_cli.h"

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

void bf_run_opts_free(struct bf_run_opts *o)
{
	bf_datesel_free(&o->dates);
	bf_source_opts_free(&o->src);
	bf_strv_free(&o->locations);
	bf_strv_free(&o->extract_args);
	bf_strv_free(&o->enrich_args);
	bf_strv_free(&o->closure_args);
	bf_strv_free(&o->load_args);
	bf_strv_free(&o->alert_cmd);
}
