-- Census margins registered with a survey version: a recompute rakes the design weights to them.
-- Versioned like a sample: the latest is in force, the earlier ones stay as the record.
CREATE TABLE survey_margins (
    survey_id       TEXT NOT NULL,
    survey_version  TEXT NOT NULL,
    margins_version BIGINT NOT NULL CHECK (margins_version >= 1),
    -- The margins file's TOML text, as `papi score --margins` reads it.
    margins         TEXT NOT NULL,
    registered_by   TEXT NOT NULL,
    registered_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (survey_id, survey_version, margins_version),
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);
CREATE FUNCTION survey_margins_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'registered margins are immutable';
END;
$$;
CREATE TRIGGER survey_margins_immutable BEFORE UPDATE OR DELETE ON survey_margins
    FOR EACH ROW EXECUTE FUNCTION survey_margins_immutable();
CREATE TRIGGER survey_margins_no_truncate BEFORE TRUNCATE ON survey_margins
    FOR EACH STATEMENT EXECUTE FUNCTION survey_margins_immutable();
