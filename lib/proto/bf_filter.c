#include "proto/bf_filter.h"

#include <string.h>

#include "base/bf_exit.h"

void bf_filter_write(struct bf_filter *f, const char *data, size_t len)
{
	bf_out_write(&f->out, data, len);
}

void bf_filter_write_spliced(struct bf_filter *f, const char *line, size_t len,
			     struct bf_json_span rs, const char *members, size_t mlen)
{
	size_t close = rs.start + rs.len - 1;  /* the record's '}' */
	int empty = 1;
	for (size_t i = rs.start + 1; i < close; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n') {
			empty = 0;
			break;
		}
	bf_out_write(&f->out, line, close);
	if (!empty && mlen)
		bf_out_write(&f->out, ",", 1);
	bf_out_write(&f->out, members, mlen);
	bf_out_write(&f->out, line + close, len - close);
	bf_out_write(&f->out, "\n", 1);
}

void bf_filter_write_json(struct bf_filter *f, const cJSON *msg)
{
	bf_out_json_line(&f->out, msg);
}

int bf_filter_flush(struct bf_filter *f, struct bf_err *err)
{
	return bf_out_flush(&f->out, err);
}

int bf_filter_run(const struct bf_filter_ops *ops, void *ctx, int in_fd, int out_fd,
		  size_t max_line, struct bf_err *err)
{
	struct bf_filter f;
	struct bf_lines in;
	struct bf_msg m;
	char *line;
	size_t len;
	int rc;

	f.where = "stdin";
	f.lineno = 0;
	bf_out_init(&f.out, out_fd, "stdout");
	bf_lines_init(&in, in_fd, f.where, max_line);
	while ((rc = bf_lines_next(&in, &line, &len, err)) == 1) {
		f.lineno = in.lineno;
		int (*cb)(void *, struct bf_filter *, struct bf_msg *, struct bf_err *) = NULL;
		if ((rc = bf_msg_parse(line, len, in.lineno, f.where, 0, &m, err)))
			break;
		switch (m.type) {
		case BF_MSG_SCHEMA: cb = ops->on_schema; break;
		case BF_MSG_RECORD: cb = ops->on_record; break;
		case BF_MSG_STATE: cb = ops->on_state; break;
		default: cb = ops->on_other; break;
		}
		rc = BF_FILTER_PASS;
		if (cb) {
			if (m.type != BF_MSG_OTHER && (m.type != BF_MSG_RECORD || ops->record_tree) &&
			    (rc = bf_msg_tree(&m, f.where, err))) {
				bf_msg_clear(&m);
				break;
			}
			rc = cb(ctx, &f, &m, err);
		}
		bf_msg_clear(&m);
		if (rc == BF_FILTER_PASS) {
			bf_out_write(&f.out, line, len);
			bf_out_write(&f.out, "\n", 1);
			rc = 0;
			/* a STATE closes a partition: hand it downstream now */
			if (m.type == BF_MSG_STATE && (rc = bf_out_flush(&f.out, err)))
				break;
		} else if (rc == BF_FILTER_TAKEN) {
			rc = 0;
		} else {
			break;
		}
		if (f.out.err)
			break;
	}
	if (rc == 0 && ops->on_end)
		rc = ops->on_end(ctx, &f, err);
	bf_lines_free(&in);
	{
		struct bf_err cerr = { 0 };
		int crc = bf_out_close(&f.out, &cerr);
		if (crc && !rc) {
			*err = cerr;
			rc = crc;
		}
	}
	return rc;
}
