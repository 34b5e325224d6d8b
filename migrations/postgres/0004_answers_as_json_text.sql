-- Answers as json rather than jsonb: json is stored as the text it arrives as (validated, not
-- decomposed), which makes writing a PAPI-sized interview (about 550 answers) several times cheaper.
-- papi reads answers whole and never queries inside them, so jsonb's indexing buys nothing here.
ALTER TABLE interviews ALTER COLUMN answers TYPE json USING answers::json;
