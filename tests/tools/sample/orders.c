/* bf-sample: the orders of a day (items, discounts, checks, payments), ids and money. */
#include <string.h>

#include "orders.h"

#define TEN16 10000000000000000ULL

/* A 17-digit id: kind digit, day (5), location (2), then 9 digits that are a bijective
 * scramble of (sequence, noise): unique per kind, day and location. */
uint64_t id17(const struct day *dy, int kind, uint32_t seq, struct rng *r)
{
	uint64_t x = (uint64_t)(seq % 1000000) * 1000 + rng_below(r, 1000);
	x = (x * 387420489ULL + 123456789ULL) % 1000000000ULL;
	return (uint64_t)kind * TEN16 + (uint64_t)(dy->date % 100000) * 100000000000ULL +
	       (uint64_t)(dy->loc % 100) * 1000000000ULL + x;
}

uint64_t menu_item_id(int i)
{
	return 2 * TEN16 + mix64((uint64_t)i + 1000) % TEN16;
}

uint64_t menu_master_id(int i)
{
	return 3 * TEN16 + mix64((uint64_t)i + 2000) % TEN16;
}

static int menu_total_weight;

void orders_init(void)
{
	for (int i = 0; i < NMENU; i++)
		menu_total_weight += menu[i].weight;
}

static int pick_menu(struct rng *r, int drinks_only)
{
	for (;;) {
		int w = (int)rng_below(r, (uint32_t)menu_total_weight), i = 0;
		while (w >= menu[i].weight)
			w -= menu[i++].weight;
		if (!drinks_only || menu[i].station == ST_BAR)
			return i;
	}
}

int clamp_day(int t)
{
	return t < 0 ? 0 : t > 86399 ? 86399 : t;
}

static int64_t tax_of(int64_t net)
{
	return (net * TAX_BP + 5000) / 10000;
}

static void make_items(struct day *dy, struct daystate *ds, struct order *o, int bar)
{
	struct rng *r = &dy->r;
	int n;
	if (o->option == OPT_DINE_IN)
		n = bar ? rng_range(r, 1, 3) : o->guests + rng_range(r, 0, o->guests);
	else
		n = rng_range(r, 1, 4);
	if (n > MAX_ITEMS)
		n = MAX_ITEMS;
	o->nitems = n;
	for (int i = 0; i < n; i++) {
		struct item *it = &o->it[i];
		it->menu = pick_menu(r, bar && i > 0);
		const struct menu_item *mi = &menu[it->menu];
		it->qty = mi->station == ST_BAR && rng_chance(r, 150) ? 2 : 1;
		it->gross = (int64_t)mi->price * it->qty;
		if (mi->station != ST_BAR && rng_chance(r, 120))
			it->gross += 150 * it->qty;        /* add-ons */
		it->voided = rng_chance(r, 12);
		it->check = i % (o->nchecks ? o->nchecks : 1);
		/* one draw per statement: the order of evaluation within an expression is
		 * unspecified in C, and the bytes must not depend on the compiler */
		it->sent = o->opened + rng_range(r, 20, 240);
		if (mi->station == ST_PASTRY && o->option == OPT_DINE_IN)
			it->sent += rng_range(r, 1800, 3600);      /* dessert comes later */
		it->sent = clamp_day(it->sent);
		it->sel_id = id17(dy, 7, ds->seq_sel++, r);
	}
}

static void apply_discount(struct rng *r, struct order *o, int no_sales)
{
	int reason = 0;
	if (no_sales)
		reason = rng_chance(r, 500) ? 3 : 5;
	else if (rng_chance(r, 70))
		reason = rng_range(r, 1, 5);
	o->disc_reason = reason;
	int target = (int)rng_below(r, (uint32_t)o->nitems);
	for (int i = 0; i < o->nitems; i++) {
		struct item *it = &o->it[i];
		int64_t d = 0;
		switch (reason) {
		case 1: d = it->gross / 2; break;
		case 2: d = menu[it->menu].station == ST_BAR ? it->gross / 4 : 0; break;
		case 3: d = no_sales || i == target ? it->gross : 0; break;
		case 4: d = i == target ? (it->gross < 500 ? it->gross : 500) : 0; break;
		case 5: d = no_sales || i == target ? it->gross : 0; break;
		default: break;
		}
		it->disc = d;
		it->net = it->gross - d;
		it->tax = tax_of(it->net);
	}
}

static void make_payments(struct day *dy, struct daystate *ds, struct order *o)
{
	struct rng *r = &dy->r;
	o->npay = 0;
	for (int c = 0; c < o->nchecks; c++) {
		struct check *ck = &o->ck[c];
		int64_t due = ck->amount + ck->tax;
		if (o->voided || due + ck->grat == 0)
			continue;
		int type, other = 0;
		if (o->source == SRC_ONLINE) {
			type = PT_CREDIT;
		} else if (o->source >= SRC_DOORDASH && o->source <= SRC_GRUBHUB) {
			type = PT_OTHER;
			other = o->source;
		} else {
			int u = (int)rng_below(r, 100);
			type = u < 76 ? PT_CREDIT : u < 95 ? PT_CASH : u < 99 ? PT_GIFT : PT_HOUSE;
			if (type == PT_CASH && o->source == SRC_KIOSK)
				type = PT_CREDIT;
		}
		int parts = type == PT_CREDIT && o->option == OPT_DINE_IN && rng_chance(r, 80) ? 2 : 1;
		for (int k = 0; k < parts; k++) {
			struct pay *p = &o->p[o->npay++];
			memset(p, 0, sizeof *p);
			p->id = id17(dy, 6, ds->seq_pay++, r);
			p->check = c;
			p->type = type;
			p->other = other;
			p->amount = parts == 1 ? due : k == 0 ? due / 2 : due - due / 2;
			p->grat = k == 0 ? ck->grat : 0;
			int base_pct = 0;
			if (type == PT_CREDIT || type == PT_GIFT)
				base_pct = o->option == OPT_DINE_IN ? rng_range(r, 15, 25)
					 : rng_chance(r, 500) ? rng_range(r, 5, 15) : 0;
			if (p->grat)
				base_pct = 0;
			p->tip = p->amount * base_pct / 100;
			ck->tip += p->tip;
			if (type == PT_CREDIT) {
				int u = (int)rng_below(r, 100);
				p->card = u < 55 ? 0 : u < 82 ? 1 : u < 95 ? 2 : 3;
				p->swiped = o->source == SRC_IN_STORE || o->source == SRC_KIOSK ? !rng_chance(r, 60) : 0;
				p->last4 = (int)rng_below(r, 10000);
				if (p->card != 2)
					p->fees = (p->amount + p->tip + p->grat) * 26 / 1000 + 10;
				if (rng_chance(r, 4)) {
					p->refunded = 1;
					p->refund = rng_chance(r, 500) ? p->amount : p->amount / 2;
				}
			} else if (type == PT_CASH) {
				int64_t t = p->amount + p->grat;
				int64_t step = t > 4000 ? 2000 : 500;
				p->tendered = rng_chance(r, 300) ? t : (t / step + 1) * step;
				ds->cash[o->area == AREA_BAR] += t;
			}
			p->receipt = (int)rng_below(r, 4);
		}
	}
}

/* One order, drawn from the partition's stream. */
void make_order(struct day *dy, struct daystate *ds, int idx, int opened, int no_sales,
		struct order *o)
{
	struct rng *r = &dy->r;
	o->num = idx + 1;
	o->id = id17(dy, 4, (uint32_t)idx, r);
	o->opened = opened;
	o->customer = -1;
	o->tab = "";
	o->table[0] = 0;
	o->area = AREA_NONE;
	o->guests = 1;
	o->server = "";
	int u = (int)rng_below(r, 100);
	if (u < 62) {
		o->option = OPT_DINE_IN;
		o->source = SRC_IN_STORE;
	} else if (u < 72) {
		o->option = OPT_TAKE_OUT;
		o->source = SRC_IN_STORE;
	} else if (u < 77) {
		o->option = OPT_TAKE_OUT;
		o->source = SRC_KIOSK;
	} else if (u < 86) {
		o->option = rng_chance(r, 400) ? OPT_CURBSIDE : OPT_TAKE_OUT;
		o->source = SRC_ONLINE;
	} else {
		o->option = OPT_DELIVERY;
		u = (int)rng_below(r, 10);
		o->source = u < 5 ? SRC_DOORDASH : u < 8 ? SRC_UBER : SRC_GRUBHUB;
	}
	int bar = 0;
	if (o->option == OPT_DINE_IN) {
		static const int guests_w[8] = { 15, 40, 15, 18, 5, 4, 2, 1 };
		u = (int)rng_below(r, 100);
		o->area = u < 65 ? AREA_MAIN : u < 85 ? AREA_BAR : AREA_PATIO;
		if (o->area == AREA_PATIO && (dy->m < 5 || dy->m > 9))
			o->area = AREA_MAIN;
		bar = o->area == AREA_BAR;
		if (bar) {
			o->guests = rng_range(r, 1, 2);
			o->table[0] = 'B';
			o->table[1 + fmt_u64(o->table + 1, (uint64_t)rng_range(r, 1, 12))] = 0;
			o->server = bartenders[rng_below(r, NBARTENDERS)];
		} else {
			int w = (int)rng_below(r, 100), g = 0;
			while (w >= guests_w[g])
				w -= guests_w[g++];
			o->guests = g + 1;
			if (o->area == AREA_PATIO) {
				o->table[0] = 'P';
				o->table[1 + fmt_u64(o->table + 1, (uint64_t)rng_range(r, 1, 10))] = 0;
			} else {
				o->table[fmt_u64(o->table, (uint64_t)rng_range(r, 1, 30))] = 0;
			}
			o->server = servers[rng_below(r, NSERVERS)];
		}
	} else if (o->source == SRC_IN_STORE) {
		o->server = servers[rng_below(r, NSERVERS)];
	}
	int h = opened / 3600;
	o->service = h < 15 ? (dy->wd == 0 || dy->wd == 6 ? 0 : 1) : h < 17 ? 2 : 3;

	/* who */
	if (o->source != SRC_IN_STORE && o->source != SRC_KIOSK) {
		o->customer = (int)rng_below(r, NCUSTOMERS);
		o->tab = customers[o->customer].name;
	} else {
		if (rng_chance(r, 150))
			o->customer = (int)rng_below(r, NCUSTOMERS);
		if (rng_chance(r, bar ? 400 : o->option == OPT_DINE_IN ? 30 : 600))
			o->tab = rng_chance(r, 15) ? tab_names_multiline[rng_below(r, 3)]
						   : tab_names[rng_below(r, NTABS)];
	}

	/* what */
	o->nchecks = o->option == OPT_DINE_IN && o->guests >= 2 && rng_chance(r, 120) ? 2 : 1;
	make_items(dy, ds, o, bar);
	o->voided = no_sales ? rng_chance(r, 700) : rng_chance(r, 15);
	apply_discount(r, o, no_sales && !o->voided);

	o->gross = o->disc = o->amount = o->tax = o->tip = o->grat = 0;
	for (int c = 0; c < o->nchecks; c++) {
		struct check *ck = &o->ck[c];
		memset(ck, 0, sizeof *ck);
		ck->num = ++ds->check_no;
		ck->id = id17(dy, 5, ds->seq_check++, r);
	}
	for (int i = 0; i < o->nitems; i++) {
		struct item *it = &o->it[i];
		if (it->voided)
			continue;
		struct check *ck = &o->ck[it->check];
		ck->gross += it->gross;
		ck->disc += it->disc;
		ck->amount += it->net;
		ck->tax += it->tax;
	}
	for (int c = 0; c < o->nchecks; c++) {
		struct check *ck = &o->ck[c];
		if (o->guests >= 6 && !no_sales)
			ck->grat = ck->amount / 5;
	}

	/* when */
	int dur;
	if (o->option == OPT_DINE_IN)
		dur = bar ? rng_range(r, 900, 7200) : 2100 + 9 * rng_normal_milli(r) / 10 + 300 * o->guests;
	else if (o->source == SRC_IN_STORE)
		dur = rng_range(r, 240, 1200);
	else
		dur = rng_range(r, 0, 90);
	if (dur < 0)
		dur = 60;
	if (o->voided) {
		o->paid = -1;
		o->closed = clamp_day(opened + rng_range(r, 60, 1200));
	} else {
		o->paid = clamp_day(opened + dur);
		o->closed = clamp_day(o->paid + rng_range(r, 0, 240));
	}

	/* how */
	make_payments(dy, ds, o);
	for (int c = 0; c < o->nchecks; c++) {
		struct check *ck = &o->ck[c];
		o->gross += ck->gross;
		o->disc += ck->disc;
		o->amount += ck->amount;
		o->tax += ck->tax;
		o->tip += ck->tip;
		o->grat += ck->grat;
	}
}

