/* What every bf-report writer shares: JSON printing, numbers, checking the output. */
#include "stages/report/bf_report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bf_report_percentile(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	double rank = ceil(p / 100.0 * (double)n);
	size_t i = rank < 1 ? 0 : (size_t)rank - 1;
	return v[i < n ? i : n - 1];
}

double report_pct(long long a, long long b)
{
	return b > 0 ? round(1000.0 * (double)a / (double)b) / 10.0 : 0;
}

double report_round3(double x)
{
	return round(x * 1000.0) / 1000.0;
}

int report_flush_out(FILE *out, struct bf_err *err)
{
	if (fflush(out) || ferror(out))
		return bf_fail(err, BF_EIO, "output", "write failed: %s", strerror(errno ? errno : EIO));
	return 0;
}

int report_print_json(cJSON *root, FILE *out, struct bf_err *err)
{
	char *s = cJSON_Print(root);
	cJSON_Delete(root);
	if (!s)
		return bf_fail(err, BF_EOS, "json", "out of memory");
	fputs(s, out);
	fputc('\n', out);
	cJSON_free(s);
	return report_flush_out(out, err);
}

void report_add_num_or_null(cJSON *o, const char *k, long long v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, (double)v);
}

void report_add_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}
