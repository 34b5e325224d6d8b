//! Edited interviews (OpenRosa's `deprecatedID`): the new version is stored as an interview of its
//! own, and the one it replaces is marked `superseded_by` it, in one transaction, so that exactly one
//! version is live. The edit keeps a supervisor's verdict ([`state_after_edit`]), with a line in the
//! new version's review history and in the audit log, in the same transaction.

use chrono::Utc;
use papi_survey::Survey;
use serde_json::json;
use sqlx::types::Json as SqlJson;
use sqlx::Row as _;
use uuid::Uuid;

use crate::interviews::insert_sql;
use crate::{Pool, PreparedInterview, Store, StoreError};

/// The review state of an edit, from the state of the version it replaces: a supervisor's "rejected"
/// or "has issues" stays until a supervisor changes it (an enumerator cannot clear it by editing), and
/// an approved interview that changes needs approving again.
pub fn state_after_edit(replaced: &str) -> &'static str {
    match replaced {
        "rejected" => "rejected",
        "has_issues" => "has_issues",
        _ => "received",
    }
}

/// What became of an edit handed to [`Store::insert_edit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    /// Stored, and the replaced version is no longer live.
    Created,
    /// This edit was already stored with the same content (a resend): nothing changed.
    Duplicate,
    /// The new id is already stored with other content.
    Conflict,
    /// The replaced interview does not exist (or, for an enumerator, is not theirs, or answers
    /// another survey).
    UnknownOriginal,
    /// The replaced interview was already replaced by another edit: this one edits an old version.
    OriginalSuperseded,
}

impl Store {
    /// Stores `row` as the new version of interview `replaces`. `owner` restricts the edit to an
    /// enumerator's own interviews. Nothing is stored unless the outcome is `Created`.
    pub async fn insert_edit(
        &self,
        survey: &Survey,
        row: &PreparedInterview,
        replaces: Uuid,
        owner: Option<&str>,
    ) -> Result<EditOutcome, StoreError> {
        let replaces = replaces.to_string();
        let received_at = Utc::now();
        let backend = self.backend();
        let outcome = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let original = sqlx::query(
                "SELECT survey_id, enumerator, superseded_by, review_state FROM interviews WHERE id = $1",
            )
            .bind(&replaces)
            .fetch_optional(&mut *tx)
            .await?;
            let stored_hash = |id: String| sqlx::query_scalar::<_, String>(
                "SELECT content_hash FROM interviews WHERE id = $1",
            )
            .bind(id);
            let outcome = match original {
                None => EditOutcome::UnknownOriginal,
                Some(r) if r.get::<String, _>(0) != survey.id
                    || owner.is_some_and(|o| r.get::<Option<String>, _>(1).as_deref() != Some(o)) =>
                {
                    EditOutcome::UnknownOriginal
                }
                Some(r) => match r.get::<Option<String>, _>(2) {
                    // A resend of this very edit: the same content is acknowledged again.
                    Some(by) if by == row.id => {
                        let hash = stored_hash(row.id.clone()).fetch_optional(&mut *tx).await?;
                        if hash.as_deref() == Some(row.content_hash.as_str()) {
                            EditOutcome::Duplicate
                        } else {
                            EditOutcome::Conflict
                        }
                    }
                    Some(_) => EditOutcome::OriginalSuperseded,
                    None => {
                        let created = sqlx::query_scalar::<_, String>(&insert_sql(backend, 1))
                            .bind(&row.id)
                            .bind(&survey.id)
                            .bind(&survey.version)
                            .bind(SqlJson(&row.location))
                            .bind(row.weight)
                            .bind(&row.enumerator)
                            .bind(row.started_at)
                            .bind(row.finished_at)
                            .bind(received_at)
                            .bind(&row.answers)
                            .bind(&row.content_hash)
                            .bind(&row.answers_hash)
                            .bind(row.duration_seconds)
                            .bind(&row.straightlining)
                            .fetch_optional(&mut *tx)
                            .await?
                            .is_some();
                        if !created {
                            EditOutcome::Conflict
                        } else {
                            // The condition makes two concurrent edits of one version a race that
                            // only one wins.
                            let marked = sqlx::query(
                                "UPDATE interviews SET superseded_by = $1 WHERE id = $2 AND superseded_by IS NULL",
                            )
                            .bind(&row.id)
                            .bind(&replaces)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                            if marked == 1 {
                                let from: String = r.get(3);
                                let to = state_after_edit(&from);
                                sqlx::query("UPDATE interviews SET review_state = $1 WHERE id = $2")
                                    .bind(to)
                                    .bind(&row.id)
                                    .execute(&mut *tx)
                                    .await?;
                                let by = row.enumerator.as_deref().unwrap_or("?");
                                let comment = format!("edit of {replaces}, which was {from}");
                                sqlx::query(
                                    "INSERT INTO reviews (interview_id, from_state, to_state, comment, reviewer, reviewed_at) \
                                     VALUES ($1, $2, $3, $4, $5, $6)",
                                )
                                .bind(&row.id)
                                .bind(&from)
                                .bind(to)
                                .bind(&comment)
                                .bind(by)
                                .bind(received_at)
                                .execute(&mut *tx)
                                .await?;
                                audit_in!(tx, received_at, by, "interview.edit", &row.id, json!({ "replaces": replaces, "review_state": { "was": from, "now": to } }));
                                EditOutcome::Created
                            } else {
                                EditOutcome::OriginalSuperseded
                            }
                        }
                    }
                },
            };
            if outcome == EditOutcome::Created {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            outcome
        });
        Ok(outcome)
    }
}
