/* Reading members of a cJSON object: what is missing or of another type reads as NULL or 0. */
#ifndef BF_JSON_H
#define BF_JSON_H

#include <cjson/cJSON.h>

static inline const char *bf_json_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline double bf_json_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

#endif
