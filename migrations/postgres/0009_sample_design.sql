-- The sample design lives on the server: the sample drawn from a sampling frame, registered with a
-- survey version, the villages it selected, and who is assigned to each. Weights are computed from
-- it; nothing a client sends sets a weight or a place.

-- Every registered draw, versioned like a definition: the latest is the survey's configuration, the
-- earlier ones stay as the record of what was in force.
CREATE TABLE samples (
    survey_id      TEXT NOT NULL,
    survey_version TEXT NOT NULL,
    sample_version BIGINT NOT NULL CHECK (sample_version >= 1),
    -- The frame's text, so the draw can be repeated from the record alone.
    frame          TEXT NOT NULL,
    frame_hash     TEXT NOT NULL,
    -- The draw's options (seed, sizes) as JSON, and the drawn sample (papi-sample's JSON).
    parameters     JSONB NOT NULL,
    sample         TEXT NOT NULL,
    sample_hash    TEXT NOT NULL,
    registered_by  TEXT NOT NULL,
    registered_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (survey_id, survey_version, sample_version),
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);
CREATE FUNCTION samples_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'registered samples are immutable';
END;
$$;
CREATE TRIGGER samples_immutable BEFORE UPDATE OR DELETE ON samples
    FOR EACH ROW EXECUTE FUNCTION samples_immutable();
CREATE TRIGGER samples_no_truncate BEFORE TRUNCATE ON samples
    FOR EACH STATEMENT EXECUTE FUNCTION samples_immutable();

-- The villages (finest location level) of the survey version's current sample: the places an
-- interview may come from. Replaced whole when a new sample is registered.
CREATE TABLE sample_places (
    survey_id             TEXT NOT NULL,
    survey_version        TEXT NOT NULL,
    -- The location values joined with ' / ', as in quotas; `location` keeps them by column.
    place                 TEXT NOT NULL,
    location              JSONB NOT NULL,
    planned               BIGINT NOT NULL CHECK (planned >= 0),
    inclusion_probability DOUBLE PRECISION NOT NULL CHECK (inclusion_probability > 0 AND inclusion_probability <= 1),
    base_weight           DOUBLE PRECISION NOT NULL CHECK (base_weight > 0),
    PRIMARY KEY (survey_id, survey_version, place),
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);

-- Which enumerator works in which village of the sample, set by a supervisor.
CREATE TABLE assignments (
    survey_id      TEXT NOT NULL,
    survey_version TEXT NOT NULL,
    place          TEXT NOT NULL,
    enumerator     TEXT NOT NULL,
    assigned_by    TEXT NOT NULL,
    assigned_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (survey_id, survey_version, place, enumerator),
    FOREIGN KEY (survey_id, survey_version, place) REFERENCES sample_places (survey_id, survey_version, place)
);
CREATE INDEX assignments_by_enumerator ON assignments (survey_id, survey_version, enumerator);

-- What a publication's recompute left out, and why (JSON list of {id, code, reason}).
ALTER TABLE publications ADD COLUMN left_out JSONB NOT NULL DEFAULT '[]';
