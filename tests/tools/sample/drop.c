/* bf-sample: the files of a drop (names, streams, headers as in Toast's data-export field
 * reference), the closure kinds and reasons, the defect kinds. */
#include "sample.h"

const char *const file_stem[NF] = {
	"AllItemsReport", "CashEntries", "CheckDetails", "ItemSelectionDetails",
	"KitchenTimings", "OrderDetails", "PaymentDetails",
};

const char *const stream_name[NF] = {
	"all_items_report", "cash_entries", "check_details", "item_selection_details",
	"kitchen_timings", "order_details", "payment_details",
};

static const char *const hdr_all_items[] = {
	"Master ID", "Item ID", "Parent ID", "Menu Name", "Menu Group", "Subgroup", "Menu Item",
	"Tags", "Avg Price", "Item Qty (incl voids)", "% of Ttl Qty (incl voids)",
	"Gross Amount (incl voids)", "% of Ttl Amt (incl voids)", "Item Qty", "Gross Amount",
	"Void Qty", "Void Amount", "Discount Amount", "Net Amount", "# Orders",
	"% of Ttl # Orders", "% Qty (Group)", "% Qty (Menu)", "% Qty (All)",
	"% Net Amt (Group)", "% Net Amt (Menu)", "% Net Amt (All)", NULL,
};

static const char *const hdr_cash[] = {
	"Location", "Entry Id", "Created Date", "Action", "Amount", "Cash Drawer",
	"Payout Reason", "No Sale Reason", "Comment", "Employee", "Employee 2", NULL,
};

static const char *const hdr_check[] = {
	"Customer Id", "Customer", "Customer Phone", "Customer Email", "Location Code",
	"Opened Date", "Opened Time", "Item Description", "Server", "Tax", "Tender", "Check Id",
	"Check #", "Total", "Customer Family", "Table Size", "Discount", "Reason of Discount",
	"Link", NULL,
};

static const char *const hdr_itemsel[] = {
	"Location", "Order Id", "Order #", "Sent Date", "Order Date", "Check Id", "Server",
	"Table", "Dining Area", "Service", "Dining Option", "Item Selection Id", "Item Id",
	"Master Id", "SKU", "PLU", "Menu Item", "Menu Subgroup(s)", "Menu Group", "Menu",
	"Sales Category", "Gross Price", "Discount", "Net Price", "Qty", "Tax", "Void?",
	"Deferred", "Tax Exempt", "Tax Inclusion Option", "Dining Option Tax", "Tab Name", NULL,
};

static const char *const hdr_kitchen[] = {
	"Location", "ID", "Server", "Check #", "Table", "Check Opened", "Station",
	"Expediter Level", "Fired Date", "Fulfilled Date", "Fulfillment Time", "Fulfilled By",
	NULL,
};

static const char *const hdr_order[] = {
	"Location", "Order Id", "Order #", "Checks", "Opened", "# of Guests", "Tab Names",
	"Server", "Table", "Revenue Center", "Dining Area", "Service", "Dining Options",
	"Discount Amount", "Amount", "Tax", "Tip", "Gratuity", "Total", "Voided", "Paid",
	"Closed", "Duration (Opened to Paid)", "Order Source", NULL,
};

static const char *const hdr_payment[] = {
	"Location", "Payment Id", "Order Id", "Order #", "Paid Date", "Order Date", "Check Id",
	"Check #", "Tab Name", "Server", "Table", "Dining Area", "Service", "Dining Option",
	"House Acct #", "Amount", "Tip", "Gratuity", "Total", "Swiped Card Amount",
	"Keyed Card Amount", "Amount Tendered", "Refunded", "Refund Date", "Refund Amount",
	"Refund Tip Amount", "Void User", "Void Approver", "Void Date", "Status", "Type",
	"Cash Drawer", "Card Type", "Other Type", "Email", "Phone", "Last 4 Card Digits",
	"V/MC/D Fees", "Room Info", "Receipt", "Source", NULL,
};

const char *const *const file_header[NF] = {
	hdr_all_items, hdr_cash, hdr_check, hdr_itemsel, hdr_kitchen, hdr_order, hdr_payment,
};

/* ------------------------------------------------------------------------------------
 * Closures and defects */

const char *const closure_name[CL_N] = {
	NULL, "missing_folder", "empty_folder", "few_files", "header_only", "few_orders",
	"no_sales",
};

const char *const closure_reason[CL_N] = {
	NULL, "no_files", "no_files", "insufficient_files", "low_activity", "low_activity",
	"low_sales",
};

const char *const reason_name[R_N] = {
	"no_files", "insufficient_files", "low_activity", "low_sales",
};

const char *const defect_name[D_N] = {
	NULL, "bom", "ragged", "truncated", "invalid_utf8", "blank_lines", "gzip",
};

