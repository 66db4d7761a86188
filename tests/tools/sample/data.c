/* bf-sample: the reference data of the made-up restaurant (menu, staff, customers). */
#include "orders.h"

const char *const station_name[ST_N] = { "Grill", "Fry", "Pantry", "Pastry", "Bar" };

const char *const menu_name[] = { "Food", "Drinks", "Happy Hour" };
const char *const group_name[] = {
	"Starters", "Salads", "Burgers & Sandwiches", "Mains", "Desserts", "Cocktails", "Beer",
	"Wine", "Non-Alcoholic",
};

const struct menu_item menu[] = {
	{ "Jalapeño Poppers", 0, 0, "Hot Starters", "Food", 1095, ST_FRY, "Vegetarian", "SKU-1001", "", 40 },
	{ "Crab Cakes, Maryland Style", 0, 0, "Hot Starters", "Food", 1695, ST_GRILL, "", "SKU-1002", "4011", 25 },
	{ "Truffle Fries", 0, 0, "Hot Starters", "Food", 950, ST_FRY, "Vegetarian, Gluten Free", "SKU-1003", "", 60 },
	{ "Burrata & Heirloom Tomatoes", 0, 0, "Cold Starters", "Food", 1450, ST_PANTRY, "Vegetarian", "SKU-1004", "", 25 },
	{ "Wings (12 pc)", 0, 0, "Hot Starters", "Food", 1595, ST_FRY, "", "SKU-1005", "4015", 45 },
	{ "Soup du Jour", 0, 0, "", "Food", 795, ST_PANTRY, "", "", "", 20 },
	{ "Caesar Salad", 1, 0, "", "Food", 1250, ST_PANTRY, "", "SKU-1101", "", 35 },
	{ "Niçoise Salad", 1, 0, "", "Food", 1595, ST_PANTRY, "Gluten Free", "SKU-1102", "", 15 },
	{ "Kale & Quinoa Bowl", 1, 0, "", "Food", 1395, ST_PANTRY, "Vegan, Gluten Free", "SKU-1103", "", 20 },
	{ "Classic Cheeseburger", 2, 0, "Burgers", "Food", 1595, ST_GRILL, "", "SKU-1201", "4201", 70 },
	{ "The \"Big Easy\" Burger", 2, 0, "Burgers", "Food", 1895, ST_GRILL, "", "SKU-1202", "4202", 35 },
	{ "Beyond Burger", 2, 0, "Burgers", "Food", 1695, ST_GRILL, "Vegan", "SKU-1203", "", 20 },
	{ "Fried Chicken Sandwich", 2, 0, "Sandwiches", "Food", 1550, ST_FRY, "", "SKU-1204", "", 45 },
	{ "Croque-Monsieur", 2, 0, "Sandwiches", "Food", 1450, ST_GRILL, "", "SKU-1205", "", 15 },
	{ "Steak Frites", 3, 0, "", "Food", 3200, ST_GRILL, "Gluten Free", "SKU-1301", "", 30 },
	{ "Pan-Seared Salmon", 3, 0, "", "Food", 2850, ST_GRILL, "Gluten Free", "SKU-1302", "", 30 },
	{ "Fish & Chips", 3, 0, "", "Food", 2195, ST_FRY, "", "SKU-1303", "", 35 },
	{ "Mushroom Risotto", 3, 0, "", "Food", 2250, ST_GRILL, "Vegetarian", "SKU-1304", "", 20 },
	{ "12\" Margherita Pizza", 3, 0, "Pizza", "Food", 1800, ST_GRILL, "Vegetarian", "SKU-1305", "4305", 40 },
	{ "Half Roast Chicken", 3, 0, "", "Food", 2450, ST_GRILL, "Gluten Free", "SKU-1306", "", 20 },
	{ "Crème brûlée", 4, 0, "", "Food", 995, ST_PASTRY, "Vegetarian", "SKU-1401", "", 25 },
	{ "Chocolate Lava Cake", 4, 0, "", "Food", 1050, ST_PASTRY, "Vegetarian", "SKU-1402", "", 25 },
	{ "Key Lime Pie", 4, 0, "", "Food", 895, ST_PASTRY, "", "SKU-1403", "", 15 },
	{ "Affogato", 4, 0, "", "Food", 750, ST_PASTRY, "", "", "", 10 },
	{ "Old Fashioned", 5, 1, "Whiskey", "Liquor", 1400, ST_BAR, "", "SKU-2001", "", 35 },
	{ "Spicy Margarita", 5, 1, "Tequila", "Liquor", 1300, ST_BAR, "", "SKU-2002", "", 40 },
	{ "Espresso Martini", 5, 1, "Vodka", "Liquor", 1450, ST_BAR, "", "SKU-2003", "", 30 },
	{ "Aperol Spritz", 5, 2, "", "Liquor", 900, ST_BAR, "", "SKU-2004", "", 25 },
	{ "Negroni", 5, 1, "Gin", "Liquor", 1350, ST_BAR, "", "SKU-2005", "", 15 },
	{ "IPA Draft 16oz", 6, 1, "Draft", "Beer", 800, ST_BAR, "", "SKU-2101", "6101", 55 },
	{ "Pilsner Draft 16oz", 6, 1, "Draft", "Beer", 750, ST_BAR, "", "SKU-2102", "6102", 35 },
	{ "Happy Hour Draft", 6, 2, "Draft", "Beer", 500, ST_BAR, "", "SKU-2103", "", 20 },
	{ "Modelo Especial", 6, 1, "Bottles & Cans", "Beer", 700, ST_BAR, "", "SKU-2104", "", 20 },
	{ "Sauvignon Blanc, Glass", 7, 1, "White", "Wine", 1200, ST_BAR, "", "SKU-2201", "", 30 },
	{ "Pinot Noir, Glass", 7, 1, "Red", "Wine", 1400, ST_BAR, "", "SKU-2202", "", 30 },
	{ "Côtes du Rhône, Bottle", 7, 1, "Red", "Wine", 4800, ST_BAR, "", "SKU-2203", "", 8 },
	{ "Prosecco, Glass", 7, 2, "Sparkling", "Wine", 1100, ST_BAR, "", "SKU-2204", "", 15 },
	{ "Fountain Soda", 8, 1, "", "NA Beverage", 350, ST_BAR, "", "", "6301", 60 },
	{ "Fresh Lemonade", 8, 1, "", "NA Beverage", 450, ST_BAR, "Vegan", "", "", 25 },
	{ "Iced Tea", 8, 1, "", "NA Beverage", 400, ST_BAR, "", "", "", 25 },
	{ "Cold Brew", 8, 1, "Coffee", "NA Beverage", 500, ST_BAR, "", "", "", 15 },
	{ "Sparkling Water, 750ml", 8, 1, "", "NA Beverage", 650, ST_BAR, "", "SKU-2305", "", 15 },
};

const char *const servers[] = {
	"Alex Johnson", "María García", "Sam O'Connor", "Priya Patel", "José Núñez",
	"Chloé Martin", "Marcus Lee", "Zoë Schäfer", "Devon Brooks", "Siobhán Kelly",
	"Tyler Nguyen", "Hannah Kim", "Andre Williams", "Emma Lindqvist",
};

const char *const bartenders[] = { "Jamie Rivera", "Björn Olsen", "Keisha Grant", "Luca Romano" };

const char *const cooks[] = {
	"Luis Peña", "Ana Müller", "DeShawn Carter", "Mei Lin", "Rafael Ortiz", "Greta Novak",
};

const char *const managers[] = { "Pat Morgan (Manager)", "Renée Dubois", "Chris Okafor" };

const struct customer customers[] = {
	{ "Jordan Kim", "(617) 555-0142", "jordan.kim@example.com" },
	{ "Smith, Pat", "(617) 555-0199", "pat.smith@example.org" },
	{ "Renée Lefèvre", "(857) 555-0110", "renee.lefevre@example.net" },
	{ "\"Big\" Mike Donovan", "(781) 555-0177", "bigmike@example.com" },
	{ "Aiko Tanaka", "(617) 555-0123", "aiko.t@example.com" },
	{ "Carlos Jiménez", "(339) 555-0155", "cjimenez@example.org" },
	{ "Fatima Al-Sayed", "(617) 555-0188", "fatima.alsayed@example.com" },
	{ "O'Brien, Liam", "(508) 555-0101", "liam.obrien@example.net" },
	{ "Nguyễn Thị Lan", "(617) 555-0164", "lan.nguyen@example.com" },
	{ "Sophie Dubois", "(857) 555-0133", "sophie@example.org" },
	{ "Ben Carter", "", "" },
	{ "Olivia Brown", "(617) 555-0145", "" },
};

const char *const tab_names[] = {
	"Jordan K.", "Smith, Pat", "\"Big\" Mike", "Table 12 - birthday", "Renée", "Liam O.",
	"Aiko", "Carlos J.", "Bar tab #4", "Lee party, 6", "Fatima", "Sophie D.",
};
/* Now and then a tab name runs over two lines. */
const char *const tab_names_multiline[] = {
	"Lee family\nallergy: peanuts", "Birthday - \"Sam\"\nbring candle w/ dessert",
	"Walk-in, party of 5\nhigh chair",
};

const char *const dining_option[] = { "Dine In", "Take Out", "Delivery", "Curbside" };

const char *const order_source[] = {
	"In store", "Online Ordering", "DoorDash", "Uber Eats", "Grubhub", "Kiosk",
};
const char *const pay_source[] = { "In Store", "Online", "API", "API", "API", "Kiosk" };

const char *const area_name[] = { "", "Main Dining", "Bar", "Patio" };
const char *const revenue_center[] = { "Takeout", "Dining Room", "Bar", "Patio" };

const char *const service_name[] = { "Brunch", "Lunch", "Happy Hour", "Dinner" };

const char *const pay_type[] = { "Credit", "Cash", "Gift Card", "Other", "House Account" };
const char *const card_type[] = { "VISA", "MASTERCARD", "AMEX", "DISCOVER" };

const char *const discount_reason[] = {
	"", "Employee Meal", "Happy Hour", "Manager Comp - long wait", "Loyalty, $5 off",
	"Comp - \"kitchen error\"",
};

const char *const payout_reasons[] = {
	"Produce delivery", "Ice run", "Cleaning supplies, urgent", "Farmers' market",
};
const char *const nosale_reasons[] = { "Make change", "Count drawer", "Customer needed change for parking" };
const char *const cash_comments[] = {
	"", "", "", "Receipt in envelope", "Paid driver, \"COD\" delivery",
	"Counted twice.\nShort in quarters", "Approved by GM",
};

const char *const location_names[] = {
	"Harbor Street Kitchen", "Café Lumière, Midtown", "Northside Tap & Grill",
	"Pier 9 Oyster Bar", "The \"Old Mill\" Tavern", "Jalapeño Cantina",
};

