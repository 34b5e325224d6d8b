-- Survey definitions as registered, and the interviews that answer them.

CREATE TABLE surveys (
    survey_id       TEXT NOT NULL,
    version         TEXT NOT NULL,
    title           TEXT NOT NULL,
    -- The TOML text, so a stored interview can always be read with the definition it answered.
    definition      TEXT NOT NULL,
    definition_hash TEXT NOT NULL,
    registered_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (survey_id, version)
);

CREATE TABLE interviews (
    -- Arrival order, for keyset pagination; the public identity is `id`.
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Client-generated UUID: a resend of the same interview hits this constraint.
    id             TEXT NOT NULL CONSTRAINT interviews_id_key UNIQUE,
    survey_id      TEXT NOT NULL,
    survey_version TEXT NOT NULL,
    -- Values of the definition's location columns (province, district, commune, village...).
    location       JSONB NOT NULL,
    weight         DOUBLE PRECISION,
    enumerator     TEXT,
    started_at     TIMESTAMPTZ,
    finished_at    TIMESTAMPTZ,
    received_at    TIMESTAMPTZ NOT NULL,
    answers        JSONB NOT NULL,
    -- SHA-256 of the interview's content: tells an idempotent resend from a conflicting one.
    content_hash   TEXT NOT NULL,
    review_state   TEXT NOT NULL DEFAULT 'received'
                   CHECK (review_state IN ('received', 'approved', 'has_issues', 'rejected')),
    FOREIGN KEY (survey_id, survey_version) REFERENCES surveys (survey_id, version)
);

CREATE INDEX interviews_by_survey ON interviews (survey_id, survey_version, seq);
CREATE INDEX interviews_by_enumerator ON interviews (enumerator, seq);
