/* bf-serve's bearer token: read once from a file only its owner may read, kept as its
 * SHA-256; a request's token is hashed and compared in constant time, so neither the
 * token's bytes nor its length show in the time an answer takes. */
#include "serve/bf_serve_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bf_exit.h"

#define TOKEN_MAX 4096

int serve_token_load(struct serve *sv, const char *path, struct bf_err *err)
{
	char buf[TOKEN_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return bf_fail(err, errno == ENOENT ? BF_ENOINPUT : BF_ENOPERM, path, "cannot open the token file: %s",
			       strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return bf_fail(err, BF_ENOPERM, path, "the token file is not a regular file");
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return bf_fail(err, BF_ENOPERM, path,
			       "the token file may be read by group or others (mode %03o): chmod 600 it",
			       (unsigned)(st.st_mode & 0777));
	}
	while (len < TOKEN_MAX && (n = read(fd, buf + len, TOKEN_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return bf_fail(err, BF_EIO, path, "cannot read the token file: %s", strerror(errno));
		}
		len += (size_t)n;
	}
	close(fd);
	/* the first line, without trailing blanks */
	buf[len] = '\0';
	len = strcspn(buf, "\r\n");
	while (len && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (!len) {
		OPENSSL_cleanse(buf, sizeof buf);
		return bf_fail(err, BF_ENOPERM, path, "the token file is empty");
	}
	SHA256((const unsigned char *)buf, len, sv->token_sha);
	OPENSSL_cleanse(buf, sizeof buf);
	return 0;
}

int serve_token_ok(const struct serve *sv, const char *authorization)
{
	unsigned char sha[32];
	if (!authorization || strncasecmp(authorization, "Bearer ", 7))
		return 0;
	const char *t = authorization + 7;
	while (*t == ' ')
		t++;
	SHA256((const unsigned char *)t, strlen(t), sha);
	return CRYPTO_memcmp(sha, sv->token_sha, sizeof sha) == 0;
}
