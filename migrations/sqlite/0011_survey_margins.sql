-- Census margins registered with a survey version: a recompute rakes the design weights to them.
-- Versioned like a sample: the latest is in force, the earlier ones stay as the record.
CREATE TABLE survey_margins (
    survey_id       TEXT NOT NULL,
    survey_version  TEXT NOT NULL,
    margins_version INTEGER NOT NULL CHECK (margins_version >= 1),
    -- The margins file's TOML text, as `papi score --margins` reads it.
    margins         TEXT NOT NULL,
    registered_by   TEXT NOT NULL,
    registered_at   TEXT NOT NULL,
    PRIMARY KEY (survey_id, survey_version, margins_version),
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);
CREATE TRIGGER survey_margins_immutable_update BEFORE UPDATE ON survey_margins
BEGIN
    SELECT RAISE(ABORT, 'registered margins are immutable');
END;
CREATE TRIGGER survey_margins_immutable_delete BEFORE DELETE ON survey_margins
BEGIN
    SELECT RAISE(ABORT, 'registered margins are immutable');
END;
CREATE TRIGGER survey_margins_no_replace BEFORE INSERT ON survey_margins
WHEN EXISTS (SELECT 1 FROM survey_margins WHERE survey_id = NEW.survey_id
             AND survey_version = NEW.survey_version AND margins_version = NEW.margins_version)
BEGIN
    SELECT RAISE(ABORT, 'registered margins are immutable');
END;
