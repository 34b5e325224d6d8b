-- Fieldwork supervision (review history, quotas, quality flags, settings) and the leadership dashboard
-- (published score runs, the province plan's tasks and their status).

-- Quality flags are computed once, when an interview arrives: the fieldwork page must not re-read every
-- answer. answers_hash is the SHA-256 of the answers alone (not the id, place or times), so identical
-- answer sets under different ids share it.
ALTER TABLE interviews ADD COLUMN answers_hash TEXT;
ALTER TABLE interviews ADD COLUMN duration_seconds DOUBLE PRECISION;
-- The choice list answered the same way throughout, when it was (straight-lining); NULL otherwise.
ALTER TABLE interviews ADD COLUMN straightlining TEXT;
CREATE INDEX interviews_by_answers ON interviews (survey_id, survey_version, answers_hash);
CREATE INDEX interviews_by_review_state ON interviews (survey_id, survey_version, review_state, seq);

-- Every review decision, in order. The interview's review_state is the latest one.
CREATE TABLE reviews (
    seq          BIGSERIAL PRIMARY KEY,
    interview_id TEXT NOT NULL REFERENCES interviews (id),
    from_state   TEXT NOT NULL,
    to_state     TEXT NOT NULL CHECK (to_state IN ('received', 'approved', 'has_issues', 'rejected')),
    comment      TEXT NOT NULL DEFAULT '',
    reviewer     TEXT NOT NULL,
    reviewed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX reviews_by_interview ON reviews (interview_id, seq);
CREATE FUNCTION reviews_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'review history is append-only';
END;
$$;
CREATE TRIGGER reviews_append_only BEFORE UPDATE OR DELETE ON reviews
    FOR EACH ROW EXECUTE FUNCTION reviews_append_only();

-- Per survey version: which interviews a score run takes, quality thresholds, suppression.
CREATE TABLE survey_settings (
    survey_id      TEXT NOT NULL,
    survey_version TEXT NOT NULL,
    key            TEXT NOT NULL,
    value          TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (survey_id, survey_version, key),
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);

-- How many interviews the sample plans in each place (the location columns, down to the level given).
CREATE TABLE quotas (
    survey_id      TEXT NOT NULL,
    survey_version TEXT NOT NULL,
    -- The location values joined with ' / ', for the key; `location` keeps them by column.
    place          TEXT NOT NULL,
    location       JSONB NOT NULL,
    target         BIGINT NOT NULL CHECK (target >= 0),
    PRIMARY KEY (survey_id, survey_version, place),
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);

-- A publication puts score runs in front of the leadership: the province as a whole and by stratum.
CREATE TABLE publications (
    id             TEXT PRIMARY KEY,
    survey_id      TEXT NOT NULL,
    survey_version TEXT NOT NULL,
    overall_run    TEXT NOT NULL REFERENCES score_runs (id),
    strata_run     TEXT REFERENCES score_runs (id),
    -- The survey wave the runs describe, as shown on the history chart.
    wave_year      INTEGER NOT NULL,
    published_by   TEXT NOT NULL,
    published_at   TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);
CREATE INDEX publications_by_survey ON publications (survey_id, survey_version, published_at);
CREATE FUNCTION publications_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'publications are immutable';
END;
$$;
CREATE TRIGGER publications_immutable BEFORE UPDATE ON publications
    FOR EACH ROW EXECUTE FUNCTION publications_immutable();

-- Action plans (such as Plan 53/KH-UBND) as registered, and the status of each task.
CREATE TABLE plans (
    plan_id       TEXT PRIMARY KEY,
    definition    TEXT NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE plan_task_status (
    plan_id    TEXT NOT NULL REFERENCES plans (plan_id),
    task_id    TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('not_started', 'in_progress', 'done', 'delayed')),
    note       TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (plan_id, task_id)
);
