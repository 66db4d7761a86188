/* The pipeline of bf-run: the stage programs (found beside bf-run, in --exec-path or on
 * PATH) and their arguments, or the user's --shell-pipeline. */
#include "stages/run/bf_run_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "sources/bf_source_cli.h"

static int executable(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

static char *in_dir(const char *dir, const char *name)
{
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_addf(&b, "%s/%s", dir, name);
	if (executable(b.p))
		return bf_buf_detach(&b);
	bf_buf_free(&b);
	return NULL;
}

/* The stage program: --exec-path / BF_EXEC_PATH, then beside our own executable, then PATH. */
static char *find_stage(const struct bf_run_opts *o, const char *name)
{
	char *p = NULL;
	const char *env = getenv("BF_EXEC_PATH");
	if (o->exec_path && (p = in_dir(o->exec_path, name)))
		return p;
	if (env && *env && (p = in_dir(env, name)))
		return p;
	char self[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
	if (k > 0) {
		self[k] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if ((p = in_dir(self, name)))
				return p;
		}
	}
	const char *path = getenv("PATH");
	while (path && *path) {
		size_t len = strcspn(path, ":");
		char *dir = bf_xstrndup(path, len);
		p = in_dir(len ? dir : ".", name);
		free(dir);
		if (p)
			return p;
		path += len + (path[len] == ':');
	}
	return NULL;
}

/* The user's pipeline string as one stage: shell -c STRING bf-run D1 D2 ... (the dates
 * are its positional parameters and $BF_DATES; nothing of them is put into the string). */
static void setup_shell(struct ctx *c)
{
	const struct bf_run_opts *o = c->o;
	struct stage *s = &c->stages[c->nstages++];
	s->name = "shell";
	s->path = bf_xstrdup(o->shell ? o->shell : "/bin/sh");
	bf_strv_push(&s->argv, s->path);
	bf_strv_push(&s->argv, "-c");
	bf_strv_push(&s->argv, o->shell_pipeline);
	bf_strv_push(&s->argv, "bf-run");
}

int run_setup_stages(struct ctx *c, struct bf_err *err)
{
	const struct bf_run_opts *o = c->o;
	if (o->shell_pipeline) {
		setup_shell(c);
		return 0;
	}
	static const char *const names[4] = { "bf-extract", "bf-enrich", "bf-closure", "bf-load" };
	const struct bf_strv *extra[4] = { &o->extract_args, &o->enrich_args, &o->closure_args, &o->load_args };
	for (int i = 0; i < 4; i++) {
		if ((i == 1 && o->no_enrich) || (i == 2 && o->no_closure))
			continue;
		char *path = find_stage(o, names[i]);
		if (!path) {
			if (i == 1 || i == 2) {
				bf_note(NULL, "%s not found, running without it", names[i]);
				continue;
			}
			return bf_fail(err, BF_ECONFIG, names[i], "not found beside bf-run nor on PATH");
		}
		struct stage *s = &c->stages[c->nstages++];
		s->name = names[i];
		s->path = path;
		bf_strv_push(&s->argv, path);
		if (i == 0) {
			bf_strv_push(&s->argv, "--source");
			bf_strv_push(&s->argv, o->source);
			/* the source options as bf-extract takes them (--layout first) */
			c->src_args = bf_source_args(&o->src, &c->nsrc_args);
			for (size_t k = 0; k < c->nsrc_args; k++)
				bf_strv_push(&s->argv, c->src_args[k]);
			for (size_t k = 0; k < o->locations.n; k++) {
				bf_strv_push(&s->argv, "--location");
				bf_strv_push(&s->argv, o->locations.v[k]);
			}
		}
		if (i == 3) {
			bf_strv_push(&s->argv, "--target");
			bf_strv_push(&s->argv, o->target);
		}
		for (size_t k = 0; k < extra[i]->n; k++)
			bf_strv_push(&s->argv, extra[i]->v[k]);
		if (o->force && i == 0)
			bf_strv_push(&s->argv, "--force");
	}
	return 0;
}
