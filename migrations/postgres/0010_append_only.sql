-- Evidence is only ever added to: the audit log, score runs, publications, review decisions and
-- registered samples. Row triggers refuse UPDATE and DELETE (0002, 0003, 0006, 0009), but TRUNCATE
-- fires no row trigger, and 0006 refused changing a publication but not deleting one. A TRUNCATE
-- that reaches these tables through CASCADE fires their statement triggers too.
--
-- The table owner can still drop or disable a trigger: run the service as a role that owns nothing
-- (README, "Running it for real").

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER score_runs_no_truncate BEFORE TRUNCATE ON score_runs
    FOR EACH STATEMENT EXECUTE FUNCTION score_runs_immutable();

CREATE TRIGGER publications_immutable_delete BEFORE DELETE ON publications
    FOR EACH ROW EXECUTE FUNCTION publications_immutable();
CREATE TRIGGER publications_no_truncate BEFORE TRUNCATE ON publications
    FOR EACH STATEMENT EXECUTE FUNCTION publications_immutable();

CREATE TRIGGER reviews_no_truncate BEFORE TRUNCATE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION reviews_append_only();

-- samples has refused TRUNCATE since 0009.
