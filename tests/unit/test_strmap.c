/* Unit tests for bf_strmap (name -> number), printed as TAP. */
#include "base/bf_strmap.h"

#include <stdio.h>

#include "tap.h"

int main(void)
{
	struct bf_strmap m = BF_STRMAP_INIT;
	size_t v = 99;
	ok(!bf_strmap_get(&m, "a", &v) && v == 99, "empty: nothing there");
	bf_strmap_put(&m, "orders", 3);
	bf_strmap_put(&m, "", 4);
	ok(bf_strmap_get(&m, "orders", &v) && v == 3, "a name put is found with its value");
	ok(bf_strmap_get(&m, "", &v) && v == 4, "the empty name is a name");
	ok(!bf_strmap_get(&m, "order", &v) && !bf_strmap_get(&m, "orders_", &v), "other names are not");
	bf_strmap_put(&m, "orders", 5);
	ok(bf_strmap_get(&m, "orders", &v) && v == 5 && m.n == 2, "putting a name again replaces its value");
	char k[32];
	for (size_t i = 0; i < 20000; i++) {
		snprintf(k, sizeof k, "s%zu", i);
		bf_strmap_put(&m, k, i);
	}
	int all = 1;
	for (size_t i = 0; i < 20000; i++) {
		snprintf(k, sizeof k, "s%zu", i);
		all &= bf_strmap_get(&m, k, &v) && v == i;
	}
	ok(all && m.n == 20002, "20,000 names through several growths: each keeps its value");
	bf_strmap_free(&m);
	ok(m.n == 0 && !bf_strmap_get(&m, "orders", &v), "freed: empty again");
	return done_testing();
}
