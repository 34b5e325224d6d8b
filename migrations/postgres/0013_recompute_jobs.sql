-- Recompute jobs, in the database rather than one instance's memory: any instance answers a poll,
-- and at most one job runs per survey version (the partial unique index decides between requests
-- that race). A running job touches updated_at as it goes; one silent for long was interrupted.
CREATE TABLE recompute_jobs (
    id               TEXT PRIMARY KEY,
    survey_id        TEXT NOT NULL,
    survey_version   TEXT NOT NULL,
    requested_by     TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    phase            TEXT NOT NULL,
    interviews_read  BIGINT NOT NULL DEFAULT 0,
    interviews_total BIGINT NOT NULL DEFAULT 0,
    left_out         BIGINT,
    publication      TEXT,
    total            DOUBLE PRECISION,
    error            TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);
CREATE UNIQUE INDEX recompute_jobs_one_running ON recompute_jobs (survey_id, survey_version)
    WHERE status = 'running';
CREATE INDEX recompute_jobs_by_age ON recompute_jobs (created_at);
CREATE INDEX export_jobs_by_age ON export_jobs (created_at);
