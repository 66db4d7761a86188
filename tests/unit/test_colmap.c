/* Unit tests for bf_colmap (member position -> column), printed as TAP. */
#include "proto/bf_colmap.h"

#include "tap.h"

int main(void)
{
	struct bf_colmap m = BF_COLMAP_INIT;
	ok(!bf_colmap_get(&m, 0, "a", 1), "empty: nothing known");
	bf_colmap_set(&m, 2, "amount", 6, 7, 3);
	const struct bf_colmap_slot *s = bf_colmap_get(&m, 2, "amount", 6);
	ok(s && s->col == 7 && s->tag == 3, "a name at its position: its column and tag");
	ok(!bf_colmap_get(&m, 0, "", 0) && !bf_colmap_get(&m, 1, "", 0),
	   "positions before it are unknown, even for an empty name");
	ok(!bf_colmap_get(&m, 2, "amoun", 5) && !bf_colmap_get(&m, 2, "amounts", 7) &&
	   !bf_colmap_get(&m, 3, "amount", 6), "another name, or another position: unknown");
	bf_colmap_set(&m, 2, "tip", 3, 1, 0);
	s = bf_colmap_get(&m, 2, "tip", 3);
	ok(s && s->col == 1 && !bf_colmap_get(&m, 2, "amount", 6), "a new name replaces the old one");
	bf_colmap_set(&m, 0, "a\0b", 3, 4, 0);
	ok(bf_colmap_get(&m, 0, "a\0b", 3) && !bf_colmap_get(&m, 0, "a\0c", 3), "names are compared whole");
	bf_colmap_free(&m);
	ok(m.n == 0 && !bf_colmap_get(&m, 2, "tip", 3), "freed: empty again");
	return done_testing();
}
