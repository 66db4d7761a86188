#include "sources/bf_hasher.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"

struct slot {
	char *buf;
	size_t len, cap;
};

struct bf_hasher {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work, space;
	struct slot slot[2];
	int head, queued, stop;
	EVP_MD_CTX *md;            /* touched by the thread only while slots are queued */
};

static void *run(void *arg)
{
	struct bf_hasher *h = arg;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!h->queued && !h->stop)
			pthread_cond_wait(&h->work, &h->mu);
		if (!h->queued)
			break;
		struct slot *s = &h->slot[h->head];
		pthread_mutex_unlock(&h->mu);
		EVP_DigestUpdate(h->md, s->buf, s->len);
		pthread_mutex_lock(&h->mu);
		h->head ^= 1;
		h->queued--;
		pthread_cond_signal(&h->space);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

struct bf_hasher *bf_hasher_new(void)
{
	struct bf_hasher *h = bf_xcalloc(1, sizeof *h);
	h->md = EVP_MD_CTX_new();
	if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h->md);
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->work, NULL);
	pthread_cond_init(&h->space, NULL);
	if (pthread_create(&h->thread, NULL, run, h) != 0) {
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->work);
		pthread_cond_destroy(&h->space);
		EVP_MD_CTX_free(h->md);
		free(h);
		return NULL;
	}
	return h;
}

void bf_hasher_update(struct bf_hasher *h, const void *data, size_t n)
{
	if (!n)
		return;
	pthread_mutex_lock(&h->mu);
	while (h->queued == 2)
		pthread_cond_wait(&h->space, &h->mu);
	/* the free slot stays free until it is queued: only queued slots are read */
	struct slot *s = &h->slot[(h->head + h->queued) % 2];
	pthread_mutex_unlock(&h->mu);
	if (s->cap < n) {
		s->buf = bf_xrealloc(s->buf, n);
		s->cap = n;
	}
	memcpy(s->buf, data, n);
	s->len = n;
	pthread_mutex_lock(&h->mu);
	h->queued++;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->mu);
}

void bf_hasher_final(struct bf_hasher *h, char hex[65])
{
	static const char x[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	pthread_mutex_lock(&h->mu);
	while (h->queued)
		pthread_cond_wait(&h->space, &h->mu);
	EVP_DigestFinal_ex(h->md, md, &len);
	EVP_DigestInit_ex(h->md, EVP_sha256(), NULL);
	pthread_mutex_unlock(&h->mu);
	for (unsigned int i = 0; i < len && i < 32; i++) {
		hex[2 * i] = x[md[i] >> 4];
		hex[2 * i + 1] = x[md[i] & 15];
	}
	hex[64] = '\0';
}

void bf_hasher_free(struct bf_hasher *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->work);
	pthread_cond_destroy(&h->space);
	EVP_MD_CTX_free(h->md);
	free(h->slot[0].buf);
	free(h->slot[1].buf);
	free(h);
}
