# shellcheck shell=bash
# A generated table of medical work orders, for the SQL source tests and benchmarks.
#
#   workorders_pg ROWS DAYS [TABLE]       SQL for PostgreSQL: TABLE (default work_orders)
#   workorders_mariadb ROWS DAYS [TABLE]  the same table for MariaDB (its Sequence engine)
#
# ROWS rows spread evenly over DAYS days from 2024-03-01 (America/New_York business
# days, so the spring DST change is inside), three sites, the value kinds a warehouse
# has: bigint ids, money with negative credits, text with quotes and accents, NULLs.
# Both are laid out for reading by date, as a warehouse's history is: PostgreSQL's rows
# inserted in date order with an index on the date, MariaDB's clustered on (date, id).

workorders_pg() {
	local rows=$1 days=$2 t=${3:-work_orders}
	cat <<SQL
DROP TABLE IF EXISTS $t;
CREATE TABLE $t (
    id bigint PRIMARY KEY, site text NOT NULL, opened timestamptz NOT NULL,
    department text, priority text, description text, cost numeric(12,2), credit numeric(12,2),
    closed boolean);
INSERT INTO $t
SELECT 900000000000000000 + g,
       (ARRAY['north','south','east'])[1 + g % 3],
       TIMESTAMPTZ '2024-03-01 05:00:00+00' + ((g - 1) * ($days * 86400.0 / $rows)) * INTERVAL '1 second',
       (ARRAY['Radiology','Cardiology','Oncology','Pharmacy','Surgery'])[1 + g % 5],
       (ARRAY['low','normal','urgent'])[1 + g % 3],
       'Replace the "' || (ARRAY['infusion pump','MRI coil','defibrillator pads','bed rail','ECG lead'])[1 + g % 5]
         || '" in room ' || (g % 400) || CASE WHEN g % 7 = 0 THEN ' — patient ü café' ELSE '' END,
       ((g * 37) % 100000) / 100.0,
       CASE WHEN g % 11 = 0 THEN -((g % 5000) / 100.0) END,
       g % 4 = 0
FROM generate_series(1, $rows) g;
CREATE INDEX ON $t (opened);
ANALYZE $t;
SQL
}

workorders_mariadb() {
	local rows=$1 days=$2 t=${3:-work_orders}
	cat <<SQL
DROP TABLE IF EXISTS $t;
CREATE TABLE $t (
    id BIGINT NOT NULL, site VARCHAR(16) NOT NULL, opened DATETIME NOT NULL,
    department VARCHAR(32), priority VARCHAR(16), description VARCHAR(200), cost DECIMAL(12,2),
    credit DECIMAL(12,2), closed BOOLEAN, PRIMARY KEY (opened, id), UNIQUE KEY (id));
INSERT INTO $t
SELECT 900000000000000000 + seq,
       ELT(1 + seq % 3, 'north', 'south', 'east'),
       TIMESTAMP '2024-03-01 00:00:00' + INTERVAL FLOOR((seq - 1) * ($days * 86400.0 / $rows)) SECOND,
       ELT(1 + seq % 5, 'Radiology', 'Cardiology', 'Oncology', 'Pharmacy', 'Surgery'),
       ELT(1 + seq % 3, 'low', 'normal', 'urgent'),
       CONCAT('Replace the "', ELT(1 + seq % 5, 'infusion pump', 'MRI coil', 'defibrillator pads', 'bed rail',
         'ECG lead'), '" in room ', seq % 400, IF(seq % 7 = 0, ' — patient ü café', '')),
       ((seq * 37) % 100000) / 100.0,
       IF(seq % 11 = 0, -((seq % 5000) / 100.0), NULL),
       seq % 4 = 0
FROM seq_1_to_$rows;
SQL
}
