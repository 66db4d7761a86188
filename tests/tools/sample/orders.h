/* The restaurant bf-sample makes up (menu, staff, customers: data.c), its orders
 * (orders.c) and their rows in each file (rows.c). */
#ifndef SAMPLE_ORDERS_H
#define SAMPLE_ORDERS_H

#include "sample.h"

enum station { ST_GRILL, ST_FRY, ST_PANTRY, ST_PASTRY, ST_BAR, ST_N };
enum dining { OPT_DINE_IN, OPT_TAKE_OUT, OPT_DELIVERY, OPT_CURBSIDE };
enum source { SRC_IN_STORE, SRC_ONLINE, SRC_DOORDASH, SRC_UBER, SRC_GRUBHUB, SRC_KIOSK };
enum area { AREA_NONE, AREA_MAIN, AREA_BAR, AREA_PATIO };
enum ptype { PT_CREDIT, PT_CASH, PT_GIFT, PT_OTHER, PT_HOUSE };

struct menu_item {
	const char *name;
	int group, menu;
	const char *subgroup;
	const char *category;
	int price;                 /* cents */
	int station;
	const char *tags;
	const char *sku, *plu;
	int weight;
};
struct customer {
	const char *name, *phone, *email;
};

#define NGROUPS ((size_t)9)
#define NMENUS ((size_t)3)
#define NMENU 42
#define NSERVERS 14
#define NBARTENDERS 4
#define NCOOKS 6
#define NMANAGERS 3
#define NCUSTOMERS 12
#define NTABS 12
#define NLOCNAMES 6

extern const char *const station_name[ST_N];
extern const char *const menu_name[NMENUS];
extern const char *const group_name[NGROUPS];
extern const struct menu_item menu[NMENU];
extern const char *const servers[NSERVERS];
extern const char *const bartenders[NBARTENDERS];
extern const char *const cooks[NCOOKS];
extern const char *const managers[NMANAGERS];
extern const struct customer customers[NCUSTOMERS];
extern const char *const tab_names[NTABS];
extern const char *const tab_names_multiline[];
extern const char *const dining_option[];
extern const char *const order_source[];
extern const char *const pay_source[];
extern const char *const area_name[];
extern const char *const revenue_center[];
extern const char *const service_name[];
extern const char *const pay_type[];
extern const char *const card_type[];
extern const char *const discount_reason[];
extern const char *const payout_reasons[];
extern const char *const nosale_reasons[];
extern const char *const cash_comments[];
extern const char *const location_names[NLOCNAMES];

#define MAX_ITEMS 12
#define MAX_CHECKS 2
#define MAX_PAYS 4
#define TAX_BP 825             /* 8.25 % */

struct item {
	uint64_t sel_id;
	int menu, qty, check, voided, sent;
	int64_t gross, disc, net, tax;
};
struct check {
	uint64_t id;
	int num;
	int64_t gross, disc, amount, tax, tip, grat;
};
struct pay {
	uint64_t id;
	int check, type, card, swiped, refunded, receipt, last4, other;
	int64_t amount, tip, grat, tendered, fees, refund;
};
struct order {
	uint64_t id;
	int num, opened, paid, closed;
	int guests, option, source, area, service, customer, voided, disc_reason;
	const char *server, *tab;
	char table[8];
	int nitems, nchecks, npay;
	struct item it[MAX_ITEMS];
	struct check ck[MAX_CHECKS];
	struct pay p[MAX_PAYS];
	int64_t gross, disc, amount, tax, tip, grat;
};
struct agg {
	long qty_all, qty, void_qty, orders;
	int64_t gross_all, gross, void_amt, disc, net;
	int last_order;
};
struct daystate {
	struct agg a[NMENU];
	int64_t cash[2];           /* cash taken per drawer */
	int check_no;
	uint32_t seq_check, seq_pay, seq_sel, seq_kit, seq_cash;
	long orders;               /* good OrderDetails rows */
	int64_t sales;             /* their non-voided Amount */
	int64_t last_counted;      /* what the last OrderDetails row added to sales, -1 if not counted */
};

/* orders.c */
uint64_t id17(const struct day *dy, int kind, uint32_t seq, struct rng *r);
uint64_t menu_item_id(int i);
uint64_t menu_master_id(int i);
int clamp_day(int t);
void make_order(struct day *dy, struct daystate *ds, int idx, int opened, int no_sales, struct order *o);
void orders_init(void);

/* rows.c */
void row_order_details(struct csvw *w, struct day *dy, struct daystate *ds, const struct order *o);
void row_check_details(struct csvw *w, const struct day *dy, const struct order *o, int c);
void row_item_selection(struct csvw *w, const struct day *dy, const struct order *o, const struct item *it);
void kitchen_tickets(struct csvw *w, struct day *dy, struct daystate *ds, const struct order *o);
void row_payment_details(struct csvw *w, const struct day *dy, const struct order *o, const struct pay *p);
void add_items(struct daystate *ds, const struct order *o, int idx);
void rows_all_items(struct csvw *w, const struct daystate *ds, long norders);
void rows_cash_entries(struct csvw *w, struct day *dy, struct daystate *ds);

#endif
