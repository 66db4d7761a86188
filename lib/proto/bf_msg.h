/* The message protocol on the pipe: newline-delimited JSON, Singer shapes
 * (SCHEMA, RECORD, STATE; other types pass through). docs/DESIGN.md section 2.
 *
 * bf_lines reads lines from a file descriptor with a hard length limit; the line it
 * returns is owned by the reader and valid until the next call. bf_msg_parse checks a
 * line strictly and, when asked, builds a cJSON tree that bf_msg_clear frees. bf_out
 * buffers output to a descriptor and reports every write or close failure as 74. */
#ifndef BF_MSG_H
#define BF_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "proto/bf_jsoncheck.h"
#include "base/bf_log.h"

#define BF_MAX_LINE_DEFAULT (64u << 20)   /* 64 MiB; --max-line-bytes to change */

struct bf_lines {
	int fd;
	const char *name;          /* "stdin" or a path, for messages */
	char *buf;
	size_t cap, start, end, scan;
	size_t max_line;
	long lineno;               /* number of the line last returned */
	int eof;
	/* when set: called before a read that would wait for input (0 to go on, or a code) */
	int (*before_wait)(void *ctx, struct bf_err *err);
	void *wait_ctx;
};

void bf_lines_init(struct bf_lines *r, int fd, const char *name, size_t max_line);
void bf_lines_free(struct bf_lines *r);
/* 1 and *line, *len (no '\n'; line[len] is '\0'), 0 at end of input, or an exit code:
 * BF_EDATA for an over-long line or a last line without '\n', BF_EIO for a read error.
 * Empty lines are skipped. */
int bf_lines_next(struct bf_lines *r, char **line, size_t *len, struct bf_err *err);

enum bf_msg_type { BF_MSG_OTHER = 0, BF_MSG_SCHEMA, BF_MSG_RECORD, BF_MSG_STATE };

struct bf_msg {
	enum bf_msg_type type;
	char type_name[32];        /* as written, for OTHER */
	char *line;                /* the raw line (borrowed), line[len] == '\0' */
	size_t len;
	long lineno;
	struct bf_json_span stream_span, record_span, value_span;
	/* Only with a tree (want_tree): */
	cJSON *root;
	const char *stream;        /* SCHEMA, RECORD */
	cJSON *record;             /* RECORD: the record object */
	cJSON *schema;             /* SCHEMA */
	cJSON *key_properties;     /* SCHEMA, may be NULL */
	cJSON *value;              /* STATE */
};

/* Checks one line (strict JSON, an object with a string "type", and the members its
 * type requires) and fills m. With want_tree the cJSON tree is built too.
 * where names the input for errors ("stdin"). Returns 0 or BF_EDATA. */
int bf_msg_parse(char *line, size_t len, long lineno, const char *where, int want_tree,
		 struct bf_msg *m, struct bf_err *err);
/* Builds the tree of an already checked message (when it was parsed without one). */
int bf_msg_tree(struct bf_msg *m, const char *where, struct bf_err *err);
void bf_msg_clear(struct bf_msg *m);

/* The "bf" object of a STATE value (value.bf), or NULL for a foreign STATE. */
cJSON *bf_msg_state_bf(const struct bf_msg *m);
/* The stream of a SCHEMA or RECORD, with or without a tree: the text of its "stream"
 * after escapes ("order\u005fdetails" is order_details), cut at a NUL as m->stream is,
 * in buf (reset first). Returns buf's text ("" when there is none). */
const char *bf_msg_stream_name(const struct bf_msg *m, struct bf_buf *buf);

/* Buffered output to a descriptor. Errors are sticky; bf_out_close reports them. */
struct bf_out_writer;
struct bf_out {
	int fd;
	const char *name;
	char *buf;
	size_t len, cap;
	int err;                   /* errno of the first failure, 0 if none */
	struct bf_out_writer *w;   /* NULL, or the thread of bf_out_async */
};
void bf_out_init(struct bf_out *o, int fd, const char *name);
/* From now on a thread writes each full buffer while the caller fills the other one
 * (stays synchronous if the thread cannot start). o->err then shows a failed write
 * only after bf_out_wait, bf_out_flush or bf_out_close. */
void bf_out_async(struct bf_out *o);
/* Waits until the writes handed to the thread are done; o->err is then up to date. */
void bf_out_wait(struct bf_out *o);
void bf_out_write(struct bf_out *o, const void *data, size_t len);
/* Room for n bytes at the end of the buffer (drained or grown as needed); write there,
 * then bf_out_commit() what was used. */
char *bf_out_reserve(struct bf_out *o, size_t n);
static inline void bf_out_commit(struct bf_out *o, size_t used) { o->len += used; }
static inline void bf_out_buf(struct bf_out *o, const struct bf_buf *b) { bf_out_write(o, b->p, b->len); }
/* Writes what is buffered; returns 0 or BF_EIO. */
int bf_out_flush(struct bf_out *o, struct bf_err *err);
/* Flushes, closes the descriptor and frees; returns 0 or BF_EIO (a full disk is not success). */
int bf_out_close(struct bf_out *o, struct bf_err *err);
/* Writes a cJSON value as one compact line. */
void bf_out_json_line(struct bf_out *o, const cJSON *v);

/* Builders for the protocol messages (the caller owns the returned tree). */
cJSON *bf_msg_new_schema(const char *stream, cJSON *schema, cJSON *key_properties);
/* Adds the lineage members every extracted record carries (_bf_date, _bf_location,
 * _bf_source, _bf_line: docs/DESIGN.md) to a SCHEMA's properties. */
void bf_msg_schema_lineage(cJSON *properties);
cJSON *bf_msg_new_state(cJSON *value);

#endif
