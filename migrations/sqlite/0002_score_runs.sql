-- Score runs: immutable records of a recompute against the database, so that a dashboard can show a
-- named, reproducible result.
CREATE TABLE score_runs (
    id              TEXT PRIMARY KEY,
    survey_id       TEXT NOT NULL,
    survey_version  TEXT NOT NULL,
    definition_hash TEXT NOT NULL,
    -- SHA-256 over the ids and content hashes of the interviews scored.
    data_hash       TEXT NOT NULL,
    interviews      INTEGER NOT NULL,
    parameters      TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    result          TEXT NOT NULL,
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);
CREATE INDEX score_runs_by_survey ON score_runs (survey_id, survey_version, created_at);

-- Runs are never changed or deleted.
CREATE TRIGGER score_runs_immutable_update BEFORE UPDATE ON score_runs
BEGIN
    SELECT RAISE(ABORT, 'score runs are immutable');
END;
CREATE TRIGGER score_runs_immutable_delete BEFORE DELETE ON score_runs
BEGIN
    SELECT RAISE(ABORT, 'score runs are immutable');
END;
