-- Analyst exports run as background jobs: what was asked, by whom, how far it got, and where the file
-- is. The file itself lives on disk (papi serve --exports-dir), never in the database.
CREATE TABLE export_jobs (
    id             TEXT PRIMARY KEY,
    survey_id      TEXT NOT NULL,
    survey_version TEXT NOT NULL,
    -- csv, parquet or xlsx
    format         TEXT NOT NULL CHECK (format IN ('csv', 'parquet', 'xlsx')),
    bom            BOOLEAN NOT NULL DEFAULT FALSE,
    -- JSON array of review states; empty: every state.
    review_states  JSONB NOT NULL DEFAULT '[]',
    requested_by   TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'done', 'failed')),
    rows_written   BIGINT NOT NULL DEFAULT 0,
    rows_total     BIGINT,
    error          TEXT,
    -- The file's name inside the exports directory, once written.
    file_name      TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);
CREATE INDEX export_jobs_by_requester ON export_jobs (requested_by, created_at);
