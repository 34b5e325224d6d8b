-- Failed sign-ins, one row per key ('user:NAME' or 'addr:ADDRESS'): how many in a row, and the
-- earliest time (milliseconds since 1970) the key may try again. One row per key, updated in one
-- statement, so that parallel attempts cannot all read "no failures yet". It replaces the list of
-- failures, which grew by a row per attempt.
CREATE TABLE sign_in_throttle (
    throttle_key  TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    not_before_ms BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL
);
CREATE INDEX sign_in_throttle_by_age ON sign_in_throttle (updated_ms);
DROP TABLE login_failures;
