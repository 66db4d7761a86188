/* bf-run's alerts: a failure rate, a burst of failures, a drop in throughput (of the
 * partitions with data: bf_run_jobs.c leaves closed and empty ones out), the circuit
 * breaker opening. Each is printed, recorded in the state file and the JSON log, and fed
 * to --alert-command. */
#include "stages/run/bf_run_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "base/bf_buf.h"
#include "base/bf_time.h"

void run_alert(struct ctx *c, const char *kind, double value, double threshold, const char *fmt, ...)
{
	char msg[512], now[21];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bf_now_rfc3339(now);
	bf_progress_done(&c->prog);
	fprintf(stderr, "%s: alert: %s\n", bf_prog(), msg);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(c->db, "INSERT INTO alerts (run_id, kind, value, threshold, message, at)"
			       " VALUES (?,?,?,?,?,?)", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, c->st->run_id);
		sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_double(s, 3, value);
		sqlite3_bind_double(s, 4, threshold);
		sqlite3_bind_text(s, 5, msg, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, now, -1, SQLITE_STATIC);
		bf_sqlite_step(s);
		sqlite3_finalize(s);
	}
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "type", "ALERT");
	cJSON_AddStringToObject(a, "kind", kind);
	cJSON_AddNumberToObject(a, "value", value);
	cJSON_AddNumberToObject(a, "threshold", threshold);
	cJSON_AddStringToObject(a, "message", msg);
	cJSON_AddNumberToObject(a, "run_id", (double)c->st->run_id);
	cJSON_AddStringToObject(a, "source", c->canon);
	cJSON_AddStringToObject(a, "at", now);
	if (c->o->alert_cmd.n) {
		char *js = cJSON_PrintUnformatted(a);
		struct bf_buf b = BF_BUF_INIT;
		bf_buf_adds(&b, js);
		bf_buf_addc(&b, '\n');
		pid_t pid;
		struct bf_err err = { 0 };
		if (bf_child_feed(c->o->alert_cmd.v, b.p, b.len, &pid, &err))
			bf_err_print(&err);
		else if (c->nalert_pids < sizeof c->alert_pids / sizeof c->alert_pids[0])
			c->alert_pids[c->nalert_pids++] = pid;
		else
			waitpid(pid, NULL, 0);
		free(js);
		bf_buf_free(&b);
	}
	cJSON_AddItemToArray(c->alerts, a);
}

void run_reap_alerts(struct ctx *c, int block)
{
	for (size_t i = 0; i < c->nalert_pids;) {
		int st;
		pid_t r = waitpid(c->alert_pids[i], &st, block ? 0 : WNOHANG);
		if (r == 0) {
			i++;
			continue;
		}
		if (r > 0 && (!WIFEXITED(st) || WEXITSTATUS(st)))
			bf_warn("--alert-command", "failed (status %d)", st);
		c->alert_pids[i] = c->alert_pids[--c->nalert_pids];
	}
}

void run_check_alerts(struct ctx *c, struct item *t, int failed, double batch_rate)
{
	const struct bf_run_opts *o = c->o;
	int64_t now = bf_mono_ms();
	if (o->alert_failure_rate > 0 && !c->alerted_rate && c->processed >= 3) {
		double rate = 100.0 * (double)c->failed / (double)c->processed;
		if (rate >= o->alert_failure_rate) {
			c->alerted_rate = 1;
			run_alert(c, "failure_rate", rate, o->alert_failure_rate,
			      "failure rate %.0f%% (%zu of %zu dates) reached the threshold of %.0f%%",
			      rate, c->failed, c->processed, o->alert_failure_rate);
		}
	}
	if (failed && o->alert_burst > 0) {
		c->fail_times = bf_xrealloc(c->fail_times, (c->nfail_times + 1) * sizeof *c->fail_times);
		c->fail_times[c->nfail_times++] = now;
		size_t in = 0;
		for (size_t i = 0; i < c->nfail_times; i++)
			if (now - c->fail_times[i] <= (int64_t)(o->alert_burst_window * 1000))
				in++;
		if ((int)in >= o->alert_burst &&
		    (!c->last_burst_alert || now - c->last_burst_alert > (int64_t)(o->alert_burst_window * 1000))) {
			c->last_burst_alert = now;
			run_alert(c, "error_burst", (double)in, o->alert_burst,
			      "%zu failures within %.0f s (last: %s: %s)", in, o->alert_burst_window, t->iso,
			      t->error ? t->error : "?");
		}
	}
	if (!failed && batch_rate >= 0 && o->alert_throughput_drop > 0) {
		if (c->nrates >= 3) {
			double sum = 0;
			for (size_t i = 0; i < c->nrates; i++)
				sum += c->rates[i];
			double mean = sum / (double)c->nrates;
			double drop = mean > 0 ? 100.0 * (mean - batch_rate) / mean : 0;
			if (drop >= o->alert_throughput_drop &&
			    (!c->last_drop_alert || now - c->last_drop_alert > 60000)) {
				c->last_drop_alert = now;
				run_alert(c, "throughput_drop", drop, o->alert_throughput_drop,
				      "throughput dropped %.0f%% (%.0f rows/s against %.0f on average) at %s",
				      drop, batch_rate, mean, t->iso);
			}
		}
		c->rates = bf_xrealloc(c->rates, (c->nrates + 1) * sizeof *c->rates);
		c->rates[c->nrates++] = batch_rate;
	}
}
