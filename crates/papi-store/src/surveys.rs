//! Survey definitions as registered: a version's definition is fixed once registered.

use chrono::Utc;
use papi_survey::Survey;
use sqlx::Row as _;

use crate::{Pool, Store, StoreError};

impl Store {
    /// Records a survey definition. Registering the same version again is a no-op when the
    /// definition is the same, and an error when it differs: a changed definition needs a new version.
    pub async fn register_survey(&self, survey: &Survey) -> Result<(), StoreError> {
        let now = Utc::now();
        let title = survey.title.get(survey.default_language()).to_owned();
        let inserted = on_pool!(self, pool => sqlx::query(
            "INSERT INTO surveys (survey_id, version, title, definition, definition_hash, registered_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (survey_id, version) DO NOTHING",
        )
        .bind(&survey.id)
        .bind(&survey.version)
        .bind(&title)
        .bind(&survey.source)
        .bind(&survey.hash)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected());
        if inserted == 0 {
            let hash: String = on_pool!(self, pool => sqlx::query_scalar(
                "SELECT definition_hash FROM surveys WHERE survey_id = $1 AND version = $2",
            )
            .bind(&survey.id)
            .bind(&survey.version)
            .fetch_one(pool)
            .await?);
            if hash != survey.hash {
                return Err(StoreError::SurveyChanged {
                    id: survey.id.clone(),
                    version: survey.version.clone(),
                });
            }
        }
        Ok(())
    }

    /// The registered versions of a survey: (version, definition TOML).
    pub async fn survey_definitions(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = on_pool!(self, pool => sqlx::query(
            "SELECT survey_id, version, definition FROM surveys ORDER BY survey_id, version",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1), r.get::<String, _>(2)))
        .collect());
        Ok(rows)
    }

    /// The definition (TOML) of a registered survey version.
    pub async fn survey_definition(
        &self,
        survey_id: &str,
        version: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "SELECT definition FROM surveys WHERE survey_id = $1 AND version = $2",
        )
        .bind(survey_id)
        .bind(version)
        .fetch_optional(pool)
        .await?))
    }
}
