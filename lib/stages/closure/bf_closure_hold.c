#include "stages/closure/bf_closure_hold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_exit.h"

static int hold_spill(struct bf_closure_hold *h, struct bf_err *err)
{
	if (!h->spill) {
		const char *dir = getenv("TMPDIR");
		struct bf_buf path = BF_BUF_INIT;
		bf_buf_adds(&path, dir && *dir ? dir : "/tmp");
		bf_buf_adds(&path, "/bf-closure.XXXXXX");
		int fd = mkstemp(path.p);
		if (fd < 0) {
			int e = errno;
			int rc = bf_fail(err, BF_EOS, path.p, "cannot create a spill file: %s", strerror(e));
			bf_buf_free(&path);
			return rc;
		}
		unlink(path.p);
		bf_buf_free(&path);
		h->spill = fdopen(fd, "w+b");
		if (!h->spill) {
			close(fd);
			return bf_fail(err, BF_EOS, "spill file", "%s", strerror(errno));
		}
	}
	if (h->len && fwrite(h->mem, 1, h->len, h->spill) != h->len)
		return bf_fail(err, BF_EIO, "spill file", "write failed: %s", strerror(errno));
	h->spilled_bytes += (long long)h->len;
	h->total_spilled += (long long)h->len;
	h->spills++;
	h->len = 0;
	return 0;
}

int bf_closure_hold_add(struct bf_closure_hold *h, const struct bf_closure_held *hd,
			const char *line, struct bf_err *err)
{
	size_t need = sizeof *hd + hd->len;
	int rc;
	if (h->len + need > h->max && (rc = hold_spill(h, err)))
		return rc;
	if (need > h->max) {
		/* a single message larger than the whole budget goes straight to the file */
		if (fwrite(hd, sizeof *hd, 1, h->spill) != 1 ||
		    fwrite(line, 1, hd->len, h->spill) != hd->len)
			return bf_fail(err, BF_EIO, "spill file", "write failed: %s", strerror(errno));
		h->spilled_bytes += (long long)need;
		h->total_spilled += (long long)need;
		return 0;
	}
	if (h->len + need > h->cap) {
		size_t cap = h->cap ? h->cap : 1 << 16;
		while (cap < h->len + need)
			cap *= 2;
		if (cap > h->max)
			cap = h->max;
		h->mem = bf_xrealloc(h->mem, cap);
		h->cap = cap;
	}
	memcpy(h->mem + h->len, hd, sizeof *hd);
	memcpy(h->mem + h->len + sizeof *hd, line, hd->len);
	h->len += need;
	return 0;
}

void bf_closure_hold_free(struct bf_closure_hold *h)
{
	free(h->mem);
	bf_buf_free(&h->tmp);
	if (h->spill)
		fclose(h->spill);
	memset(h, 0, sizeof *h);
}

/* Writes one held message, with members spliced into a RECORD when given. */
static void replay_one(struct bf_filter *f, const struct bf_closure_held *hd, const char *line,
		       const struct bf_buf *members)
{
	if (hd->type == BF_MSG_RECORD && members) {
		struct bf_json_span rs = { (size_t)hd->rs_start, (size_t)hd->rs_len };
		bf_filter_write_spliced(f, line, (size_t)hd->len, rs, members->p, members->len);
		return;
	}
	bf_filter_write(f, line, (size_t)hd->len);
	bf_filter_write(f, "\n", 1);
}

int bf_closure_hold_replay(struct bf_closure_hold *h, struct bf_filter *f,
			   const struct bf_buf *members, struct bf_err *err)
{
	int rc = 0;
	if (h->spill) {
		if (fflush(h->spill) || fseek(h->spill, 0, SEEK_SET))
			return bf_fail(err, BF_EIO, "spill file", "%s", strerror(errno));
		struct bf_closure_held hd;
		while (fread(&hd, sizeof hd, 1, h->spill) == 1) {
			bf_buf_reset(&h->tmp);
			bf_buf_grow(&h->tmp, (size_t)hd.len);
			if (fread(h->tmp.p, 1, (size_t)hd.len, h->spill) != hd.len) {
				rc = bf_fail(err, BF_EIO, "spill file", "short read");
				break;
			}
			h->tmp.len = (size_t)hd.len;
			h->tmp.p[h->tmp.len] = '\0';
			replay_one(f, &hd, h->tmp.p, members);
			if (f->out.err)
				break;
		}
		if (!rc && ferror(h->spill))
			rc = bf_fail(err, BF_EIO, "spill file", "read failed");
		/* start over: an empty file for the next partition */
		if (!rc && (fflush(h->spill) || ftruncate(fileno(h->spill), 0) ||
			    fseek(h->spill, 0, SEEK_SET)))
			rc = bf_fail(err, BF_EIO, "spill file", "%s", strerror(errno));
		if (h->tmp.cap > (1u << 20)) {
			bf_buf_free(&h->tmp);
		}
	}
	for (size_t off = 0; !rc && off < h->len;) {
		struct bf_closure_held hd;
		memcpy(&hd, h->mem + off, sizeof hd);
		replay_one(f, &hd, h->mem + off + sizeof hd, members);
		off += sizeof hd + (size_t)hd.len;
	}
	h->len = 0;
	h->spills = 0;
	h->spilled_bytes = 0;
	return rc;
}
