//! The sample design on the server: registered samples (append-only, versioned), the villages of the
//! current sample, and who is assigned to each. The interview checks on arrival read these, so a place
//! outside the sample, or not assigned to its enumerator, is refused before anything is stored.
//!
//! The store knows nothing of how a sample is drawn: it keeps the frame, the draw's parameters and the
//! drawn sample as text, and the places as rows.

use chrono::{DateTime, Utc};
use serde_json::{json, Value as Json};
use sqlx::types::Json as SqlJson;
use sqlx::Row as _;

use crate::fieldwork::{location_json, location_pairs};
use crate::{Pool, Store, StoreError};

/// A place's key: its location values, from the top column down, joined with " / " (as quotas are).
pub fn place_key(location: &[(String, String)]) -> String {
    location
        .iter()
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// A village of a sample: where interviews may come from, how many are planned, and its design.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplePlace {
    /// The key of [`place_key`]: made from the location in the survey's column order when the place
    /// is built, and kept as stored (PostgreSQL's JSONB does not keep the columns' order).
    pub place: String,
    /// The survey's location columns and their values, down to the finest level.
    pub location: Vec<(String, String)>,
    pub planned: i64,
    /// Probability that the village entered the sample (the product of its stages').
    pub inclusion_probability: f64,
    /// One interview's design weight before the non-response adjustment.
    pub base_weight: f64,
}

impl SamplePlace {
    pub fn new(
        location: Vec<(String, String)>,
        planned: i64,
        inclusion_probability: f64,
        base_weight: f64,
    ) -> SamplePlace {
        SamplePlace {
            place: place_key(&location),
            location,
            planned,
            inclusion_probability,
            base_weight,
        }
    }
}

/// A draw to register: the frame it came from, how it was drawn, and what it selected.
#[derive(Debug, Clone)]
pub struct NewSample {
    pub frame: String,
    pub frame_hash: String,
    pub parameters: Json,
    /// The drawn sample as JSON text.
    pub sample: String,
    pub sample_hash: String,
    pub places: Vec<SamplePlace>,
}

/// A registered sample.
#[derive(Debug, Clone)]
pub struct RegisteredSample {
    pub sample_version: i64,
    pub frame: String,
    pub frame_hash: String,
    pub parameters: Json,
    pub sample: String,
    pub sample_hash: String,
    pub registered_by: String,
    pub registered_at: DateTime<Utc>,
}

/// An enumerator's assignment to a village of the sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The village's key ([`place_key`]).
    pub place: String,
    pub enumerator: String,
}

/// What the sample says of an interview's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceCheck {
    /// The survey version has no registered sample: no place can be accepted yet.
    NoSample,
    /// The place is not a village of the current sample.
    NotInSample,
    /// A village of the sample, but not assigned to this enumerator.
    NotAssigned,
    InSample,
}

/// The first statement of a transaction that reads before it writes: on SQLite such a transaction
/// would otherwise fail at once (SQLITE_BUSY) when another writer holds the lock, instead of waiting.
const WRITE_LOCK: &str = "UPDATE surveys SET title = title WHERE survey_id = $1 AND version = $2";

type SampleRow = (
    i64,
    String,
    String,
    SqlJson<Json>,
    String,
    String,
    String,
    DateTime<Utc>,
);

impl Store {
    /// Registers a new sample version for a survey version and makes it current: its villages become
    /// the places interviews may come from and the quotas of fieldwork; assignments to villages that
    /// are still in the sample are kept. One transaction, with its audit entry. Returns the version.
    pub async fn register_sample(
        &self,
        survey_id: &str,
        version: &str,
        sample: &NewSample,
        by: &str,
    ) -> Result<i64, StoreError> {
        let now = Utc::now();
        let sample_version = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(WRITE_LOCK).bind(survey_id).bind(version).execute(&mut *tx).await?;
            let latest: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(sample_version) FROM samples WHERE survey_id = $1 AND survey_version = $2",
            )
            .bind(survey_id)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
            let sample_version = latest.unwrap_or(0) + 1;
            sqlx::query(
                "INSERT INTO samples (survey_id, survey_version, sample_version, frame, frame_hash, parameters, \
                 sample, sample_hash, registered_by, registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(survey_id)
            .bind(version)
            .bind(sample_version)
            .bind(&sample.frame)
            .bind(&sample.frame_hash)
            .bind(SqlJson(&sample.parameters))
            .bind(&sample.sample)
            .bind(&sample.sample_hash)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // Assignments refer to places: keep those whose village stays, then replace the places.
            let kept: Vec<(String, String, String, DateTime<Utc>)> = sqlx::query_as(
                "SELECT place, enumerator, assigned_by, assigned_at FROM assignments \
                 WHERE survey_id = $1 AND survey_version = $2",
            )
            .bind(survey_id)
            .bind(version)
            .fetch_all(&mut *tx)
            .await?;
            for table in ["assignments", "sample_places", "quotas"] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE survey_id = $1 AND survey_version = $2"
                ))
                .bind(survey_id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            }
            let mut places = std::collections::HashSet::new();
            for p in &sample.places {
                let place = p.place.clone();
                let location = SqlJson(location_json(&p.location));
                sqlx::query(
                    "INSERT INTO sample_places (survey_id, survey_version, place, location, planned, \
                     inclusion_probability, base_weight) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(survey_id)
                .bind(version)
                .bind(&place)
                .bind(&location)
                .bind(p.planned)
                .bind(p.inclusion_probability)
                .bind(p.base_weight)
                .execute(&mut *tx)
                .await
                .map_err(|e| if crate::is_unique_violation(&e) {
                    StoreError::Duplicate(format!("the sample's village {place}"))
                } else {
                    e.into()
                })?;
                sqlx::query(
                    "INSERT INTO quotas (survey_id, survey_version, place, location, target) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(survey_id)
                .bind(version)
                .bind(&place)
                .bind(&location)
                .bind(p.planned)
                .execute(&mut *tx)
                .await?;
                places.insert(place);
            }
            for (place, enumerator, assigned_by, assigned_at) in
                kept.iter().filter(|k| places.contains(&k.0))
            {
                sqlx::query(
                    "INSERT INTO assignments (survey_id, survey_version, place, enumerator, assigned_by, assigned_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(survey_id)
                .bind(version)
                .bind(place)
                .bind(enumerator)
                .bind(assigned_by)
                .bind(assigned_at)
                .execute(&mut *tx)
                .await?;
            }
            audit_in!(tx, now, by, "sample.register", format!("{survey_id} {version}"), json!({
                    "sample_version": sample_version,
                    "frame_hash": sample.frame_hash,
                    "sample_hash": sample.sample_hash,
                    "parameters": sample.parameters,
                    "places": sample.places.len(),
                    "planned": sample.places.iter().map(|p| p.planned).sum::<i64>(),
                    "assignments_kept": kept.iter().filter(|k| places.contains(&k.0)).count(),
                    "assignments_dropped": kept.iter().filter(|k| !places.contains(&k.0)).count(),
                }));
            tx.commit().await?;
            sample_version
        });
        Ok(sample_version)
    }

    /// The current (latest) sample of a survey version, if one is registered.
    pub async fn current_sample(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<Option<RegisteredSample>, StoreError> {
        let row: Option<SampleRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT sample_version, frame, frame_hash, parameters, sample, sample_hash, registered_by, registered_at \
             FROM samples WHERE survey_id = $1 AND survey_version = $2 ORDER BY sample_version DESC LIMIT 1",
        )
        .bind(survey_id)
        .bind(version)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(
            |(sample_version, frame, frame_hash, parameters, sample, sample_hash, by, at)| {
                RegisteredSample {
                    sample_version,
                    frame,
                    frame_hash,
                    parameters: parameters.0,
                    sample,
                    sample_hash,
                    registered_by: by,
                    registered_at: at,
                }
            },
        ))
    }

    /// The villages of the current sample, in place order.
    pub async fn sample_places(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<Vec<SamplePlace>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT place, location, planned, inclusion_probability, base_weight FROM sample_places \
                 WHERE survey_id = $1 AND survey_version = $2 ORDER BY place",
            )
            .bind(survey_id)
            .bind(version)
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(SamplePlace {
                        place: r.try_get("place")?,
                        location: location_pairs(&r.try_get::<SqlJson<Json>, _>("location")?.0),
                        planned: r.try_get("planned")?,
                        inclusion_probability: r.try_get("inclusion_probability")?,
                        base_weight: r.try_get("base_weight")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// Whether an interview from `place` may be accepted: the place must be a village of the current
    /// sample and, when `enumerator` is given, assigned to that enumerator. One round trip.
    pub async fn check_place(
        &self,
        survey_id: &str,
        version: &str,
        place: &str,
        enumerator: Option<&str>,
    ) -> Result<PlaceCheck, StoreError> {
        let (has_sample, in_sample, assigned): (bool, bool, bool) = on_pool!(self, pool => sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM sample_places WHERE survey_id = $1 AND survey_version = $2), \
                    EXISTS (SELECT 1 FROM sample_places WHERE survey_id = $1 AND survey_version = $2 AND place = $3), \
                    EXISTS (SELECT 1 FROM assignments WHERE survey_id = $1 AND survey_version = $2 AND place = $3 \
                            AND enumerator = $4)",
        )
        .bind(survey_id)
        .bind(version)
        .bind(place)
        .bind(enumerator.unwrap_or_default())
        .fetch_one(pool)
        .await?);
        Ok(
            match (has_sample, in_sample, enumerator.is_some(), assigned) {
                (false, _, _, _) => PlaceCheck::NoSample,
                (true, false, _, _) => PlaceCheck::NotInSample,
                (true, true, true, false) => PlaceCheck::NotAssigned,
                _ => PlaceCheck::InSample,
            },
        )
    }

    /// Replaces a survey version's assignments with `assignments`, with an audit entry, in one
    /// transaction. Every place must be a village of the current sample; the error names the first
    /// that is not.
    pub async fn set_assignments(
        &self,
        survey_id: &str,
        version: &str,
        assignments: &[Assignment],
        by: &str,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(WRITE_LOCK).bind(survey_id).bind(version).execute(&mut *tx).await?;
            let places: Vec<String> = sqlx::query_scalar(
                "SELECT place FROM sample_places WHERE survey_id = $1 AND survey_version = $2",
            )
            .bind(survey_id)
            .bind(version)
            .fetch_all(&mut *tx)
            .await?;
            let places: std::collections::HashSet<String> = places.into_iter().collect();
            if let Some(bad) = assignments.iter().find(|a| !places.contains(&a.place)) {
                return Err(StoreError::NotInSample(format!(
                    "{} is not a village of the registered sample of {survey_id} {version}",
                    bad.place
                )));
            }
            sqlx::query("DELETE FROM assignments WHERE survey_id = $1 AND survey_version = $2")
                .bind(survey_id)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            for a in assignments {
                sqlx::query(
                    "INSERT INTO assignments (survey_id, survey_version, place, enumerator, assigned_by, assigned_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(survey_id)
                .bind(version)
                .bind(&a.place)
                .bind(&a.enumerator)
                .bind(by)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| if crate::is_unique_violation(&e) {
                    StoreError::Duplicate(format!("the assignment of {} to {}", a.enumerator, a.place))
                } else {
                    e.into()
                })?;
            }
            audit_in!(tx, now, by, "sample.assignments", format!("{survey_id} {version}"), json!({
                    "assignments": assignments.len(),
                    "enumerators": assignments.iter().map(|a| a.enumerator.as_str())
                        .collect::<std::collections::BTreeSet<_>>().len(),
                }));
            tx.commit().await?;
        });
        Ok(())
    }

    /// A survey version's assignments (of one enumerator, when given), by place then enumerator.
    pub async fn assignments(
        &self,
        survey_id: &str,
        version: &str,
        enumerator: Option<&str>,
    ) -> Result<Vec<Assignment>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT a.place, a.enumerator FROM assignments a \
                 WHERE a.survey_id = $1 AND a.survey_version = $2 AND ($3 = '' OR a.enumerator = $3) \
                 ORDER BY a.place, a.enumerator",
            )
            .bind(survey_id)
            .bind(version)
            .bind(enumerator.unwrap_or_default())
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(Assignment {
                        place: r.try_get("place")?,
                        enumerator: r.try_get("enumerator")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// Registers census margins with a survey version (their TOML text) and makes them the ones a
    /// recompute rakes to; one transaction with its audit entry. Returns the margins version.
    pub async fn register_margins(
        &self,
        survey_id: &str,
        version: &str,
        margins: &str,
        by: &str,
    ) -> Result<i64, StoreError> {
        let now = Utc::now();
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(WRITE_LOCK).bind(survey_id).bind(version).execute(&mut *tx).await?;
            let latest: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(margins_version) FROM survey_margins WHERE survey_id = $1 AND survey_version = $2",
            )
            .bind(survey_id)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
            let margins_version = latest.unwrap_or(0) + 1;
            sqlx::query(
                "INSERT INTO survey_margins (survey_id, survey_version, margins_version, margins, registered_by, \
                 registered_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(survey_id)
            .bind(version)
            .bind(margins_version)
            .bind(margins)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_in!(tx, now, by, "survey.margins", format!("{survey_id} {version}"), json!({ "margins_version": margins_version }));
            tx.commit().await?;
            margins_version
        }))
    }

    /// The census margins in force for a survey version (their TOML text), if any are registered.
    pub async fn current_margins(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "SELECT margins FROM survey_margins WHERE survey_id = $1 AND survey_version = $2 \
             ORDER BY margins_version DESC LIMIT 1",
        )
        .bind(survey_id)
        .bind(version)
        .fetch_optional(pool)
        .await?))
    }
}
