//! Files sent with an interview: kept once per (interview, name), read back by the roles that read
//! answers.

use chrono::Utc;
use sha2::{Digest, Sha256};
use sqlx::Row as _;
use uuid::Uuid;

use crate::{Pool, Store, StoreError};

/// A file as received, to be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// The name the interview's answer gives (no folder).
    pub name: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

/// A kept file's description.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttachmentInfo {
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

/// What became of one file handed to [`Store::keep_attachments`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentOutcome {
    Kept,
    /// The same file was kept before (a resend).
    AlreadyKept,
    /// Another file of that name is kept for the interview: the first one stays.
    Different,
}

impl Store {
    /// Keeps the files of interview `id`, all in one transaction: a file of a name already kept is
    /// not replaced.
    pub async fn keep_attachments(
        &self,
        id: Uuid,
        files: &[NewAttachment],
    ) -> Result<Vec<AttachmentOutcome>, StoreError> {
        let id = id.to_string();
        let received_at = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut outcomes = Vec::with_capacity(files.len());
            for f in files {
                let sha256 = hex::encode(Sha256::digest(&f.content));
                let inserted = sqlx::query(
                    "INSERT INTO attachments (interview_id, name, media_type, size, sha256, content, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (interview_id, name) DO NOTHING",
                )
                .bind(&id)
                .bind(&f.name)
                .bind(&f.media_type)
                .bind(f.content.len() as i64)
                .bind(&sha256)
                .bind(&f.content)
                .bind(received_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                outcomes.push(if inserted == 1 {
                    AttachmentOutcome::Kept
                } else {
                    let kept: String = sqlx::query_scalar(
                        "SELECT sha256 FROM attachments WHERE interview_id = $1 AND name = $2",
                    )
                    .bind(&id)
                    .bind(&f.name)
                    .fetch_one(&mut *tx)
                    .await?;
                    if kept == sha256 {
                        AttachmentOutcome::AlreadyKept
                    } else {
                        AttachmentOutcome::Different
                    }
                });
            }
            tx.commit().await?;
            Ok(outcomes)
        })
    }

    /// The files kept for interview `id`, by name.
    pub async fn attachments_of(&self, id: Uuid) -> Result<Vec<AttachmentInfo>, StoreError> {
        let id = id.to_string();
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT name, media_type, size, sha256 FROM attachments WHERE interview_id = $1 ORDER BY name",
            )
            .bind(&id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(AttachmentInfo {
                        name: r.try_get(0)?,
                        media_type: r.try_get(1)?,
                        size: r.try_get(2)?,
                        sha256: r.try_get(3)?,
                    })
                })
                .collect()
        })
    }

    /// One kept file: its description and its bytes.
    pub async fn attachment(
        &self,
        id: Uuid,
        name: &str,
    ) -> Result<Option<(AttachmentInfo, Vec<u8>)>, StoreError> {
        let id = id.to_string();
        on_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT name, media_type, size, sha256, content FROM attachments WHERE interview_id = $1 AND name = $2",
            )
            .bind(&id)
            .bind(name)
            .fetch_optional(pool)
            .await?;
            row.map(|r| {
                Ok((
                    AttachmentInfo {
                        name: r.try_get(0)?,
                        media_type: r.try_get(1)?,
                        size: r.try_get(2)?,
                        sha256: r.try_get(3)?,
                    },
                    r.try_get(4)?,
                ))
            })
            .transpose()
        })
    }
}
