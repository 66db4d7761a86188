-- bf state file, schema version 2: where each partition was committed (one state file can
-- backfill several warehouses), what a bf-run plans and how far it is, closure marker
-- rows, and run times in milliseconds.

-- One row per partition committed in a target. A partition is done for a target when it
-- has a row here with status loaded or closed for that target (bf-load writes it in the
-- transaction that marks the partition). partitions.status stays the outcome of the
-- latest attempt, whatever its target.
CREATE TABLE loads (
    source      TEXT NOT NULL,
    location    TEXT NOT NULL,
    date        TEXT NOT NULL,
    target      TEXT NOT NULL,               -- the target's key (see docs/running.md); '' for
                                             -- a load recorded before version 2: done for any target
    status      TEXT NOT NULL CHECK (status IN ('loaded', 'closed', 'pending')),
    rows        INTEGER,                     -- rows committed, closure marker rows included
    marker_rows INTEGER,                     -- closure marker rows among them
    run_id      INTEGER,                     -- the bf-load run
    loaded_at   TEXT NOT NULL,
    PRIMARY KEY (source, location, date, target)
) WITHOUT ROWID;
CREATE INDEX loads_target ON loads (target, source, date);

-- A state file of version 1 did not say where its partitions went: they count as done
-- for every target, as they did (bf-run --force redoes them).
INSERT INTO loads (source, location, date, target, status, rows, run_id, loaded_at)
    SELECT source, location, date, '', status, loaded_rows, run_id, coalesce(finished_at, updated_at)
    FROM partitions WHERE status IN ('loaded', 'closed');

-- Closure marker rows among partitions.loaded_rows (rows bf-closure added on a closed day).
ALTER TABLE partitions ADD COLUMN marker_rows INTEGER;

-- Run time measured by the process itself (finished_at - started_at has whole seconds).
ALTER TABLE runs ADD COLUMN duration_ms INTEGER;

-- What bf-run's progress line shows, one row per bf-run, updated as partitions commit
-- (at most about once a second) and when the run ends.
CREATE TABLE run_progress (
    run_id      INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    target      TEXT,                        -- the target's key, NULL for a shell pipeline without one
    state       TEXT NOT NULL                -- running, paused (circuit breaker), stopping, finished
                CHECK (state IN ('running', 'paused', 'stopping', 'finished')),
    dates_selected     INTEGER NOT NULL,
    dates_planned      INTEGER NOT NULL,     -- dates to do
    partitions_planned INTEGER NOT NULL,     -- dates to do x locations
    dates_done         INTEGER NOT NULL DEFAULT 0,  -- processed, or done by another run
    dates_failed       INTEGER NOT NULL DEFAULT 0,
    partitions_done    INTEGER NOT NULL DEFAULT 0,  -- committed (or judged) so far
    partitions_closed  INTEGER NOT NULL DEFAULT 0,
    rows_loaded        INTEGER NOT NULL DEFAULT 0,  -- closure marker rows included
    rows_quarantined   INTEGER NOT NULL DEFAULT 0,
    rows_per_s         REAL,
    eta_s              REAL,                 -- NULL while unknown
    batch_size         INTEGER,              -- dates per pipeline now
    updated_at         TEXT NOT NULL
);
