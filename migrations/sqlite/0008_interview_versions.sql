-- Versions of an interview. An edit sent by ODK Collect or Enketo (OpenRosa's meta/deprecatedID) is
-- stored as a new interview under its own id, and the interview it replaces names it here. Only an
-- interview whose superseded_by is NULL is live: scoring and listings read live interviews only, and
-- the old versions stay for the record.
ALTER TABLE interviews ADD COLUMN superseded_by TEXT;
