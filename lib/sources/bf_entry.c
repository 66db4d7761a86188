#include "sources/bf_entry.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int bf_name_safe(const char *name)
{
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

void bf_entries_free(struct bf_entry *ents, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ents[i].name);
		free(ents[i].refused);
	}
	free(ents);
}

const char *bf_entry_kind(unsigned long mode)
{
	mode_t m = (mode_t)mode;
	return S_ISREG(m) ? "a regular file" : S_ISDIR(m) ? "a folder" : S_ISLNK(m) ? "a link"
	     : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) || S_ISBLK(m) ? "a device"
	     : "an unknown kind of file";
}
