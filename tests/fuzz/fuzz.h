/* What the fuzz targets share: CHECK() says which property failed, then aborts so that
 * libFuzzer keeps the input; memfd_of() puts bytes behind a file descriptor for the
 * readers that take one. Each target is one tests/fuzz/fuzz_<name>.c, built by `make`
 * when clang has libFuzzer and run by `make fuzz` (tests/fuzz/run.sh). */
#ifndef BF_FUZZ_H
#define BF_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, \
				__LINE__, #cond);                               \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

/* Prints "label:" and p[0..n) to stderr, bytes outside printable ASCII as \ooo. */
static inline void fuzz_show(const char *label, const void *p, size_t n)
{
	const unsigned char *s = p;
	fprintf(stderr, "%s (%zu bytes):\n", label, n);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			fputs("\\n\n", stderr);
		else if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\')
			fprintf(stderr, "\\%03o", s[i]);
		else
			fputc(s[i], stderr);
	}
	fputc('\n', stderr);
}

/* A descriptor to read data[0..size) from, positioned at its start; close it after. */
static inline int memfd_of(const void *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	CHECK(fd >= 0, "memfd_create");
	const char *p = data;
	while (size) {
		ssize_t n = write(fd, p, size);
		CHECK(n > 0, "write to memfd");
		p += n;
		size -= (size_t)n;
	}
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
	return fd;
}

#endif
