-- bf state file, schema version 1.
-- Times are UTC RFC 3339 text; dates are YYYY-MM-DD; a partition is (source, location, date).

-- One row per process run of any stage.
CREATE TABLE runs (
    run_id      INTEGER PRIMARY KEY,
    stage       TEXT NOT NULL,               -- extract, enrich, closure, load, run (bf-report writes none)
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    exit_code   INTEGER,                     -- NULL while running (or killed)
    pid         INTEGER,
    args        TEXT,                        -- options, secrets never included
    parent_run  INTEGER                      -- the bf-run that spawned it, if any
);

-- One row per (source, location, date): where each date of a backfill stands.
CREATE TABLE partitions (
    source      TEXT NOT NULL,               -- canonical source, no credentials
    location    TEXT NOT NULL,               -- '' when the layout has none
    date        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'running', 'loaded', 'closed', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    folder      TEXT,                        -- present, empty, missing
    files       INTEGER,
    rows        INTEGER,                     -- data rows extracted
    quarantined INTEGER,
    loaded_rows INTEGER,                     -- rows the sink committed
    started_at  TEXT,
    finished_at TEXT,
    duration_ms INTEGER,
    run_id      INTEGER,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (source, location, date)
) WITHOUT ROWID;
CREATE INDEX partitions_status ON partitions (status, date);

-- Every file read, with what identifies its content.
CREATE TABLE files (
    source      TEXT NOT NULL,
    location    TEXT NOT NULL,
    date        TEXT NOT NULL,
    name        TEXT NOT NULL,               -- path relative to the source root
    stream      TEXT NOT NULL,
    size        INTEGER,
    mtime       TEXT,
    sha256      TEXT,
    header_fingerprint TEXT,
    rows        INTEGER,
    bad_rows    INTEGER,
    seen_at     TEXT NOT NULL,
    run_id      INTEGER,
    PRIMARY KEY (source, location, date, name)
) WITHOUT ROWID;

-- Bad input kept, never dropped: the raw bytes and why.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER,
    stage       TEXT NOT NULL,
    source      TEXT NOT NULL,
    location    TEXT NOT NULL,
    date        TEXT NOT NULL,
    file        TEXT NOT NULL,
    line        INTEGER,
    reason      TEXT NOT NULL,
    raw         BLOB,
    at          TEXT NOT NULL
);
CREATE INDEX quarantine_partition ON quarantine (source, location, date);

-- Errors that stopped a file, a date or a run.
CREATE TABLE errors (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER,
    stage       TEXT NOT NULL,
    source      TEXT,
    location    TEXT,
    date        TEXT,
    exit_code   INTEGER NOT NULL,
    message     TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX errors_partition ON errors (source, location, date);

-- Closure verdicts with the evidence they were based on.
CREATE TABLE closures (
    source      TEXT NOT NULL,
    location    TEXT NOT NULL,
    date        TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('open', 'closed', 'pending')),
    reason      TEXT,                        -- no_files, insufficient_files, low_activity, low_sales
    evidence    TEXT,                        -- JSON: thresholds, baseline, observed values
    decided_at  TEXT NOT NULL,
    run_id      INTEGER,
    PRIMARY KEY (source, location, date)
) WITHOUT ROWID;

-- Numbers per run, stage and partition (rows, bytes, seconds, ...).
CREATE TABLE metrics (
    run_id      INTEGER,
    stage       TEXT NOT NULL,
    source      TEXT,
    location    TEXT,
    date        TEXT,
    name        TEXT NOT NULL,
    value       REAL NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX metrics_run ON metrics (run_id, stage);

-- bf-run
-- A date being worked on by one bf-run: others leave it alone until the lease expires
-- (lease_until, Unix seconds, renewed while the holder runs) or the holder's process is
-- gone (pid on host).
CREATE TABLE claims (
    source      TEXT NOT NULL,
    date        TEXT NOT NULL,
    run_id      INTEGER,
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    claimed_at  TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    PRIMARY KEY (source, date)
) WITHOUT ROWID;

-- What each bf-run did with each date it took on.
CREATE TABLE run_dates (
    run_id      INTEGER NOT NULL,
    source      TEXT NOT NULL,
    date        TEXT NOT NULL,
    outcome     TEXT NOT NULL
                CHECK (outcome IN ('loaded', 'closed', 'pending', 'failed', 'interrupted')),
    exit_code   INTEGER,
    stage       TEXT,                        -- the stage that decided a failure
    error       TEXT,
    tries       INTEGER NOT NULL,
    rows        INTEGER,                     -- rows loaded
    duration_ms INTEGER,
    at          TEXT NOT NULL,
    PRIMARY KEY (run_id, source, date)
) WITHOUT ROWID;

-- Alerts raised by bf-run thresholds (failure rate, throughput drop, error burst).
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER,
    kind        TEXT NOT NULL,               -- failure_rate, throughput_drop, error_burst
    value       REAL,
    threshold   REAL,
    message     TEXT NOT NULL,
    at          TEXT NOT NULL
);

-- bf-enrich
-- Answers of model APIs, so that a re-run or a retry pays nothing for inputs already done.
CREATE TABLE enrich_cache (
    key         TEXT PRIMARY KEY,            -- hex SHA-256 of model NUL task NUL input
    model       TEXT NOT NULL,
    task        TEXT NOT NULL,               -- embed, classify:L1|L2|, prompt, prompt:json
    output      TEXT NOT NULL,               -- the JSON value added to the record
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Token usage and cost of model APIs per run, business date and model.
CREATE TABLE enrich_usage (
    run_id      INTEGER NOT NULL,
    date        TEXT NOT NULL,               -- '' for records without lineage
    model       TEXT NOT NULL,
    requests    INTEGER NOT NULL DEFAULT 0,  -- HTTP requests sent, retries included
    inputs      INTEGER NOT NULL DEFAULT 0,  -- inputs sent (not from the cache)
    cached      INTEGER NOT NULL DEFAULT 0,  -- inputs answered from enrich_cache
    failed      INTEGER NOT NULL DEFAULT 0,  -- inputs that got no valid answer
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost        REAL NOT NULL DEFAULT 0,     -- from --price-per-1k-tokens
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (run_id, date, model)
) WITHOUT ROWID;
