-- Browser sessions (by cookie, with a CSRF token) and failed sign-ins (for rate limiting). Both live in
-- the database so that any instance of the service can check them.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE login_failures (
    username TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (username, at);
