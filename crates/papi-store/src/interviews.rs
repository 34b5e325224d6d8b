//! Interviews: storing a batch in one transaction (created, duplicate or conflict, decided by the
//! unique constraint on the interview id), and reading them back a keyset page at a time.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use papi_survey::{Interview, Survey};
use serde_json::Value as Json;
use sqlx::types::Json as SqlJson;
use sqlx::Row as _;
use uuid::Uuid;

use crate::{Backend, Pool, Store, StoreError};

/// How many interviews go into one multi-row INSERT (SQLite allows 32,766 bound values).
const ROWS_PER_STATEMENT: usize = 500;

/// Columns bound per interview in the INSERT (500 × 14 stays under SQLite's 32,766 bound values).
const COLUMNS: usize = 14;

/// What became of one interview handed to [`Store::insert_interviews`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored now.
    Created,
    /// Already stored with the same content: acknowledged, not stored twice.
    Duplicate,
    /// Already stored with different content under the same id.
    Conflict,
}

/// The result of [`Store::insert_interviews`]: one outcome per interview, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertReport {
    pub outcomes: Vec<InsertOutcome>,
    /// False when a conflict rolled the whole batch back.
    pub committed: bool,
}

impl InsertReport {
    pub fn count(&self, outcome: InsertOutcome) -> usize {
        self.outcomes.iter().filter(|o| **o == outcome).count()
    }
}

/// Which interviews to list, and where to start.
#[derive(Debug, Clone, Default)]
pub struct InterviewFilter {
    /// Keyset: only interviews stored after this arrival number.
    pub after_seq: i64,
    pub limit: i64,
    /// One interview by its id.
    pub id: Option<Uuid>,
    pub enumerator: Option<String>,
    pub review_state: Option<String>,
    /// Any of these review states (none given: every state).
    pub review_states: Vec<String>,
    pub received_since: Option<DateTime<Utc>>,
    /// Location column → value.
    pub location: Vec<(String, String)>,
}

/// An interview as stored, with what the server adds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInterview {
    pub seq: i64,
    pub interview: Interview,
    pub received_at: DateTime<Utc>,
    pub review_state: String,
    pub content_hash: String,
}

impl Store {
    /// Stores interviews of one survey version in one transaction, and says for each whether it was
    /// created, was already there with the same content, or conflicts with a stored one. The unique
    /// constraint on the interview id decides, so concurrent writers (even several servers on one
    /// PostgreSQL) never store an interview twice. When any interview conflicts, the transaction is
    /// rolled back and nothing is stored (`committed` is false).
    pub async fn insert_interviews(
        &self,
        survey: &Survey,
        interviews: &[Interview],
    ) -> Result<InsertReport, StoreError> {
        self.insert(survey, interviews, true).await
    }

    async fn insert(
        &self,
        survey: &Survey,
        interviews: &[Interview],
        atomic: bool,
    ) -> Result<InsertReport, StoreError> {
        let rows: Vec<NewRow> = interviews
            .iter()
            .map(|iv| NewRow::new(survey, iv))
            .collect::<Result<_, _>>()?;
        self.insert_rows(survey, &rows, atomic).await
    }

    /// Stores prepared interviews (hashed and serialised by [`PreparedInterview::new`]) in one
    /// transaction, each on its own: a conflicting interview is simply not stored (and reported), the
    /// others are committed. This is group commit for the service: many requests, one durable
    /// transaction, no request failing for another's conflict; the preparing is done in the request
    /// handlers, in parallel, not in the one task that writes.
    pub async fn insert_prepared_each(
        &self,
        survey: &Survey,
        rows: &[PreparedInterview],
    ) -> Result<InsertReport, StoreError> {
        self.insert_rows(survey, rows, false).await
    }

    async fn insert_rows(
        &self,
        survey: &Survey,
        rows: &[NewRow],
        atomic: bool,
    ) -> Result<InsertReport, StoreError> {
        let received_at = Utc::now();
        let mut created: HashSet<String> = HashSet::new();
        let mut stored: HashMap<String, Stored> = HashMap::new();
        let outcomes = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let sql = insert_sql(self.backend(), chunk.len());
                let mut q = sqlx::query_scalar::<_, String>(&sql);
                for r in chunk {
                    q = q
                        .bind(&r.id)
                        .bind(&survey.id)
                        .bind(&survey.version)
                        .bind(SqlJson(&r.location))
                        .bind(r.weight)
                        .bind(&r.enumerator)
                        .bind(r.started_at)
                        .bind(r.finished_at)
                        .bind(received_at)
                        .bind(&r.answers)
                        .bind(&r.content_hash)
                        .bind(&r.answers_hash)
                        .bind(r.duration_seconds)
                        .bind(&r.straightlining);
                }
                created.extend(q.fetch_all(&mut *tx).await?);
            }
            // Interviews that were already there: the same content is a resend, other content a conflict.
            let existing: Vec<&NewRow> = rows.iter().filter(|r| !created.contains(&r.id)).collect();
            for chunk in existing.chunks(ROWS_PER_STATEMENT) {
                let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT id, content_hash, enumerator FROM interviews WHERE id IN ({})",
                    placeholders.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q.bind(&r.id);
                }
                for row in q.fetch_all(&mut *tx).await? {
                    stored.insert(
                        row.get(0),
                        Stored {
                            content_hash: row.get(1),
                            enumerator: row.get(2),
                        },
                    );
                }
            }
            let outcomes = outcomes(rows, &created, &stored);
            if atomic && outcomes.contains(&InsertOutcome::Conflict) {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            outcomes
        });
        let committed = !atomic || !outcomes.contains(&InsertOutcome::Conflict);
        Ok(InsertReport {
            outcomes,
            committed,
        })
    }

    /// Which survey version a stored interview answers.
    pub async fn interview_survey(&self, id: Uuid) -> Result<Option<(String, String)>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, String)>(
            "SELECT survey_id, survey_version FROM interviews WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(pool)
        .await?),
        )
    }

    /// A page of interviews of a survey version, oldest first after `filter.after_seq`, keyset-paginated.
    pub async fn list_interviews(
        &self,
        survey: &Survey,
        filter: &InterviewFilter,
    ) -> Result<Vec<StoredInterview>, StoreError> {
        let location_expr = |i: usize| match self.backend() {
            Backend::Sqlite => format!("json_extract(location, '$.' || ${i})"),
            Backend::Postgres => format!("location ->> ${i}"),
        };
        let mut sql = String::from(
            "SELECT seq, id, location, weight, enumerator, started_at, finished_at, received_at, \
             CAST(answers AS TEXT) AS answers, content_hash, review_state FROM interviews \
             WHERE survey_id = $1 AND survey_version = $2 AND seq > $3 \
             AND superseded_by IS NULL",
        );
        let mut n = 3;
        if filter.id.is_some() {
            n += 1;
            sql.push_str(&format!(" AND id = ${n}"));
        }
        if filter.enumerator.is_some() {
            n += 1;
            sql.push_str(&format!(" AND enumerator = ${n}"));
        }
        if filter.review_state.is_some() {
            n += 1;
            sql.push_str(&format!(" AND review_state = ${n}"));
        }
        if !filter.review_states.is_empty() {
            let first = n + 1;
            n += filter.review_states.len();
            let placeholders: Vec<String> = (first..=n).map(|i| format!("${i}")).collect();
            sql.push_str(&format!(
                " AND review_state IN ({})",
                placeholders.join(", ")
            ));
        }
        if filter.received_since.is_some() {
            n += 1;
            sql.push_str(&format!(" AND received_at >= ${n}"));
        }
        for _ in &filter.location {
            sql.push_str(&format!(" AND {} = ${}", location_expr(n + 1), n + 2));
            n += 2;
        }
        sql.push_str(&format!(" ORDER BY seq LIMIT ${}", n + 1));
        let rows = on_pool!(self, pool => {
            let mut q = sqlx::query(&sql).bind(&survey.id).bind(&survey.version).bind(filter.after_seq);
            if let Some(id) = filter.id {
                q = q.bind(id.to_string());
            }
            if let Some(e) = &filter.enumerator {
                q = q.bind(e);
            }
            if let Some(r) = &filter.review_state {
                q = q.bind(r);
            }
            for r in &filter.review_states {
                q = q.bind(r);
            }
            if let Some(t) = filter.received_since {
                q = q.bind(t);
            }
            for (k, v) in &filter.location {
                q = q.bind(k).bind(v);
            }
            q.bind(filter.limit).fetch_all(pool).await?.into_iter().map(|row| raw_row(&row)).collect::<Result<Vec<_>, _>>()?
        });
        rows.into_iter().map(|r| r.into_stored(survey)).collect()
    }

    /// How many interviews a survey version has.
    pub async fn count_interviews(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM interviews WHERE survey_id = $1 AND survey_version = $2 AND superseded_by IS NULL",
        )
        .bind(survey_id)
        .bind(version)
        .fetch_one(pool)
        .await?))
    }

    /// One interview by its id, read with the definition it answered.
    pub async fn interview(
        &self,
        survey: &Survey,
        id: Uuid,
    ) -> Result<Option<StoredInterview>, StoreError> {
        let filter = InterviewFilter {
            id: Some(id),
            limit: 1,
            ..InterviewFilter::default()
        };
        Ok(self
            .list_interviews(survey, &filter)
            .await?
            .into_iter()
            .next())
    }

    /// The interviews of a survey version after `after_seq`, oldest first, at most `limit` of them:
    /// keyset pagination, so reading a million interviews never re-reads a page.
    pub async fn interviews_page(
        &self,
        survey: &Survey,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredInterview>, StoreError> {
        let filter = InterviewFilter {
            after_seq,
            limit,
            ..InterviewFilter::default()
        };
        self.list_interviews(survey, &filter).await
    }

    /// Like [`Store::interviews_page`], only interviews in one of `review_states` (all when empty):
    /// what a score run reads, given the survey's setting of which reviewed interviews count.
    pub async fn interviews_page_in_states(
        &self,
        survey: &Survey,
        review_states: &[String],
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredInterview>, StoreError> {
        let filter = InterviewFilter {
            after_seq,
            limit,
            review_states: review_states.to_vec(),
            ..InterviewFilter::default()
        };
        self.list_interviews(survey, &filter).await
    }
}

/// The multi-row INSERT for `rows` interviews, built once per size.
/// The answers are sent as JSON text; PostgreSQL stores them as `json` (kept as sent, not decomposed),
/// SQLite as text.
pub(crate) fn insert_sql(backend: Backend, rows: usize) -> Cow<'static, str> {
    static FULL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    let answers_cast = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => "::json",
    };
    let build = |rows: usize| {
        let mut sql = String::from(
            "INSERT INTO interviews (id, survey_id, survey_version, location, weight, enumerator, \
             started_at, finished_at, received_at, answers, content_hash, answers_hash, \
             duration_seconds, straightlining) VALUES ",
        );
        for i in 0..rows {
            let b = i * COLUMNS;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 1..=COLUMNS {
                if c > 1 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", b + c));
                if c == 10 {
                    sql.push_str(answers_cast);
                }
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (id) DO NOTHING RETURNING id");
        sql
    };
    if rows == ROWS_PER_STATEMENT {
        Cow::Borrowed(FULL[backend as usize].get_or_init(|| build(rows)).as_str())
    } else {
        Cow::Owned(build(rows))
    }
}

/// What is compared of an interview already stored under a submitted id.
struct Stored {
    content_hash: String,
    enumerator: Option<String>,
}

/// What became of each row, given which were created now and what was already stored. A resend is
/// the same content from the same enumerator: another enumerator's interview is a conflict whatever
/// its content, so that sending someone else's id never confirms what they recorded.
fn outcomes(
    rows: &[NewRow],
    created: &HashSet<String>,
    stored: &HashMap<String, Stored>,
) -> Vec<InsertOutcome> {
    let mut first_seen: HashMap<&str, &str> = HashMap::new();
    rows.iter()
        .map(|r| {
            if created.contains(&r.id) {
                // The same id twice in one batch: the first was created, the second is a resend.
                match first_seen.insert(&r.id, &r.content_hash) {
                    None => InsertOutcome::Created,
                    Some(h) if h == r.content_hash => InsertOutcome::Duplicate,
                    Some(_) => InsertOutcome::Conflict,
                }
            } else {
                match stored.get(&r.id) {
                    Some(s) if s.content_hash == r.content_hash && s.enumerator == r.enumerator => {
                        InsertOutcome::Duplicate
                    }
                    _ => InsertOutcome::Conflict,
                }
            }
        })
        .collect()
}

/// An interview flattened to its columns, ready to insert: see [`PreparedInterview::new`].
pub type PreparedInterview = NewRow;

/// An interview flattened to its columns.
pub struct NewRow {
    pub(crate) id: String,
    pub(crate) location: Json,
    pub(crate) weight: Option<f64>,
    pub(crate) enumerator: Option<String>,
    pub(crate) started_at: Option<DateTime<Utc>>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    /// JSON text.
    pub(crate) answers: String,
    pub(crate) content_hash: String,
    pub(crate) answers_hash: String,
    pub(crate) duration_seconds: Option<f64>,
    pub(crate) straightlining: Option<String>,
}

impl NewRow {
    /// Checks that the interview answers `survey`, and computes its content hash and JSON columns.
    pub fn new(survey: &Survey, iv: &Interview) -> Result<NewRow, StoreError> {
        if iv.survey_id != survey.id || iv.survey_version != survey.version {
            return Err(StoreError::WrongSurvey {
                id: iv.id,
                survey: format!("{} {}", iv.survey_id, iv.survey_version),
            });
        }
        Ok(NewRow {
            id: iv.id.to_string(),
            location: iv.location_json(),
            weight: iv.weight,
            enumerator: iv.enumerator.clone(),
            started_at: iv.started_at,
            finished_at: iv.finished_at,
            answers: iv.answers_json(survey).to_string(),
            content_hash: iv.content_hash(survey),
            answers_hash: papi_survey::quality::answers_hash(survey, iv),
            duration_seconds: papi_survey::quality::duration_seconds(iv),
            straightlining: papi_survey::quality::straightlining(survey, iv).map(|s| s.to_string()),
        })
    }
}

/// Decodes an interview row on either database.
fn raw_row<'r, R>(row: &'r R) -> Result<RawRow, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    &'r str: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    SqlJson<Json>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(RawRow {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        location: row.try_get::<SqlJson<Json>, _>("location")?.0,
        weight: row.try_get("weight")?,
        enumerator: row.try_get("enumerator")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        received_at: row.try_get("received_at")?,
        answers: row.try_get("answers")?,
        content_hash: row.try_get("content_hash")?,
        review_state: row.try_get("review_state")?,
    })
}

struct RawRow {
    seq: i64,
    id: String,
    location: Json,
    weight: Option<f64>,
    enumerator: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    received_at: DateTime<Utc>,
    /// The stored JSON as text (read with a cast, so that PostgreSQL's jsonb comes as text too),
    /// decoded straight into typed answers by `Survey::stored_answers`.
    answers: String,
    content_hash: String,
    review_state: String,
}

impl RawRow {
    fn into_stored(self, survey: &Survey) -> Result<StoredInterview, StoreError> {
        let corrupt = |why: String| StoreError::Corrupt {
            id: self.id.clone(),
            why,
        };
        let id = Uuid::parse_str(&self.id).map_err(|e| corrupt(e.to_string()))?;
        let answers = survey
            .stored_answers(&self.answers)
            .map_err(|e| corrupt(format!("the answers do not decode: {e}")))?;
        let location = survey
            .design
            .location
            .iter()
            .map(|col| {
                let v = self
                    .location
                    .get(col)
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                (col.clone(), v.to_owned())
            })
            .collect();
        Ok(StoredInterview {
            seq: self.seq,
            interview: Interview {
                id,
                survey_id: survey.id.clone(),
                survey_version: survey.version.clone(),
                location,
                weight: self.weight,
                enumerator: self.enumerator,
                started_at: self.started_at,
                finished_at: self.finished_at,
                answers,
            },
            received_at: self.received_at,
            review_state: self.review_state,
            content_hash: self.content_hash,
        })
    }
}
