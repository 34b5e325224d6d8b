-- People and devices that use the service, and the append-only audit log.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL CONSTRAINT users_username_key UNIQUE,
    -- Argon2id, in PHC string form; never the password.
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'analyst', 'leader', 'enumerator')),
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);

-- Bearer tokens for devices and scripts. Only a SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'analyst', 'leader', 'enumerator')),
    token_hash   TEXT NOT NULL CONSTRAINT api_tokens_hash_key UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);

-- Who did what, when. Rows are only ever added.
CREATE TABLE audit_log (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
