/* A name in a source's folder listing, and the check that a name from a source (always
 * untrusted) is acceptable as one path component. A listing owns its names and refusal
 * texts; bf_entries_free frees it. */
#ifndef BF_ENTRY_H
#define BF_ENTRY_H

#include <stddef.h>
#include <stdint.h>

enum bf_entry_type { BF_ENT_FILE, BF_ENT_DIR, BF_ENT_OTHER };

struct bf_entry {
	char *name;
	enum bf_entry_type type;
	long long size;            /* -1 unknown */
	int64_t mtime;             /* Unix seconds, -1 unknown */
	char *refused;             /* NULL, or why it cannot or may not be read ("a link that
				    * leads outside the source", "a FIFO, ...", an unsafe name) */
};

void bf_entries_free(struct bf_entry *ents, size_t n);
/* Whether a name from a source is acceptable as one path component: not empty, "." or
 * "..", and without '/', '\\' or a control character. */
int bf_name_safe(const char *name);
/* What a file of mode st_mode (POSIX file-type bits, as SFTP sends them too) is: "a FIFO",
 * "a socket", "a device", "a folder", "a link", "a regular file". */
const char *bf_entry_kind(unsigned long mode);

#endif
