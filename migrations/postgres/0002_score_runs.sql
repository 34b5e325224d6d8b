-- Score runs: immutable records of a recompute against the database, so that a dashboard can show a
-- named, reproducible result.
CREATE TABLE score_runs (
    id              TEXT PRIMARY KEY,
    survey_id       TEXT NOT NULL,
    survey_version  TEXT NOT NULL,
    definition_hash TEXT NOT NULL,
    -- SHA-256 over the ids and content hashes of the interviews scored.
    data_hash       TEXT NOT NULL,
    interviews      BIGINT NOT NULL,
    parameters      JSONB NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    result          TEXT NOT NULL,
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);
CREATE INDEX score_runs_by_survey ON score_runs (survey_id, survey_version, created_at);

-- Runs are never changed or deleted.
CREATE FUNCTION score_runs_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'score runs are immutable';
END;
$$;
CREATE TRIGGER score_runs_immutable BEFORE UPDATE OR DELETE ON score_runs
    FOR EACH ROW EXECUTE FUNCTION score_runs_immutable();
