-- Evidence is only ever added to: the audit log, score runs, publications, review decisions and
-- registered samples. Their UPDATE and DELETE triggers (0002, 0003, 0006, 0009) do not see
-- `INSERT OR REPLACE` or `REPLACE`, which delete the row whose key is taken without firing DELETE
-- triggers (SQLite fires them only with recursive_triggers on) and insert another in its place. So
-- an insert whose key is already there is refused, whatever its conflict clause says. (A row added
-- without its key gives NEW.seq = -1 here, which no row has.)

CREATE TRIGGER audit_log_append_only_insert BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER score_runs_immutable_insert BEFORE INSERT ON score_runs
WHEN EXISTS (SELECT 1 FROM score_runs WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'score runs are immutable');
END;

CREATE TRIGGER publications_immutable_insert BEFORE INSERT ON publications
WHEN EXISTS (SELECT 1 FROM publications WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'publications are immutable');
END;

-- 0006 refused changing a publication but not deleting one.
CREATE TRIGGER publications_immutable_delete BEFORE DELETE ON publications
BEGIN
    SELECT RAISE(ABORT, 'publications are immutable');
END;

CREATE TRIGGER reviews_append_only_insert BEFORE INSERT ON reviews
WHEN EXISTS (SELECT 1 FROM reviews WHERE seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'review history is append-only');
END;

CREATE TRIGGER samples_immutable_insert BEFORE INSERT ON samples
WHEN EXISTS (
    SELECT 1 FROM samples
    WHERE survey_id = NEW.survey_id
      AND survey_version = NEW.survey_version
      AND sample_version = NEW.sample_version
)
BEGIN
    SELECT RAISE(ABORT, 'registered samples are immutable');
END;
