/* GET /api/backfill/runs/{id}: the JSON log of bf-run run id, as bf-run --log wrote it.
 * The log is found in the log folder (where the runs this server starts write theirs):
 * the bf-run-*.json file with the run's id, started within a minute of the run's row (bf-run
 * takes its start time before it finds its dates, and writes its row after). */
#include "serve/bf_serve_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "proto/bf_json.h"
#include "state/bf_state.h"

#define LOG_MAX (16 * 1024 * 1024)

/* The whole file at dir/name (at most LOG_MAX bytes), or NULL. */
static char *slurp(int dfd, const char *name, size_t *len)
{
	struct stat st;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *buf = NULL;
	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size <= LOG_MAX) {
		size_t n = 0, want = (size_t)st.st_size;
		buf = bf_xmalloc(want + 1);
		while (n < want) {
			ssize_t k = read(fd, buf + n, want - n);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			n += (size_t)k;
		}
		buf[n] = '\0';
		*len = n;
	}
	close(fd);
	return buf;
}

/* Unix seconds of an RFC 3339 UTC time, -1 when unreadable. */
static long long unix_time(const char *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!t || !strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -1;
	return (long long)timegm(&tm);
}

/* The log of run id started at started, or NULL. */
static char *find_log(const char *dir, long long id, const char *started, size_t *len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;
	if (!d)
		return NULL;
	while (!found && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "bf-run-", 7) || n < 12 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		size_t blen = 0;
		char *buf = slurp(dirfd(d), e->d_name, &blen);
		cJSON *log = buf ? cJSON_ParseWithLength(buf, blen) : NULL;
		long long t = unix_time(bf_json_str(log, "started_at")), want = unix_time(started);
		if (log && (long long)bf_json_num(log, "run_id") == id && t >= 0 && want >= 0 && llabs(t - want) <= 60) {
			found = buf;
			*len = blen;
			buf = NULL;
		}
		cJSON_Delete(log);
		free(buf);
	}
	closedir(d);
	return found;
}

void serve_api_runlog(struct serve_req *q, struct serve_reply *r)
{
	struct serve *sv = q->sv;
	struct bf_err err = { 0 };
	char *end, started[32] = "", *buf;
	int finished = 0, rc;
	size_t len;
	long long id = strtoll(q->arg, &end, 10);
	if (*end || id <= 0 || q->arg[0] == '+' || q->arg[0] == ' ') {
		serve_reply_error(r, 404, "no such run: %s", q->arg);
		return;
	}
	sqlite3 *db = serve_state_db(sv, &err);
	if (!db) {
		if (err.code == BF_ENOINPUT)
			serve_reply_error(r, 404, "no such run: %lld", id);
		else
			serve_reply_err(r, &err);
		return;
	}
	sqlite3_stmt *s;
	if ((rc = sqlite3_prepare_v2(db, "SELECT started_at, finished_at IS NOT NULL FROM runs WHERE run_id = ?"
					 " AND stage = 'run'", -1, &s, NULL)) != SQLITE_OK) {
		bf_sqlite_fail(db, rc, "runs", &err);
		serve_db_drop(sv);
		serve_reply_err(r, &err);
		return;
	}
	sqlite3_bind_int64(s, 1, id);
	int found = bf_sqlite_step(s) == SQLITE_ROW;
	if (found) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		snprintf(started, sizeof started, "%s", t ? t : "");
		finished = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	if (!found) {
		serve_reply_error(r, 404, "no such run: %lld", id);
		return;
	}
	if (!(buf = find_log(sv->log_dir, id, started, &len))) {
		if (finished)
			serve_reply_error(r, 404, "run %lld has no log in the log folder", id);
		else
			serve_reply_error(r, 404, "run %lld has not finished: bf-run writes its log at the end", id);
		return;
	}
	serve_reply_take(r, 200, "application/json", buf, len);
}
