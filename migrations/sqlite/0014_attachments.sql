-- Files sent with an interview (OpenRosa's attachments): the photo, recording or document a media
-- question names, and a device's audit log. Kept beside the interview, never changed: a resend of the
-- same file is acknowledged, not stored twice.
CREATE TABLE attachments (
    interview_id TEXT NOT NULL REFERENCES interviews (id),
    -- The file's name as the answer gives it (no folder).
    name         TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content      BLOB NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (interview_id, name)
);
