/* Streaming CSV reading through libcsv, with gzip (zlib) decompression detected from the
 * bytes. Memory is bounded by the longest row, not the file. Blank lines are skipped,
 * a UTF-8 BOM is dropped, quoted fields may hold line ends; an empty cell is null.
 *
 * Lines: a physical line ends at an LF, a CRLF or a lone CR, in any mix (as libcsv and
 * Python's csv read them), inside quotes too. A row starts on a line and may span several
 * (quoted line ends); its line number is the line it starts on, so no two rows of a file
 * share one, and its raw bytes are its own lines only.
 *
 * Bad rows are not errors: bf_csv_next returns them with row->bad set to the reason and
 * row->raw holding their bytes, so the caller can quarantine them and go on. Reasons:
 * wrong field count, invalid UTF-8, malformed quoting, a truncated last line, a row over
 * the size limit. The row and its fields are valid until the next call. */
#ifndef BF_CSV_H
#define BF_CSV_H

#include <stddef.h>

#include "base/bf_log.h"

/* Reads up to len raw bytes: >0 bytes read, 0 at end of file, or -(exit code) on error
 * with err filled. */
typedef long (*bf_read_fn)(void *ctx, void *buf, size_t len, struct bf_err *err);

/* Bits of bf_csv_row.flags, per field. */
#define BF_CSV_ESC 1               /* holds '"', '\\' or a control byte (JSON escapes it) */
#define BF_CSV_HIGH 2              /* holds bytes >= 0x80 */
/* Field bytes may be read (not used) up to this many bytes past their end. */
#define BF_CSV_PAD 32

struct bf_csv_opts {
	char delimiter;            /* default ',' */
	size_t max_row;            /* bytes; default 16 MiB */
	int libcsv_only;           /* every line through libcsv, no fast path (tests compare) */
};

struct bf_csv_row {
	size_t n;                  /* number of fields */
	const char *const *f;      /* f[i] NULL for an empty cell */
	const size_t *len;
	const unsigned char *flags; /* BF_CSV_ESC | BF_CSV_HIGH; both when not known */
	long line;                 /* physical line where the row starts (1-based) */
	const char *raw;           /* the row's bytes as read (after decompression) */
	size_t rawlen;
	const char *bad;           /* NULL, or why the row is bad */
};

struct bf_csv;

/* name is used in messages ("185129/20240404/OrderDetails.csv"). */
struct bf_csv *bf_csv_open(bf_read_fn read, void *ctx, const char *name,
			   const struct bf_csv_opts *opts);
void bf_csv_close(struct bf_csv *c);
/* Reads the header row: 1, or 0 for a file with no rows at all, or an exit code
 * (BF_EDATA when the header itself is unusable). */
int bf_csv_header(struct bf_csv *c, struct bf_csv_row *row, struct bf_err *err);
/* Next data row: 1 (good or bad, see row->bad), 0 at end of file, or an exit code. */
int bf_csv_next(struct bf_csv *c, struct bf_csv_row *row, struct bf_err *err);
/* Whether the decompressed input was gzip. */
int bf_csv_was_gzip(const struct bf_csv *c);

#endif
