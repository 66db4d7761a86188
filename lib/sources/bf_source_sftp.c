/* sftp:// source through libssh2. One SSH session per source, reused across dates and
 * files; host keys checked against known_hosts; transient faults (refused, reset,
 * timeout, session refused) retried with backoff and jitter, reconnecting and resuming
 * a cut file from the byte reached. Every folder and file is resolved by the server
 * (realpath) and checked to be inside the root and of the right kind before it is listed
 * or opened, by that resolved path: links that lead outside the root are refused. */
#include "sources/bf_source_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_file.h"
#include "base/bf_retry.h"
#include "sources/bf_sftp_arena.h"

#define READ_BUF (1024 * 1024)   /* one libssh2_sftp_read; libssh2 reads ahead 4x this */
#define MIN_ASK (32 * 1024)
#define TRANSIENT (-1)           /* internal: a network fault worth a reconnect */

struct sftp_src {
	struct bf_source *s;
	struct bf_sftp_arena *arena; /* the current session's allocations */
	char *user, *host, *path;  /* path as the server resolves it (relative = home) */
	int port;
	char *root;                /* server's realpath of path */
	int fd;
	LIBSSH2_SESSION *sess;
	LIBSSH2_SFTP *sftp;
	unsigned gen;              /* bumped by every new connection */
	struct bf_retry retry;
	char last[BF_ERR_MAX];     /* the last transient fault, for the final message */
};

struct sftp_file {
	struct sftp_src *c;
	char *rel, *full;
	LIBSSH2_SFTP_HANDLE *h;
	unsigned gen;
	uint64_t off;              /* bytes handed to the caller */
	long long size;            /* from the listing, -1 unknown */
	char *buf;
	size_t blen, bpos;
	int eof;
};

static int libssh2_ready;

/* ---- small helpers ---------------------------------------------------------------- */

static void sess_msg(struct sftp_src *c, char *out, size_t n)
{
	char *m = NULL;
	int len = 0;
	if (c->sess)
		libssh2_session_last_error(c->sess, &m, &len, 0);
	snprintf(out, n, "%.*s", m ? len : 0, m ? m : "");
}

static int is_transient_errno(int e)
{
	switch (e) {
	case LIBSSH2_ERROR_SOCKET_NONE: case LIBSSH2_ERROR_BANNER_RECV: case LIBSSH2_ERROR_BANNER_SEND:
	case LIBSSH2_ERROR_KEX_FAILURE: case LIBSSH2_ERROR_SOCKET_SEND: case LIBSSH2_ERROR_TIMEOUT:
	case LIBSSH2_ERROR_SOCKET_DISCONNECT: case LIBSSH2_ERROR_CHANNEL_FAILURE:
	case LIBSSH2_ERROR_CHANNEL_CLOSED: case LIBSSH2_ERROR_CHANNEL_EOF_SENT:
	case LIBSSH2_ERROR_SOCKET_TIMEOUT: case LIBSSH2_ERROR_SOCKET_RECV:
	case LIBSSH2_ERROR_CHANNEL_UNKNOWN: case LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED:
	case LIBSSH2_ERROR_DECRYPT: case LIBSSH2_ERROR_EAGAIN:
		return 1;
	}
	return 0;
}

/* After a failed libssh2/sftp call: TRANSIENT (with c->last set) or an exit code in err. */
static int classify(struct sftp_src *c, const char *where, const char *what, struct bf_err *err)
{
	char m[256];
	int e = c->sess ? libssh2_session_last_errno(c->sess) : LIBSSH2_ERROR_SOCKET_NONE;
	sess_msg(c, m, sizeof m);
	if (e == LIBSSH2_ERROR_SFTP_PROTOCOL && c->sftp) {
		unsigned long fx = libssh2_sftp_last_error(c->sftp);
		if (fx == LIBSSH2_FX_CONNECTION_LOST || fx == LIBSSH2_FX_NO_CONNECTION) {
			snprintf(c->last, sizeof c->last, "%s: %s: connection lost", where, what);
			return TRANSIENT;
		}
		if (fx == LIBSSH2_FX_PERMISSION_DENIED)
			return bf_fail(err, BF_ENOPERM, where, "%s: permission denied", what);
		if (fx == LIBSSH2_FX_NO_SUCH_FILE || fx == LIBSSH2_FX_NO_SUCH_PATH)
			return bf_fail(err, BF_ENOINPUT, where, "%s: no such file", what);
		return bf_fail(err, BF_EIO, where, "%s: sftp error %lu", what, fx);
	}
	if (is_transient_errno(e)) {
		snprintf(c->last, sizeof c->last, "%s: %s: %s", where, what, m[0] ? m : "connection failed");
		return TRANSIENT;
	}
	return bf_fail(err, BF_EIO, where, "%s: %s (libssh2 error %d)", what, m, e);
}

static void disconnect(struct sftp_src *c, int polite)
{
	if (c->sftp)
		libssh2_sftp_shutdown(c->sftp);
	c->sftp = NULL;
	if (c->sess) {
		if (polite)
			libssh2_session_disconnect(c->sess, "bf done");
		libssh2_session_free(c->sess);
	}
	c->sess = NULL;
	bf_sftp_arena_drop(c->arena);
	c->arena = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* ---- connecting -------------------------------------------------------------------- */

static int tcp_connect(struct sftp_src *c, struct bf_err *err)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char port[16];
	int timeout_ms = (int)(c->s->opts.timeout * 1000);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	snprintf(port, sizeof port, "%d", c->port);
	int g = getaddrinfo(c->host, port, &hints, &res);
	if (g) {
		if (g == EAI_AGAIN) {
			snprintf(c->last, sizeof c->last, "%s: cannot resolve: %s", c->host, gai_strerror(g));
			return TRANSIENT;
		}
		return bf_fail(err, BF_EUNAVAIL, c->host, "cannot resolve: %s", gai_strerror(g));
	}
	int e = ECONNREFUSED;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		int r = connect(fd, a->ai_addr, a->ai_addrlen);
		if (r != 0 && errno == EINPROGRESS) {
			struct pollfd p = { fd, POLLOUT, 0 };
			int pr;
			while ((pr = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
				;
			socklen_t sl = sizeof e;
			if (pr == 0) {
				e = ETIMEDOUT;
			} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0) {
				e = errno;
			}
			r = e ? -1 : 0;
		} else if (r != 0) {
			e = errno;
		}
		if (r == 0) {
			int fl = fcntl(fd, F_GETFL);
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			freeaddrinfo(res);
			c->fd = fd;
			return 0;
		}
		close(fd);
	}
	freeaddrinfo(res);
	snprintf(c->last, sizeof c->last, "%s:%d: connect: %s", c->host, c->port, strerror(e));
	return TRANSIENT;
}

static const char *key_name(int type, int *kbit)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA: *kbit = LIBSSH2_KNOWNHOST_KEY_SSHRSA; return "ssh-rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS: *kbit = LIBSSH2_KNOWNHOST_KEY_SSHDSS; return "ssh-dss";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: *kbit = LIBSSH2_KNOWNHOST_KEY_ECDSA_256; return "ecdsa-sha2-nistp256";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: *kbit = LIBSSH2_KNOWNHOST_KEY_ECDSA_384; return "ecdsa-sha2-nistp384";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: *kbit = LIBSSH2_KNOWNHOST_KEY_ECDSA_521; return "ecdsa-sha2-nistp521";
#ifdef LIBSSH2_HOSTKEY_TYPE_ED25519
	case LIBSSH2_HOSTKEY_TYPE_ED25519: *kbit = LIBSSH2_KNOWNHOST_KEY_ED25519; return "ssh-ed25519";
#endif
	}
	*kbit = LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	return "unknown";
}

/* The known_hosts file in use: --known-hosts, else ~/.ssh/known_hosts. */
static void known_hosts_path(struct sftp_src *c, struct bf_buf *out, int *is_default)
{
	*is_default = !c->s->opts.known_hosts;
	if (c->s->opts.known_hosts) {
		bf_buf_adds(out, c->s->opts.known_hosts);
		return;
	}
	const char *home = getenv("HOME");
	bf_buf_adds(out, home && *home ? home : ".");
	bf_buf_adds(out, "/.ssh/known_hosts");
}

/* Reads known_hosts line by line, skipping lines libssh2 cannot parse (other key types,
 * markers) instead of giving up at the first one. */
static int load_known_hosts(LIBSSH2_KNOWNHOSTS *kh, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0)
		libssh2_knownhost_readline(kh, line, (size_t)n, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	free(line);
	fclose(f);
	return 0;
}

static int append_known_host(LIBSSH2_KNOWNHOSTS *kh, struct libssh2_knownhost *ent, const char *path,
			     int is_default, struct bf_err *err)
{
	char line[8192];
	size_t len = 0;
	if (libssh2_knownhost_writeline(kh, ent, line, sizeof line, &len, LIBSSH2_KNOWNHOST_FILE_OPENSSH))
		return bf_fail(err, BF_ESOFTWARE, path, "cannot format the host key line");
	if (is_default) {
		struct bf_buf dir = BF_BUF_INIT;
		const char *slash = strrchr(path, '/');
		bf_buf_add(&dir, path, slash ? (size_t)(slash - path) : 0);
		if (dir.len)
			mkdir(dir.p, 0700);
		bf_buf_free(&dir);
	}
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return bf_fail(err, BF_ENOPERM, path, "cannot add the host key: %s", strerror(errno));
	off_t end = lseek(fd, 0, SEEK_END);
	char last = '\n';
	if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n')
		(void)!write(fd, "\n", 1);
	int ok = bf_write_all(fd, line, len) == 0;
	if (close(fd) != 0)
		ok = 0;
	if (!ok)
		return bf_fail(err, BF_EIO, path, "cannot add the host key: %s", strerror(errno));
	return 0;
}

static int check_host_key(struct sftp_src *c, struct bf_err *err)
{
	size_t klen = 0;
	int ktype = 0, kbit;
	const char *key = libssh2_session_hostkey(c->sess, &klen, &ktype);
	const unsigned char *sha = (const unsigned char *)libssh2_hostkey_hash(c->sess, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (!key || !sha) {
		snprintf(c->last, sizeof c->last, "%s: no host key offered", c->host);
		return TRANSIENT;
	}
	const char *kname = key_name(ktype, &kbit);
	unsigned char b64[64];
	int bl = EVP_EncodeBlock(b64, sha, 32);
	while (bl > 0 && b64[bl - 1] == '=')
		b64[--bl] = '\0';
	char hostport[300];
	if (c->port == 22)
		snprintf(hostport, sizeof hostport, "%s", c->host);
	else
		snprintf(hostport, sizeof hostport, "[%s]:%d", c->host, c->port);

	struct bf_buf path = BF_BUF_INIT;
	int is_default, rc = 0;
	known_hosts_path(c, &path, &is_default);
	LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(c->sess);
	if (!kh) {
		bf_buf_free(&path);
		return bf_fail(err, BF_EOS, c->host, "out of memory");
	}
	if (load_known_hosts(kh, path.p) != 0) {
		rc = bf_fail(err, BF_ENOPERM, path.p, "cannot read known hosts: %s", strerror(errno));
		goto out;
	}
	struct libssh2_knownhost *found = NULL;
	int r = libssh2_knownhost_checkp(kh, c->host, c->port == 22 ? -1 : c->port, key, klen,
					 LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kbit, &found);
	if (r == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		goto out;
	if (r == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		rc = bf_fail(err, BF_ENOPERM, hostport,
			     "HOST KEY CHANGED: the server offered %s SHA256:%s, which is not the key recorded in %s "
			     "(someone may be intercepting the connection); refused", kname, (char *)b64, path.p);
		goto out;
	}
	if (r != LIBSSH2_KNOWNHOST_CHECK_NOTFOUND) {
		rc = bf_fail(err, BF_ENOPERM, hostport, "cannot check the host key against %s", path.p);
		goto out;
	}
	if (!c->s->opts.accept_new_host_key) {
		rc = bf_fail(err, BF_ENOPERM, hostport,
			     "unknown host key %s SHA256:%s (not in %s); check the fingerprint with the server's "
			     "owner, then add it (ssh-keyscan) or run once with --accept-new-host-key",
			     kname, (char *)b64, path.p);
		goto out;
	}
	struct libssh2_knownhost *ent = NULL;
	if (libssh2_knownhost_addc(kh, hostport, NULL, key, klen, NULL, 0,
				   LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kbit, &ent)) {
		rc = bf_fail(err, BF_ESOFTWARE, hostport, "cannot record the host key");
		goto out;
	}
	if ((rc = append_known_host(kh, ent, path.p, is_default, err)))
		goto out;
	bf_warn(hostport, "added the new host key %s SHA256:%s to %s (--accept-new-host-key)", kname,
		(char *)b64, path.p);
out:
	libssh2_knownhost_free(kh);
	bf_buf_free(&path);
	return rc;
}

static char *read_password_file(const char *path, struct bf_err *err)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		bf_fail(err, errno == EACCES ? BF_ENOPERM : BF_ENOINPUT, path, "password file: %s", strerror(errno));
		return NULL;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	fclose(f);
	if (n < 0) {
		free(line);
		bf_fail(err, BF_ECONFIG, path, "password file is empty");
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* 0, TRANSIENT, or BF_ENOPERM with err filled. */
static int authenticate(struct sftp_src *c, struct bf_err *err)
{
	const struct bf_source_opts *o = &c->s->opts;
	unsigned ulen = (unsigned)strlen(c->user);
	struct bf_buf tried = BF_BUF_INIT;
	char *methods = libssh2_userauth_list(c->sess, c->user, ulen);
	if (!methods) {
		if (libssh2_userauth_authenticated(c->sess))
			return 0;
		return classify(c, c->host, "authentication", err);
	}
	int pubkey = strstr(methods, "publickey") != NULL;
	int password = strstr(methods, "password") != NULL;
	int rc = -2;

	if (pubkey && getenv("SSH_AUTH_SOCK") && *getenv("SSH_AUTH_SOCK")) {
		LIBSSH2_AGENT *ag = libssh2_agent_init(c->sess);
		bf_buf_adds(&tried, "ssh-agent");
		if (ag && libssh2_agent_connect(ag) == 0 && libssh2_agent_list_identities(ag) == 0) {
			struct libssh2_agent_publickey *id = NULL, *prev = NULL;
			while (libssh2_agent_get_identity(ag, &id, prev) == 0) {
				if (libssh2_agent_userauth(ag, c->user, id) == 0) {
					rc = 0;
					break;
				}
				if (is_transient_errno(libssh2_session_last_errno(c->sess)) &&
				    libssh2_session_last_errno(c->sess) != LIBSSH2_ERROR_EAGAIN) {
					rc = TRANSIENT;
					break;
				}
				prev = id;
			}
			libssh2_agent_disconnect(ag);
		}
		if (ag)
			libssh2_agent_free(ag);
	}
	if (rc == -2 && o->identity) {
		if (tried.len)
			bf_buf_adds(&tried, ", ");
		bf_buf_addf(&tried, "key %s", o->identity);
		if (access(o->identity, R_OK) != 0) {
			rc = bf_fail(err, BF_ENOPERM, o->identity, "identity: %s", strerror(errno));
		} else if (!pubkey) {
			bf_buf_adds(&tried, " (server does not take keys)");
		} else if (libssh2_userauth_publickey_fromfile_ex(c->sess, c->user, ulen, NULL, o->identity,
								     getenv("BF_SFTP_PASSPHRASE")) == 0) {
			rc = 0;
		} else {
			int e = libssh2_session_last_errno(c->sess);
			if (e == LIBSSH2_ERROR_FILE)
				bf_buf_adds(&tried, " (cannot load it: wrong passphrase in BF_SFTP_PASSPHRASE?)");
			else if (is_transient_errno(e))
				rc = TRANSIENT;
		}
	}
	if (rc == -2) {
		char *pw = NULL;
		if (o->password_file) {
			if (!(pw = read_password_file(o->password_file, err)))
				rc = err->code;
		} else if (getenv("BF_SFTP_PASSWORD")) {
			pw = bf_xstrdup(getenv("BF_SFTP_PASSWORD"));
		}
		if (pw) {
			if (tried.len)
				bf_buf_adds(&tried, ", ");
			bf_buf_adds(&tried, "password");
			if (!password) {
				bf_buf_adds(&tried, " (server does not take passwords)");
			} else if (libssh2_userauth_password_ex(c->sess, c->user, ulen, pw, (unsigned)strlen(pw), NULL) == 0) {
				rc = 0;
			} else if (is_transient_errno(libssh2_session_last_errno(c->sess))) {
				rc = TRANSIENT;
			}
			explicit_bzero(pw, strlen(pw));
			free(pw);
		}
	}
	if (rc == TRANSIENT)
		classify(c, c->host, "authentication", err);
	else if (rc == -2)
		rc = bf_fail(err, BF_ENOPERM, c->s->canon, "authentication refused for %s (tried: %s; the server offers: %s)",
			     c->user, tried.len ? tried.p : "nothing: no ssh-agent, --identity, --password-file or BF_SFTP_PASSWORD",
			     methods);
	bf_buf_free(&tried);
	return rc;
}

/* One connection attempt: 0, TRANSIENT (c->last set), or a lasting failure in err. */
static int connect_once(struct sftp_src *c, struct bf_err *err)
{
	int rc;
	if ((rc = tcp_connect(c, err)))
		return rc;
	c->arena = bf_sftp_arena_new();
	c->sess = libssh2_session_init_ex(bf_sftp_arena_alloc, bf_sftp_arena_free, bf_sftp_arena_realloc,
					  c->arena);
	if (!c->sess)
		return bf_fail(err, BF_EOS, c->host, "out of memory");
	libssh2_session_set_blocking(c->sess, 1);
	libssh2_session_set_timeout(c->sess, (long)(c->s->opts.timeout * 1000));
	if (libssh2_session_handshake(c->sess, c->fd)) {
		rc = classify(c, c->host, "SSH handshake", err);
		return rc == BF_EIO ? TRANSIENT : rc;
	}
	if ((rc = check_host_key(c, err)) || (rc = authenticate(c, err)))
		return rc;
	c->sftp = libssh2_sftp_init(c->sess);
	if (!c->sftp) {
		rc = classify(c, c->host, "sftp session", err);
		if (rc != TRANSIENT) { /* a refused subsystem is the server's passing trouble */
			snprintf(c->last, sizeof c->last, "%s", err->msg);
			rc = TRANSIENT;
		}
		return rc;
	}
	if (!c->root) {
		char real[4096];
		int n = libssh2_sftp_realpath(c->sftp, c->path, real, sizeof real - 1);
		if (n < 0) {
			rc = classify(c, c->s->canon, "source folder", err);
			return rc;
		}
		real[n] = '\0';
		c->root = bf_xstrdup(real);
	}
	c->gen++;
	return 0;
}

/* Connected, or reconnects with backoff: 0, or the code that ends the attempt. */
static int ensure(struct sftp_src *c, int *attempt, struct bf_err *err)
{
	while (!c->sftp) {
		int rc = connect_once(c, err);
		if (rc == 0)
			return 0;
		disconnect(c, 0);
		if (rc != TRANSIENT)
			return rc;
		if (*attempt >= c->s->opts.retries)
			return bf_fail(err, BF_EUNAVAIL, c->s->canon, "server unavailable after %d retries: %s",
				       c->s->opts.retries, c->last);
		int64_t d = bf_retry_delay_ms(&c->retry, *attempt, -1);
		bf_warn(c->s->canon, "%s; retry %d of %d in %.1f s", c->last, *attempt + 1, c->s->opts.retries,
			(double)d / 1000);
		bf_sleep_ms(d);
		(*attempt)++;
	}
	return 0;
}

/* After an operation failed with TRANSIENT: drop the session and wait, or give up. */
static int lost(struct sftp_src *c, int *attempt, struct bf_err *err)
{
	disconnect(c, 0);
	if (*attempt >= c->s->opts.retries)
		return bf_fail(err, BF_EUNAVAIL, c->s->canon, "server unavailable after %d retries: %s",
			       c->s->opts.retries, c->last);
	int64_t d = bf_retry_delay_ms(&c->retry, *attempt, -1);
	bf_warn(c->s->canon, "%s; reconnecting (retry %d of %d) in %.1f s", c->last, *attempt + 1,
		c->s->opts.retries, (double)d / 1000);
	bf_sleep_ms(d);
	(*attempt)++;
	return 0;
}

static void full_path(struct sftp_src *c, const char *rel, struct bf_buf *out)
{
	bf_buf_reset(out);
	bf_buf_adds(out, c->root);
	if (rel && *rel) {
		if (out->len == 0 || out->p[out->len - 1] != '/')
			bf_buf_addc(out, '/');
		bf_buf_adds(out, rel);
	}
}

static int inside(const char *root, const char *path)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

enum want { ANY, FOLDER, REGULAR };
#define MISSING (-2)             /* resolve: nothing there */
#define REFUSED (-3)             /* resolve: refused, why says why */

/* Where path leads on the server, checked before anything there is listed or opened:
 * the server's realpath (every link on the way resolved), inside the root, of the kind
 * wanted. Returns 0 with real and *a filled; MISSING; REFUSED with why filled (a link
 * leading outside or nowhere, the wrong kind); TRANSIENT; or an exit code in err. What
 * the caller opens next is real, not path. */
static int resolve(struct sftp_src *c, const char *path, const char *where, enum want want, char *real,
		   size_t cap, LIBSSH2_SFTP_ATTRIBUTES *a, char *why, size_t whylen, struct bf_err *err)
{
	int n = libssh2_sftp_realpath(c->sftp, path, real, (unsigned)cap - 1);
	if (n < 0) {
		int e = libssh2_session_last_errno(c->sess);
		unsigned long fx = e == LIBSSH2_ERROR_SFTP_PROTOCOL ? libssh2_sftp_last_error(c->sftp) : 0;
		if (fx != LIBSSH2_FX_NO_SUCH_FILE && fx != LIBSSH2_FX_NO_SUCH_PATH)
			return classify(c, where, "realpath", err);
		/* nothing there, or a link to nothing */
		if (libssh2_sftp_lstat(c->sftp, path, a) != 0) {
			int rc = classify(c, where, "lstat", err);
			return rc == BF_ENOINPUT ? MISSING : rc;
		}
		snprintf(why, whylen, "a link that leads nowhere");
		return REFUSED;
	}
	real[n] = '\0';
	if (!inside(c->root, real)) {
		snprintf(why, whylen, "a link that leads outside the source");
		return REFUSED;
	}
	if (libssh2_sftp_stat(c->sftp, real, a) != 0) {
		int rc = classify(c, where, "stat", err);
		return rc == BF_ENOINPUT ? MISSING : rc;
	}
	unsigned long m = a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS ? a->permissions : 0;
	if (want == FOLDER && !LIBSSH2_SFTP_S_ISDIR(m)) {
		if (LIBSSH2_SFTP_S_ISREG(m))
			return MISSING;  /* a file where a folder should be: no folder */
		snprintf(why, whylen, "%s, not a folder", bf_entry_kind(m));
		return REFUSED;
	}
	if (want == REGULAR && !LIBSSH2_SFTP_S_ISREG(m)) {
		snprintf(why, whylen, "%s, not a regular file", bf_entry_kind(m));
		return REFUSED;
	}
	return 0;
}

/* A permission refused on one entry, once the session stands, is that entry's. */
static int entry_code(int rc, struct bf_err *err)
{
	if (rc == BF_ENOPERM)
		err->code = rc = BF_SOURCE_UNREADABLE;
	return rc;
}

/* ---- operations ------------------------------------------------------------------- */

static enum bf_entry_type type_of(const LIBSSH2_SFTP_ATTRIBUTES *a)
{
	if (!(a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS))
		return BF_ENT_OTHER;
	return LIBSSH2_SFTP_S_ISREG(a->permissions) ? BF_ENT_FILE
	       : LIBSSH2_SFTP_S_ISDIR(a->permissions) ? BF_ENT_DIR : BF_ENT_OTHER;
}

static int list_once(struct sftp_src *c, const char *dir, struct bf_entry **ents, size_t *n, int *missing,
		     struct bf_err *err)
{
	struct bf_buf path = BF_BUF_INIT, child = BF_BUF_INIT;
	const char *where = dir[0] ? dir : c->s->canon;
	char real[4096], why[96];
	LIBSSH2_SFTP_ATTRIBUTES da;
	size_t cap = 0;
	int rc;
	full_path(c, dir, &path);
	rc = resolve(c, path.p, where, FOLDER, real, sizeof real, &da, why, sizeof why, err);
	if (rc == MISSING) {
		*missing = 1;
		rc = 0;
		goto out;
	}
	if (rc == REFUSED)
		rc = bf_fail(err, BF_SOURCE_UNREADABLE, where, "refused: %s", why);
	if (rc)
		goto out;
	LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_opendir(c->sftp, real);
	if (!h) {
		rc = entry_code(classify(c, where, "cannot list", err), err);
		if (rc == BF_ENOINPUT) {
			*missing = 1;
			rc = 0;
		}
		goto out;
	}
	char name[4096], longentry[512];
	for (;;) {
		LIBSSH2_SFTP_ATTRIBUTES a;
		int r = libssh2_sftp_readdir_ex(h, name, sizeof name, longentry, sizeof longentry, &a);
		if (r == 0)
			break;
		if (r < 0) {
			rc = entry_code(classify(c, where, "cannot list", err), err);
			break;
		}
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		struct bf_entry e = { NULL, type_of(&a), -1, -1, NULL };
		int perms = (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) != 0;
		if ((!perms || LIBSSH2_SFTP_S_ISLNK(a.permissions)) && bf_name_safe(name)) {
			/* where the link leads, asked of the server (never read from there) */
			char target[4096];
			full_path(c, dir, &child);
			bf_buf_addc(&child, '/');
			bf_buf_adds(&child, name);
			struct bf_err lerr = { 0 };
			int in = resolve(c, child.p, where, ANY, target, sizeof target, &a, why, sizeof why, &lerr);
			if (in == TRANSIENT) {
				rc = in;
				break;
			}
			if (in == MISSING)
				e.refused = bf_xstrdup("a link that leads nowhere");
			else if (in == REFUSED)
				e.refused = bf_xstrdup(why);
			else if (in)
				e.refused = bf_xstrdup(lerr.msg);  /* it cannot be looked at */
			else
				e.type = type_of(&a);
		}
		if (e.type == BF_ENT_OTHER && !e.refused && bf_name_safe(name)) {
			struct bf_buf w = BF_BUF_INIT;
			bf_buf_addf(&w, "%s, neither a regular file nor a folder",
				    bf_entry_kind(a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS ? a.permissions : 0));
			e.refused = bf_buf_detach(&w);
		}
		if (!e.refused) {
			if (a.flags & LIBSSH2_SFTP_ATTR_SIZE)
				e.size = (long long)a.filesize;
			if (a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME)
				e.mtime = (int64_t)a.mtime;
		}
		e.name = bf_xstrdup(name);
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*ents = bf_xrealloc(*ents, cap * sizeof **ents);
		}
		(*ents)[(*n)++] = e;
	}
	if (rc != TRANSIENT)
		libssh2_sftp_closedir(h);
out:
	bf_buf_free(&path);
	bf_buf_free(&child);
	return rc;
}

static int sftp_list(struct bf_source *s, const char *dir, struct bf_entry **ents, size_t *n, int *missing,
		     struct bf_err *err)
{
	struct sftp_src *c = s->impl;
	int attempt = 0, rc;
	for (;;) {
		if ((rc = ensure(c, &attempt, err)))
			return rc;
		rc = list_once(c, dir, ents, n, missing, err);
		if (rc != TRANSIENT) {
			if (rc) {
				bf_entries_free(*ents, *n);
				*ents = NULL;
				*n = 0;
			}
			return rc;
		}
		bf_entries_free(*ents, *n);
		*ents = NULL;
		*n = 0;
		if ((rc = lost(c, &attempt, err)))
			return rc;
	}
}

/* Opens f->full on the current session (by the real path the server resolved it to, once
 * checked) and seeks to f->off: 0, TRANSIENT or a code. */
static int open_once(struct sftp_file *f, struct bf_err *err)
{
	struct sftp_src *c = f->c;
	char real[4096], why[96];
	LIBSSH2_SFTP_ATTRIBUTES a;
	int rc = resolve(c, f->full, f->rel, REGULAR, real, sizeof real, &a, why, sizeof why, err);
	if (rc == MISSING)
		return bf_fail(err, BF_ENOINPUT, f->rel, "cannot open: no such file");
	if (rc == REFUSED)
		return bf_fail(err, BF_SOURCE_UNREADABLE, f->rel, "refused: %s", why);
	if (rc)
		return rc;
	f->h = libssh2_sftp_open_ex(c->sftp, real, (unsigned)strlen(real), LIBSSH2_FXF_READ, 0,
				    LIBSSH2_SFTP_OPENFILE);
	if (!f->h)
		return entry_code(classify(c, f->rel, "cannot open", err), err);
	if (f->off)
		libssh2_sftp_seek64(f->h, f->off);
	f->gen = c->gen;
	f->blen = f->bpos = 0;
	return 0;
}

static int sftp_open(struct bf_source *s, const char *rel, const struct bf_entry *e, void **fh,
		     struct bf_err *err)
{
	struct sftp_src *c = s->impl;
	struct sftp_file *f = bf_xcalloc(1, sizeof *f);
	struct bf_buf path = BF_BUF_INIT;
	int attempt = 0, rc;
	f->c = c;
	f->size = e ? e->size : -1;
	f->rel = bf_xstrdup(rel);
	for (;;) {
		if ((rc = ensure(c, &attempt, err)))
			break;
		full_path(c, rel, &path);
		free(f->full);
		f->full = bf_xstrdup(path.p);
		rc = open_once(f, err);
		if (rc != TRANSIENT)
			break;
		if ((rc = lost(c, &attempt, err)))
			break;
	}
	bf_buf_free(&path);
	if (rc) {
		free(f->rel);
		free(f->full);
		free(f);
		return rc;
	}
	f->buf = bf_xmalloc(READ_BUF);
	*fh = f;
	return 0;
}

static long sftp_read(void *fh, void *out, size_t len, struct bf_err *err)
{
	struct sftp_file *f = fh;
	struct sftp_src *c = f->c;
	int attempt = 0, rc;
	while (f->bpos == f->blen && !f->eof) {
		if (!c->sftp || f->gen != c->gen) {
			f->h = NULL; /* went with the old session */
			if ((rc = ensure(c, &attempt, err)))
				return -rc;
			rc = open_once(f, err);
			if (rc == 0) {
				bf_note(f->rel, "resumed at byte %llu", (unsigned long long)f->off);
				continue;
			}
			if (rc != TRANSIENT)
				return -rc;
			if ((rc = lost(c, &attempt, err)))
				return -rc;
			continue;
		}
		/* libssh2 keeps 4x the buffer asked for in flight: size the ask so that the
		 * read-ahead covers what is left of the file (and its end) without flooding
		 * the server with requests past it */
		size_t ask = READ_BUF;
		if (f->size >= 0 && (uint64_t)f->size >= f->off) {
			uint64_t want = ((uint64_t)f->size - f->off) / 4 + 1;
			ask = want < MIN_ASK ? MIN_ASK : want > READ_BUF ? READ_BUF : (size_t)want;
		}
		ssize_t n = libssh2_sftp_read(f->h, f->buf, ask);
		if (n > 0) {
			f->blen = (size_t)n;
			f->bpos = 0;
			attempt = 0;
		} else if (n == 0) {
			f->eof = 1;
		} else {
			rc = classify(c, f->rel, "read", err);
			if (rc != TRANSIENT)
				return -rc;
			bf_warn(f->rel, "transfer cut at byte %llu; resuming", (unsigned long long)f->off);
			f->h = NULL;
			if ((rc = lost(c, &attempt, err)))
				return -rc;
		}
	}
	if (f->bpos == f->blen)
		return 0;
	size_t k = f->blen - f->bpos;
	if (k > len)
		k = len;
	memcpy(out, f->buf + f->bpos, k);
	f->bpos += k;
	f->off += k;
	return (long)k;
}

static int sftp_close(void *fh, struct bf_err *err)
{
	struct sftp_file *f = fh;
	(void)err;
	if (f->h && f->c->sftp && f->gen == f->c->gen)
		libssh2_sftp_close_handle(f->h);
	free(f->buf);
	free(f->rel);
	free(f->full);
	free(f);
	return 0;
}

static void sftp_free(struct bf_source *s)
{
	struct sftp_src *c = s->impl;
	if (!c)
		return;
	disconnect(c, 1);
	free(c->user);
	free(c->host);
	free(c->path);
	free(c->root);
	free(c);
}

static const struct bf_source_ops sftp_ops = {
	"sftp", sftp_list, sftp_open, sftp_read, sftp_close, sftp_free,
};

/* sftp://user@host[:port]/path; "/~/x" or "/~" is relative to the login folder. */
static int parse_url(const char *url, struct sftp_src *c, struct bf_err *err)
{
	const char *p = url + 7, *at = strchr(p, '@'), *slash = strchr(p, '/');
	if (at && slash && at > slash)
		at = NULL;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon)
			return bf_fail(err, BF_EUSAGE, "--source",
				       "a password in the URL is refused (it would show in ps); use --password-file or BF_SFTP_PASSWORD");
		c->user = bf_xstrndup(p, (size_t)(at - p));
		p = at + 1;
	} else {
		const char *u = getenv("USER");
		c->user = bf_xstrdup(u && *u ? u : "root");
	}
	const char *hend;
	if (*p == '[') {
		hend = strchr(p, ']');
		if (!hend)
			return bf_fail(err, BF_EUSAGE, url, "bad host");
		c->host = bf_xstrndup(p + 1, (size_t)(hend - p - 1));
		hend++;
	} else {
		hend = p + strcspn(p, ":/");
		c->host = bf_xstrndup(p, (size_t)(hend - p));
	}
	if (!*c->host || !*c->user)
		return bf_fail(err, BF_EUSAGE, url, "expected sftp://user@host[:port]/path");
	c->port = 22;
	if (*hend == ':') {
		char *end;
		long v = strtol(hend + 1, &end, 10);
		if (end == hend + 1 || v < 1 || v > 65535 || (*end && *end != '/'))
			return bf_fail(err, BF_EUSAGE, url, "bad port");
		c->port = (int)v;
		hend = end;
	} else if (*hend && *hend != '/') {
		return bf_fail(err, BF_EUSAGE, url, "expected sftp://user@host[:port]/path");
	}
	const char *path = *hend ? hend : "/";
	if (!strcmp(path, "/~") || !strcmp(path, "/~/"))
		c->path = bf_xstrdup(".");
	else if (!strncmp(path, "/~/", 3))
		c->path = bf_xstrdup(path + 3);
	else
		c->path = bf_xstrdup(path);
	return 0;
}

int bf_source_sftp_open(const char *url, struct bf_source *s, struct bf_err *err)
{
	struct sftp_src *c = bf_xcalloc(1, sizeof *c);
	c->s = s;
	c->fd = -1;
	if (parse_url(url, c, err)) {
		sftp_free(&(struct bf_source){ .impl = c });
		return err->code;
	}
	if (!libssh2_ready) {
		if (libssh2_init(0) != 0) {
			sftp_free(&(struct bf_source){ .impl = c });
			return bf_fail(err, BF_ESOFTWARE, url, "libssh2_init failed");
		}
		libssh2_ready = 1;
	}
	bf_retry_init(&c->retry, s->opts.retries, 200, 10000);
	struct bf_buf canon = BF_BUF_INIT;
	bf_buf_addf(&canon, "sftp://%s@%s%s%s:%d%s%s", c->user, strchr(c->host, ':') ? "[" : "", c->host,
		    strchr(c->host, ':') ? "]" : "", c->port, c->path[0] == '/' ? "" : "/~/",
		    strcmp(c->path, ".") ? c->path : "");
	s->canon = bf_buf_detach(&canon);
	s->impl = c;
	s->ops = &sftp_ops;
	return 0;
}
