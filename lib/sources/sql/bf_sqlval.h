/* The values of SQL sources in bf's text (the kinds of sources/sql/bf_sqlsrc.h), and the
 * bounds of a business day in an IANA time zone (glibc's zone files; the zone is switched
 * through TZ for the call and put back: not for threads that read the local time). */
#ifndef BF_SQLVAL_H
#define BF_SQLVAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/bf_buf.h"
#include "sources/sql/bf_sqlsrc.h"

/* The text of raw[0..n) as kind k: *out points into raw or into scratch (reset by the
 * call). Timestamps get a 'T' and an offset +HH:MM; booleans "true"/"false"; binary
 * base64; the rest as it is. */
void bf_sqlval_text(enum bf_sqlkind k, const char *raw, size_t n, struct bf_buf *scratch,
		    const char **out, size_t *outn);
/* Appends the base64 of p[0..n) (RFC 4648, padded). */
void bf_base64(struct bf_buf *b, const unsigned char *p, size_t n);

/* 1 when zone is UTC or a zone file exists for it (TZDIR, else /usr/share/zoneinfo). */
int bf_tz_known(const char *zone);
/* The first instant of date in zone as "YYYY-MM-DD HH:MM:SS+HH:MM" (out[40]): local
 * midnight, or the first local time after a daylight-saving gap that swallows it. */
void bf_tz_day_start(const char *zone, int32_t date, char out[40]);
/* The business date in zone of a timestamp text with an offset ("Z", "+HH", "+HH:MM",
 * "+HHMM"; space or 'T' between date and time); without an offset, its own date.
 * BF_DATE_NONE when it is not a timestamp. */
int32_t bf_tz_date_of(const char *zone, const char *ts, size_t n);

#endif
