/* The last stage's stdout: bf-load writes each partition's STATE there once it is committed
 * (Singer: state on stdout means committed), so bf-run counts partitions, rows and closures
 * as they commit, not only when a whole batch ends. Lines that are not a bf STATE (a shell
 * pipeline's own output) are read and left. What is counted here only feeds the progress
 * line: a date's outcome is read from the state file when its pipeline ends. */
#include "stages/run/bf_run_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_time.h"
#include "proto/bf_json.h"

static long long num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (long long)v->valuedouble : 0;
}

static void take_state(struct live *lv, const char *line, size_t len)
{
	if (len < 20 || !memmem(line, len, "\"STATE\"", 7))
		return;
	cJSON *m = cJSON_ParseWithLength(line, len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
	const cJSON *bf = cJSON_GetObjectItemCaseSensitive(v, "bf");
	const char *type = bf_json_str(m, "type");
	const char *status = bf_json_str(bf, "status");
	if (type && !strcmp(type, "STATE") && bf_json_str(bf, "date") && !(status && !strcmp(status, "failed"))) {
		const cJSON *cl = cJSON_GetObjectItemCaseSensitive(bf, "closure");
		const char *verdict = bf_json_str(cl, "verdict");
		const cJSON *ld = cJSON_GetObjectItemCaseSensitive(bf, "load");
		const char *folder = bf_json_str(bf, "folder");
		lv->parts++;
		lv->closed += verdict && !strcmp(verdict, "closed");
		lv->empty += (folder && strcmp(folder, "present")) || !num(bf, "total_rows");
		lv->rows += num(ld, "rows");
		lv->quarantined += num(bf, "quarantined") + num(ld, "quarantined");
	}
	cJSON_Delete(m);
}

void run_read_states(struct job *j)
{
	struct live *lv = &j->live;
	char buf[16384];
	while (lv->fd >= 0) {
		ssize_t r = read(lv->fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			close(lv->fd);
			lv->fd = -1;
			break;
		}
		bf_buf_add(&lv->part, buf, (size_t)r);
		size_t start = 0;
		char *nl;
		while ((nl = memchr(lv->part.p + start, '\n', lv->part.len - start))) {
			size_t k = (size_t)(nl - (lv->part.p + start));
			take_state(lv, lv->part.p + start, k);
			start += k + 1;
		}
		if (start) {
			memmove(lv->part.p, lv->part.p + start, lv->part.len - start);
			bf_buf_truncate(&lv->part, lv->part.len - start);
		}
		/* a line longer than any STATE: not ours */
		if (lv->part.len > (64u << 20))
			bf_buf_reset(&lv->part);
	}
}

void run_live_totals(const struct ctx *c, struct live *sum)
{
	memset(sum, 0, sizeof *sum);
	for (size_t i = 0; i < c->njobs; i++) {
		const struct live *lv = &c->jobs[i].live;
		sum->parts += lv->parts;
		sum->closed += lv->closed;
		sum->empty += lv->empty;
		sum->rows += lv->rows;
		sum->quarantined += lv->quarantined;
	}
}

double run_eta(const struct ctx *c, double *share, long long *done, long long *rows, long long *closed)
{
	struct live lv;
	run_live_totals(c, &lv);
	long long planned = c->parts_todo;
	*done = c->parts_done + c->parts_elsewhere + lv.parts;
	if (*done > planned)
		*done = planned;
	*rows = c->rows + lv.rows;
	*closed = c->parts_closed + lv.closed;
	*share = planned ? (double)*done / (double)planned : 1.0;
	if (*done >= planned)
		return 0;
	if (!*done)
		return -1;
	double secs = (double)(bf_mono_ms() - c->t0) / 1000.0;
	return secs / (double)*done * (double)(planned - *done);
}
