/* bf-sample: one function per file kind: the rows of an order, or of a day. */
#include <string.h>

#include "orders.h"

void row_order_details(struct csvw *w, struct day *dy, struct daystate *ds,
		       const struct order *o)
{
	char checks[32];
	if (!row_begin(w)) {
		ds->last_counted = -1;
		return;
	}
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, o->id);
	f_u(w, (uint64_t)o->num);
	size_t n = fmt_u64(checks, (uint64_t)o->ck[0].num);
	if (o->nchecks == 2) {
		memcpy(checks + n, ", ", 2);
		n += 2 + fmt_u64(checks + n + 2, (uint64_t)o->ck[1].num);
		checks[n] = 0;
		f_text(w, checks);
	} else {
		f_raw(w, checks, n);
	}
	f_ts12(w, dy, o->opened);
	f_u(w, (uint64_t)o->guests);
	f_text(w, o->tab);
	f_text(w, o->server);
	f_str(w, o->table);
	f_str(w, revenue_center[o->area]);
	f_str(w, area_name[o->area]);
	f_str(w, service_name[o->service]);
	f_str(w, dining_option[o->option]);
	f_money(w, o->disc);
	f_money(w, o->amount);
	f_money(w, o->tax);
	f_money(w, o->tip);
	f_money(w, o->grat);
	f_money(w, o->amount + o->tax + o->tip + o->grat);
	f_bool(w, o->voided);
	if (o->paid >= 0)
		f_ts12(w, dy, o->paid);
	else
		f_empty(w);
	f_ts12(w, dy, o->closed);
	if (o->paid >= 0)
		f_hms(w, o->paid - o->opened);
	else
		f_empty(w);
	f_str(w, order_source[o->source]);
	if (row_end(w)) {
		ds->orders++;
		ds->last_counted = o->voided ? 0 : o->amount;
		ds->sales += ds->last_counted;
	} else {
		ds->last_counted = -1;
	}
}

static void f_customer_id(struct csvw *w, int customer)
{
	char t[48];
	uint64_t h = mix64((uint64_t)customer + 7777), h2 = mix64(h);
	snprintf(t, sizeof t, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h >> 32),
		 (unsigned)(h >> 16) & 0xffffu, (unsigned)h & 0xfffu,
		 (unsigned)(h2 >> 48 & 0x3fffu) | 0x8000u, (unsigned long long)(h2 & 0xffffffffffffULL));
	f_raw(w, t, 36);
}

void row_check_details(struct csvw *w, const struct day *dy, const struct order *o, int c)
{
	const struct check *ck = &o->ck[c];
	char desc[700], tender[64], t[64];
	size_t n = 0, m = 0;
	if (!row_begin(w))
		return;
	if (o->customer >= 0) {
		const struct customer *cu = &customers[o->customer];
		f_customer_id(w, o->customer);
		f_text(w, cu->name);
		f_text(w, cu->phone);
		f_text(w, cu->email);
	} else {
		f_empty(w);
		f_empty(w);
		f_empty(w);
		f_empty(w);
	}
	f_str(w, dy->loccode);
	f_raw(w, dy->d12, dy->d12n);
	f_raw(w, t, fmt_t12(t, o->opened));
	desc[0] = 0;
	for (int i = 0; i < o->nitems; i++) {
		const char *nm = menu[o->it[i].menu].name;
		size_t l = strlen(nm);
		if (o->it[i].check != c || n + l + 3 >= sizeof desc)
			continue;
		if (n) {
			memcpy(desc + n, ", ", 2);
			n += 2;
		}
		memcpy(desc + n, nm, l + 1);
		n += l;
	}
	f_text(w, desc);
	f_text(w, o->server);
	f_money(w, ck->tax);
	tender[0] = 0;
	unsigned seen = 0;
	for (int k = 0; k < o->npay; k++) {
		const struct pay *p = &o->p[k];
		const char *nm = pay_type[p->type];
		size_t l = strlen(nm);
		if (p->check != c || (seen & (1u << p->type)) || m + l + 3 >= sizeof tender)
			continue;
		seen |= 1u << p->type;
		if (m) {
			memcpy(tender + m, ", ", 2);
			m += 2;
		}
		memcpy(tender + m, nm, l + 1);
		m += l;
	}
	f_text(w, tender);
	f_u(w, ck->id);
	f_u(w, (uint64_t)ck->num);
	f_money(w, ck->amount + ck->tax + ck->tip + ck->grat);
	f_empty(w);
	f_u(w, (uint64_t)o->guests);
	f_money(w, ck->disc);
	f_text(w, ck->disc ? discount_reason[o->disc_reason] : "");
	memcpy(t, "https://pos.example.com/checks/", 31);
	f_raw(w, t, 31 + fmt_u64(t + 31, ck->id));
	row_end(w);
}

void row_item_selection(struct csvw *w, const struct day *dy, const struct order *o,
			const struct item *it)
{
	const struct menu_item *mi = &menu[it->menu];
	if (!row_begin(w))
		return;
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, o->id);
	f_u(w, (uint64_t)o->num);
	f_ts24(w, dy, it->sent);
	f_ts24(w, dy, o->opened);
	f_u(w, o->ck[it->check].id);
	f_text(w, o->server);
	f_str(w, o->table);
	f_str(w, area_name[o->area]);
	f_str(w, service_name[o->service]);
	f_str(w, dining_option[o->option]);
	f_u(w, it->sel_id);
	f_u(w, menu_item_id(it->menu));
	f_u(w, menu_master_id(it->menu));
	f_str(w, mi->sku);
	f_str(w, mi->plu);
	f_text(w, mi->name);
	f_text(w, mi->subgroup);
	f_text(w, group_name[mi->group]);
	f_str(w, menu_name[mi->menu]);
	f_str(w, mi->category);
	f_money(w, it->gross);
	f_money(w, it->disc);
	f_money(w, it->net);
	f_u(w, (uint64_t)it->qty);
	f_money(w, it->tax);
	f_bool(w, it->voided || o->voided);
	f_bool(w, 0);
	f_bool(w, 0);
	f_str(w, "Tax not included");
	f_money(w, 0);
	f_text(w, o->tab);
	row_end(w);
}

static void row_kitchen_timing(struct csvw *w, const struct day *dy, const struct order *o,
			       const struct check *ck, uint64_t id, int station, int fired,
			       int fulfilled, const char *by)
{
	if (!row_begin(w))
		return;
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, id);
	f_text(w, o->server);
	f_u(w, (uint64_t)ck->num);
	f_str(w, o->table);
	f_ts12(w, dy, o->opened);
	f_str(w, station_name[station]);
	f_raw(w, station == ST_PASTRY ? "2" : "1", 1);
	f_ts12(w, dy, fired);
	if (fulfilled >= 0) {
		f_ts12(w, dy, fulfilled);
		f_minsec(w, fulfilled - fired);
		f_text(w, by);
	} else {
		f_empty(w);
		f_empty(w);
		f_empty(w);
	}
	row_end(w);
}

/* One ticket per check and station; drawn whether or not the file is written. */
void kitchen_tickets(struct csvw *w, struct day *dy, struct daystate *ds,
		     const struct order *o)
{
	static const int lo[ST_N] = { 480, 300, 180, 240, 60 }, hi[ST_N] = { 1320, 720, 540, 600, 300 };
	struct rng *r = &dy->r;
	if (o->voided)
		return;
	for (int c = 0; c < o->nchecks; c++) {
		int first[ST_N];
		for (int s = 0; s < ST_N; s++)
			first[s] = -1;
		for (int i = 0; i < o->nitems; i++) {
			const struct item *it = &o->it[i];
			int s = menu[it->menu].station;
			if (it->check == c && !it->voided && (first[s] < 0 || it->sent < first[s]))
				first[s] = it->sent;
		}
		for (int s = 0; s < ST_N; s++) {
			if (first[s] < 0)
				continue;
			uint64_t id = id17(dy, 8, ds->seq_kit++, r);
			int fired = clamp_day(first[s] + rng_range(r, 0, 45));
			int done = rng_chance(r, 8) ? -1 : clamp_day(fired + rng_range(r, lo[s], hi[s]));
			const char *by = s == ST_BAR ? bartenders[rng_below(r, NBARTENDERS)]
				       : cooks[rng_below(r, NCOOKS)];
			row_kitchen_timing(w, dy, o, &o->ck[c], id, s, fired, done, by);
		}
	}
}

void row_payment_details(struct csvw *w, const struct day *dy, const struct order *o,
			 const struct pay *p)
{
	static const char *const receipt[4] = { "Printed", "Email", "Text", "None" };
	static const char *const drawer[2] = { "Front Drawer", "Bar Drawer" };
	const struct check *ck = &o->ck[p->check];
	int64_t total = p->amount + p->tip + p->grat;
	char t[32];
	if (!row_begin(w))
		return;
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, p->id);
	f_u(w, o->id);
	f_u(w, (uint64_t)o->num);
	f_ts24(w, dy, o->paid);
	f_ts24(w, dy, o->opened);
	f_u(w, ck->id);
	f_u(w, (uint64_t)ck->num);
	f_text(w, o->tab);
	f_text(w, o->server);
	f_str(w, o->table);
	f_str(w, area_name[o->area]);
	f_str(w, service_name[o->service]);
	f_str(w, dining_option[o->option]);
	if (p->type == PT_HOUSE) {
		snprintf(t, sizeof t, "HA-%04d", 1000 + p->last4 % 9000);
		f_str(w, t);
	} else {
		f_empty(w);
	}
	f_money(w, p->amount);
	f_money(w, p->tip);
	f_money(w, p->grat);
	f_money(w, total);
	if (p->type == PT_CREDIT && p->swiped)
		f_money(w, total);
	else
		f_empty(w);
	if (p->type == PT_CREDIT && !p->swiped)
		f_money(w, total);
	else
		f_empty(w);
	if (p->type == PT_CASH)
		f_money(w, p->tendered);
	else
		f_empty(w);
	f_bool(w, p->refunded);
	if (p->refunded) {
		f_ts24(w, dy, clamp_day(o->closed + 600 + (int)(p->id % 3600)));
		f_money(w, p->refund);
		f_money(w, 0);
	} else {
		f_empty(w);
		f_empty(w);
		f_empty(w);
	}
	f_empty(w);
	f_empty(w);
	f_empty(w);
	f_str(w, p->type == PT_CREDIT || p->type == PT_GIFT ? "CAPTURED" : "CLOSED");
	f_str(w, pay_type[p->type]);
	f_str(w, p->type == PT_CASH ? drawer[o->area == AREA_BAR] : "");
	f_str(w, p->type == PT_CREDIT ? card_type[p->card] : "");
	f_str(w, p->type == PT_OTHER ? order_source[p->other] : "");
	if (o->customer >= 0 && o->source != SRC_IN_STORE && o->source != SRC_KIOSK) {
		f_text(w, customers[o->customer].email);
		f_text(w, customers[o->customer].phone);
	} else {
		f_empty(w);
		f_empty(w);
	}
	if (p->type == PT_CREDIT) {
		put2(put2(t, p->last4 / 100), p->last4 % 100);
		f_raw(w, t, 4);
	} else {
		f_empty(w);
	}
	if (p->fees)
		f_money(w, p->fees);
	else
		f_empty(w);
	f_empty(w);
	f_str(w, receipt[p->receipt]);
	f_str(w, pay_source[o->source]);
	row_end(w);
}

void add_items(struct daystate *ds, const struct order *o, int idx)
{
	for (int i = 0; i < o->nitems; i++) {
		const struct item *it = &o->it[i];
		struct agg *a = &ds->a[it->menu];
		a->qty_all += it->qty;
		a->gross_all += it->gross;
		if (it->voided || o->voided) {
			a->void_qty += it->qty;
			a->void_amt += it->gross;
		} else {
			a->qty += it->qty;
			a->gross += it->gross;
			a->disc += it->disc;
			a->net += it->net;
		}
		if (a->last_order != idx + 1) {
			a->last_order = idx + 1;
			a->orders++;
		}
	}
}

/* One row per menu item sold (or voided) that day. */
void rows_all_items(struct csvw *w, const struct daystate *ds, long norders)
{
	long qty_all = 0, qty = 0, gq[NGROUPS] = { 0 }, mq[NMENUS] = { 0 };
	int64_t gross_all = 0, net = 0, gn[NGROUPS] = { 0 }, mn[NMENUS] = { 0 };
	for (int i = 0; i < NMENU; i++) {
		const struct agg *a = &ds->a[i];
		qty_all += a->qty_all;
		gross_all += a->gross_all;
		qty += a->qty;
		net += a->net;
		gq[menu[i].group] += a->qty;
		gn[menu[i].group] += a->net;
		mq[menu[i].menu] += a->qty;
		mn[menu[i].menu] += a->net;
	}
	for (int i = 0; i < NMENU; i++) {
		const struct agg *a = &ds->a[i];
		const struct menu_item *mi = &menu[i];
		if (!a->qty_all || !row_begin(w))
			continue;
		f_u(w, menu_master_id(i));
		f_u(w, menu_item_id(i));
		f_empty(w);
		f_str(w, menu_name[mi->menu]);
		f_text(w, group_name[mi->group]);
		f_text(w, mi->subgroup);
		f_text(w, mi->name);
		f_text(w, mi->tags);
		f_money(w, a->qty ? a->gross / a->qty : a->gross_all / a->qty_all);
		f_u(w, (uint64_t)a->qty_all);
		f_pct(w, a->qty_all, qty_all);
		f_money(w, a->gross_all);
		f_pct(w, a->gross_all, gross_all);
		f_u(w, (uint64_t)a->qty);
		f_money(w, a->gross);
		f_u(w, (uint64_t)a->void_qty);
		f_money(w, a->void_amt);
		f_money(w, a->disc);
		f_money(w, a->net);
		f_u(w, (uint64_t)a->orders);
		f_pct(w, a->orders, norders);
		f_pct(w, a->qty, gq[mi->group]);
		f_pct(w, a->qty, mq[mi->menu]);
		f_pct(w, a->qty, qty);
		f_pct(w, a->net, gn[mi->group]);
		f_pct(w, a->net, mn[mi->menu]);
		f_pct(w, a->net, net);
		row_end(w);
	}
}

static void row_cash_entry(struct csvw *w, const struct day *dy, uint64_t id, int t,
			   const char *action, int64_t amount, const char *drawer,
			   const char *payout, const char *nosale, const char *comment,
			   const char *emp, const char *emp2)
{
	if (!row_begin(w))
		return;
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, id);
	f_ts24(w, dy, t);
	f_str(w, action);
	f_money(w, amount);
	f_str(w, drawer);
	f_text(w, payout);
	f_text(w, nosale);
	f_text(w, comment);
	f_text(w, emp);
	f_text(w, emp2);
	row_end(w);
}

/* The day's drawer activity: float, no-sales, pay-outs, tip-outs, collection, close-out. */
void rows_cash_entries(struct csvw *w, struct day *dy, struct daystate *ds)
{
	static const char *const drawer[2] = { "Front Drawer", "Bar Drawer" };
	struct rng *r = &dy->r;
	for (int k = 0; k < 2; k++) {
		const char *mgr = managers[rng_below(r, NMANAGERS)];
		int t = (dy->wd == 0 || dy->wd == 6 ? 9 * 3600 : 10 * 3600) + 2700 + rng_range(r, 0, 600);
		int64_t out = 0;
		row_cash_entry(w, dy, id17(dy, 9, ds->seq_cash++, r), t, "CASH_IN", 20000, drawer[k],
			       "", "", "", mgr, "");
		int ne = rng_range(r, 1, 4);
		for (int e = 0; e < ne; e++) {
			t += rng_range(r, 1800, 9000);
			if (t > 21 * 3600)
				break;
			int u = (int)rng_below(r, 3);
			uint64_t id = id17(dy, 9, ds->seq_cash++, r);
			const char *comment = rng_chance(r, 300) ? cash_comments[rng_below(r, 7)] : "";
			const char *who = k ? bartenders[rng_below(r, NBARTENDERS)] : servers[rng_below(r, NSERVERS)];
			if (u == 0) {
				row_cash_entry(w, dy, id, t, "NO_SALE", 0, drawer[k], "",
					       nosale_reasons[rng_below(r, 3)], comment, who, "");
			} else if (u == 1) {
				int64_t a = rng_range(r, 1500, 9000);
				out += a;
				row_cash_entry(w, dy, id, t, "PAY_OUT", a, drawer[k],
					       payout_reasons[rng_below(r, 4)], "", comment, mgr, "");
			} else {
				int64_t a = rng_range(r, 2000, 8000);
				out += a;
				row_cash_entry(w, dy, id, t, "TIP_OUT", a, drawer[k], "", "", comment, who, mgr);
			}
		}
		t = 22 * 3600 + rng_range(r, 600, 3000);
		int64_t collected = 20000 + ds->cash[k] - out;
		if (collected < 0)
			collected = 0;
		const char *mgr2 = managers[rng_below(r, NMANAGERS)];
		row_cash_entry(w, dy, id17(dy, 9, ds->seq_cash++, r), t, "CASH_COLLECTED", collected,
			       drawer[k], "", "", "", mgr, mgr2);
		int u = (int)rng_below(r, 100);
		int64_t diff = u < 70 ? 0 : rng_range(r, 5, 500);
		uint64_t id = id17(dy, 9, ds->seq_cash++, r);
		int tc = clamp_day(t + rng_range(r, 60, 600));
		const char *comment = u >= 85 && rng_chance(r, 500) ? cash_comments[5] : "";
		row_cash_entry(w, dy, id, tc,
			       u < 70 ? "CLOSE_OUT_EXACT" : u < 85 ? "CLOSE_OUT_OVERAGE" : "CLOSE_OUT_SHORTAGE",
			       diff, drawer[k], "", "", comment, mgr, "");
	}
}

