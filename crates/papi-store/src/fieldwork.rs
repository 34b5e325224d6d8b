//! Fieldwork supervision and the leadership dashboard: review decisions, per-survey settings, quotas,
//! progress and quality queries, publications of score runs, and the province plan's tasks.
//! Every change that a person makes here is written with its audit entry in one transaction.

use chrono::{DateTime, Utc};
use serde_json::{json, Value as Json};
use sqlx::types::Json as SqlJson;
use sqlx::Row as _;
use uuid::Uuid;

use crate::{Backend, Pool, Store, StoreError};

/// The review states an interview can be in; `received` means not yet reviewed.
pub const REVIEW_STATES: [&str; 4] = ["received", "approved", "has_issues", "rejected"];

/// The states of a plan task.
pub const TASK_STATES: [&str; 4] = ["not_started", "in_progress", "done", "delayed"];

/// Vietnam's offset from UTC (ICT, no daylight saving): fieldwork days are Vietnamese days.
const FIELD_OFFSET_HOURS: i32 = 7;

/// One review decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub interview_id: Uuid,
    pub from_state: String,
    pub to_state: String,
    pub comment: String,
    pub reviewer: String,
    pub reviewed_at: DateTime<Utc>,
}

/// A planned number of interviews in a place: the location values from the top column down. The
/// registered sample sets them (`Store::register_sample`).
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    pub location: Vec<(String, String)>,
    pub target: i64,
}

/// How many interviews of one place are in one review state.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceCount {
    pub location: Vec<(String, String)>,
    pub review_state: String,
    pub interviews: i64,
}

/// Interviews one enumerator did on one (Vietnamese) day.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumeratorDay {
    pub enumerator: String,
    pub day: String,
    pub interviews: i64,
    /// Of those, how many are flagged short or straight-lined.
    pub flagged: i64,
}

/// An interview with at least one quality flag.
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedInterview {
    pub id: String,
    pub enumerator: Option<String>,
    pub location: Vec<(String, String)>,
    pub received_at: DateTime<Utc>,
    pub review_state: String,
    pub duration_seconds: Option<f64>,
    pub short: bool,
    pub straightlining: Option<String>,
    /// How many stored interviews (this one included) have exactly these answers, when more than one.
    pub same_answers: Option<i64>,
}

/// Counts of the quality flags over a whole survey version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QualitySummary {
    pub interviews: i64,
    pub short: i64,
    pub straightlining: i64,
    pub duplicated: i64,
}

/// A publication to record: the score runs the leadership sees for one survey wave.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPublication {
    pub survey_id: String,
    pub survey_version: String,
    pub overall_run: Uuid,
    pub strata_run: Option<Uuid>,
    pub wave_year: i32,
    pub published_by: String,
    /// Interviews the recompute could not score and left out, each with its reason.
    pub left_out: Vec<LeftOut>,
}

/// An interview a recompute left out: its id, a stable code and the reason in words.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeftOut {
    pub id: String,
    pub code: String,
    pub reason: String,
}

/// A recorded publication.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub id: Uuid,
    pub published_at: DateTime<Utc>,
    pub publication: NewPublication,
}

/// A plan task's status, as last set.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskStatus {
    pub task_id: String,
    pub status: String,
    pub note: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn location_pairs(json: &Json) -> Vec<(String, String)> {
    match json {
        Json::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn location_json(pairs: &[(String, String)]) -> Json {
    Json::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect(),
    )
}

fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt {
        id: s.to_owned(),
        why: e.to_string(),
    })
}

/// id, overall run, strata run, wave year, published by, published at, left out.
type PublicationRow = (
    String,
    String,
    Option<String>,
    i32,
    String,
    DateTime<Utc>,
    SqlJson<Vec<LeftOut>>,
);

pub(crate) const AUDIT_SQL: &str =
    "INSERT INTO audit_log (at, actor, action, subject, details) VALUES ($1, $2, $3, $4, $5)";

impl Store {
    /// Sets an interview's review state, appending the decision to its history and to the audit log,
    /// in one transaction. None when no such interview is stored.
    pub async fn review_interview(
        &self,
        id: Uuid,
        to_state: &str,
        comment: &str,
        reviewer: &str,
    ) -> Result<Option<Review>, StoreError> {
        let now = Utc::now();
        let id_text = id.to_string();
        let from = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Taking the row's write lock first, so two reviewers in a race record a true history.
            let from: Option<String> = sqlx::query_scalar(
                "UPDATE interviews SET review_state = review_state WHERE id = $1 RETURNING review_state",
            )
            .bind(&id_text)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(from) = &from {
                sqlx::query("UPDATE interviews SET review_state = $1 WHERE id = $2")
                    .bind(to_state)
                    .bind(&id_text)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO reviews (interview_id, from_state, to_state, comment, reviewer, reviewed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&id_text)
                .bind(from)
                .bind(to_state)
                .bind(comment)
                .bind(reviewer)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                audit_in!(tx, now, reviewer, "interview.review", &id_text, json!({ "from": from, "to": to_state, "comment": comment }));
                tx.commit().await?;
            }
            from
        });
        Ok(from.map(|from_state| Review {
            interview_id: id,
            from_state,
            to_state: to_state.to_owned(),
            comment: comment.to_owned(),
            reviewer: reviewer.to_owned(),
            reviewed_at: now,
        }))
    }

    /// An interview's review history, oldest first.
    pub async fn reviews(&self, id: Uuid) -> Result<Vec<Review>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT from_state, to_state, comment, reviewer, reviewed_at FROM reviews \
                 WHERE interview_id = $1 ORDER BY seq",
            )
            .bind(id.to_string())
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(Review {
                        interview_id: id,
                        from_state: r.try_get("from_state")?,
                        to_state: r.try_get("to_state")?,
                        comment: r.try_get("comment")?,
                        reviewer: r.try_get("reviewer")?,
                        reviewed_at: r.try_get("reviewed_at")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// A survey version's settings that have been set, by key.
    pub async fn settings(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, String)>(
            "SELECT key, value FROM survey_settings WHERE survey_id = $1 AND survey_version = $2 ORDER BY key",
        )
        .bind(survey_id)
        .bind(version)
        .fetch_all(pool)
        .await?),
        )
    }

    /// Sets settings of a survey version, each with its audit entry, all in one transaction.
    pub async fn set_settings(
        &self,
        survey_id: &str,
        version: &str,
        changes: &[(String, String)],
        by: &str,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (key, value) in changes {
                sqlx::query(
                    "INSERT INTO survey_settings (survey_id, survey_version, key, value, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (survey_id, survey_version, key) \
                     DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(survey_id)
                .bind(version)
                .bind(key)
                .bind(value)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                audit_in!(tx, now, by, "survey.setting", format!("{survey_id} {version}"), json!({ "key": key, "value": value }));
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A survey version's quotas, by place.
    pub async fn quotas(&self, survey_id: &str, version: &str) -> Result<Vec<Quota>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT location, target FROM quotas WHERE survey_id = $1 AND survey_version = $2 ORDER BY place",
            )
            .bind(survey_id)
            .bind(version)
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(Quota {
                        location: location_pairs(&r.try_get::<SqlJson<Json>, _>("location")?.0),
                        target: r.try_get("target")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// Interviews per place (full location) and review state.
    pub async fn interviews_by_place(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<Vec<PlaceCount>, StoreError> {
        let location = match self.backend() {
            Backend::Sqlite => "location",
            Backend::Postgres => "location::text",
        };
        let sql = format!(
            "SELECT {location} AS place, review_state, COUNT(*) AS n FROM interviews \
             WHERE survey_id = $1 AND survey_version = $2 AND superseded_by IS NULL GROUP BY {location}, review_state"
        );
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(survey_id)
            .bind(version)
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(place, review_state, interviews)| {
                let json: Json = serde_json::from_str(&place).map_err(|e| StoreError::Corrupt {
                    id: place.clone(),
                    why: e.to_string(),
                })?;
                Ok(PlaceCount {
                    location: location_pairs(&json),
                    review_state,
                    interviews,
                })
            })
            .collect()
    }

    /// Interviews per enumerator per Vietnamese day (of the start, or of arrival when the device gave
    /// no start), newest day first, with how many of them are flagged short or straight-lined.
    pub async fn interviews_by_enumerator_day(
        &self,
        survey_id: &str,
        version: &str,
        short_seconds: f64,
        limit: i64,
    ) -> Result<Vec<EnumeratorDay>, StoreError> {
        let day = match self.backend() {
            Backend::Sqlite => {
                format!("date(COALESCE(started_at, received_at), '+{FIELD_OFFSET_HOURS} hours')")
            }
            Backend::Postgres => format!(
                "to_char((COALESCE(started_at, received_at) AT TIME ZONE 'UTC') + interval '{FIELD_OFFSET_HOURS} hours', 'YYYY-MM-DD')"
            ),
        };
        let sql = format!(
            "SELECT COALESCE(enumerator, '') AS enumerator, {day} AS day, COUNT(*) AS n, \
             SUM(CASE WHEN duration_seconds < $3 OR straightlining IS NOT NULL THEN 1 ELSE 0 END) AS flagged \
             FROM interviews WHERE survey_id = $1 AND survey_version = $2 AND superseded_by IS NULL \
             GROUP BY COALESCE(enumerator, ''), {day} ORDER BY day DESC, enumerator LIMIT $4"
        );
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(&sql)
                .bind(survey_id)
                .bind(version)
                .bind(short_seconds)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.into_iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(EnumeratorDay {
                        enumerator: r.try_get("enumerator")?,
                        day: r.try_get::<Option<String>, _>("day")?.unwrap_or_default(),
                        interviews: r.try_get("n")?,
                        flagged: r.try_get::<Option<i64>, _>("flagged")?.unwrap_or(0),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// Counts of the quality flags over a survey version.
    pub async fn quality_summary(
        &self,
        survey_id: &str,
        version: &str,
        short_seconds: f64,
    ) -> Result<QualitySummary, StoreError> {
        Ok(on_pool!(self, pool => {
            let r = sqlx::query(
                "SELECT COUNT(*) AS n, \
                 COALESCE(SUM(CASE WHEN duration_seconds < $3 THEN 1 ELSE 0 END), 0) AS short, \
                 COALESCE(SUM(CASE WHEN straightlining IS NOT NULL THEN 1 ELSE 0 END), 0) AS straight \
                 FROM interviews WHERE survey_id = $1 AND survey_version = $2 AND superseded_by IS NULL",
            )
            .bind(survey_id)
            .bind(version)
            .bind(short_seconds)
            .fetch_one(pool)
            .await?;
            let duplicated: Option<i64> = sqlx::query_scalar(
                "SELECT CAST(SUM(n) AS BIGINT) FROM (SELECT COUNT(*) AS n FROM interviews WHERE survey_id = $1 AND survey_version = $2 \
                 AND superseded_by IS NULL GROUP BY answers_hash HAVING COUNT(*) > 1) AS d",
            )
            .bind(survey_id)
            .bind(version)
            .fetch_one(pool)
            .await?;
            QualitySummary {
                interviews: r.try_get("n")?,
                short: r.try_get("short")?,
                straightlining: r.try_get("straight")?,
                duplicated: duplicated.unwrap_or(0),
            }
        }))
    }

    /// The newest interviews with a quality flag: shorter than `short_seconds`, straight-lined, or
    /// with the same answers as another stored interview.
    pub async fn flagged_interviews(
        &self,
        survey_id: &str,
        version: &str,
        short_seconds: f64,
        limit: i64,
    ) -> Result<Vec<FlaggedInterview>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT i.id, i.enumerator, i.location, i.received_at, i.review_state, i.duration_seconds, \
                 i.straightlining, d.n AS same_answers FROM interviews i LEFT JOIN \
                 (SELECT answers_hash, COUNT(*) AS n FROM interviews WHERE survey_id = $1 AND survey_version = $2 \
                  AND superseded_by IS NULL GROUP BY answers_hash HAVING COUNT(*) > 1) d ON d.answers_hash = i.answers_hash \
                 WHERE i.survey_id = $1 AND i.survey_version = $2 AND i.superseded_by IS NULL \
                 AND (i.duration_seconds < $3 OR i.straightlining IS NOT NULL OR d.n IS NOT NULL) \
                 ORDER BY i.seq DESC LIMIT $4",
            )
            .bind(survey_id)
            .bind(version)
            .bind(short_seconds)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    let duration: Option<f64> = r.try_get("duration_seconds")?;
                    Ok::<_, sqlx::Error>(FlaggedInterview {
                        id: r.try_get("id")?,
                        enumerator: r.try_get("enumerator")?,
                        location: location_pairs(&r.try_get::<SqlJson<Json>, _>("location")?.0),
                        received_at: r.try_get("received_at")?,
                        review_state: r.try_get("review_state")?,
                        duration_seconds: duration,
                        short: duration.is_some_and(|d| d < short_seconds),
                        straightlining: r.try_get("straightlining")?,
                        same_answers: r.try_get("same_answers")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// How many other current interviews of the survey version carry the same answers as `id`.
    pub async fn same_answers(
        &self,
        survey_id: &str,
        version: &str,
        id: Uuid,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM interviews o JOIN interviews i ON i.answers_hash = o.answers_hash \
             WHERE i.id = $3 AND o.id <> i.id AND o.survey_id = $1 AND o.survey_version = $2 \
             AND o.superseded_by IS NULL",
        )
        .bind(survey_id)
        .bind(version)
        .bind(id.to_string())
        .fetch_one(pool)
        .await?))
    }

    /// Records a publication (immutable), with its audit entry.
    pub async fn publish(&self, p: &NewPublication) -> Result<Publication, StoreError> {
        let id = Uuid::new_v4();
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO publications (id, survey_id, survey_version, overall_run, strata_run, wave_year, \
                 published_by, published_at, left_out) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id.to_string())
            .bind(&p.survey_id)
            .bind(&p.survey_version)
            .bind(p.overall_run.to_string())
            .bind(p.strata_run.map(|r| r.to_string()))
            .bind(p.wave_year)
            .bind(&p.published_by)
            .bind(now)
            .bind(SqlJson(&p.left_out))
            .execute(&mut *tx)
            .await?;
            audit_in!(tx, now, &p.published_by, "score.publish", id.to_string(), json!({
                    "survey": format!("{} {}", p.survey_id, p.survey_version),
                    "overall_run": p.overall_run,
                    "strata_run": p.strata_run,
                    "wave_year": p.wave_year,
                    "left_out": p.left_out.len(),
                }));
            tx.commit().await?;
        });
        Ok(Publication {
            id,
            published_at: now,
            publication: p.clone(),
        })
    }

    /// A survey version's publications, newest first.
    pub async fn publications(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<Vec<Publication>, StoreError> {
        let rows: Vec<PublicationRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, overall_run, strata_run, wave_year, published_by, published_at, left_out FROM publications \
             WHERE survey_id = $1 AND survey_version = $2 ORDER BY published_at DESC, id",
        )
        .bind(survey_id)
        .bind(version)
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(
                |(id, overall, strata, wave_year, published_by, published_at, left_out)| {
                    Ok(Publication {
                        id: parse_uuid(&id)?,
                        published_at,
                        publication: NewPublication {
                            survey_id: survey_id.to_owned(),
                            survey_version: version.to_owned(),
                            overall_run: parse_uuid(&overall)?,
                            strata_run: strata.as_deref().map(parse_uuid).transpose()?,
                            wave_year,
                            published_by,
                            left_out: left_out.0,
                        },
                    })
                },
            )
            .collect()
    }

    /// The wave before `wave_year` of a survey: the latest publication of an earlier year made from
    /// another version of the survey. Each wave is its own version with its own interviews, so the two
    /// rest on different samples; an earlier publication of the same version shares its interviews
    /// and is not a wave before it.
    pub async fn previous_wave(
        &self,
        survey_id: &str,
        version: &str,
        wave_year: i32,
    ) -> Result<Option<Publication>, StoreError> {
        let row: Option<(String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, survey_version FROM publications \
             WHERE survey_id = $1 AND survey_version <> $2 AND wave_year < $3 \
             ORDER BY wave_year DESC, published_at DESC, id LIMIT 1",
        )
        .bind(survey_id)
        .bind(version)
        .bind(wave_year)
        .fetch_optional(pool)
        .await?);
        let Some((id, other_version)) = row else {
            return Ok(None);
        };
        let id = parse_uuid(&id)?;
        Ok(self
            .publications(survey_id, &other_version)
            .await?
            .into_iter()
            .find(|p| p.id == id))
    }

    /// Registers an action plan (its TOML); registering the same plan again replaces its text and
    /// keeps the tasks' statuses.
    pub async fn register_plan(&self, plan_id: &str, definition: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO plans (plan_id, definition, registered_at) VALUES ($1, $2, $3) \
             ON CONFLICT (plan_id) DO UPDATE SET definition = excluded.definition",
        )
        .bind(plan_id)
        .bind(definition)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The registered plans: id and TOML, by id.
    pub async fn plans(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, String)>(
            "SELECT plan_id, definition FROM plans ORDER BY plan_id",
        )
        .fetch_all(pool)
        .await?),
        )
    }

    /// The statuses set for a plan's tasks.
    pub async fn task_statuses(&self, plan_id: &str) -> Result<Vec<TaskStatus>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT task_id, status, note, updated_by, updated_at FROM plan_task_status WHERE plan_id = $1",
            )
            .bind(plan_id)
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(TaskStatus {
                        task_id: r.try_get("task_id")?,
                        status: r.try_get("status")?,
                        note: r.try_get("note")?,
                        updated_by: r.try_get("updated_by")?,
                        updated_at: r.try_get("updated_at")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// Sets a plan task's status, with its audit entry, in one transaction.
    pub async fn set_task_status(
        &self,
        plan_id: &str,
        task_id: &str,
        status: &str,
        note: &str,
        by: &str,
    ) -> Result<TaskStatus, StoreError> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO plan_task_status (plan_id, task_id, status, note, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (plan_id, task_id) DO UPDATE SET \
                 status = excluded.status, note = excluded.note, updated_by = excluded.updated_by, \
                 updated_at = excluded.updated_at",
            )
            .bind(plan_id)
            .bind(task_id)
            .bind(status)
            .bind(note)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_in!(tx, now, by, "plan.task_status", format!("{plan_id} {task_id}"), json!({ "status": status, "note": note }));
            tx.commit().await?;
        });
        Ok(TaskStatus {
            task_id: task_id.to_owned(),
            status: status.to_owned(),
            note: note.to_owned(),
            updated_by: by.to_owned(),
            updated_at: now,
        })
    }
}
