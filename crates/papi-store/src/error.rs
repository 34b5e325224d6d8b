//! Storage errors, each with a stable code.

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid database URL {0}")]
    Url(String),
    #[error("cannot connect to the database {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("survey {id} version {version} is already registered with a different definition; a changed definition needs a new version")]
    SurveyChanged { id: String, version: String },
    #[error("interview {id} answers {survey}, not the survey it was stored with")]
    WrongSurvey { id: Uuid, survey: String },
    #[error("stored interview {id} cannot be read: {why}")]
    Corrupt { id: String, why: String },
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0}")]
    NotInSample(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// A stable machine code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Url(_) => "store.url",
            StoreError::Connect(_) => "store.connect",
            StoreError::Migrate(_) => "store.migrate",
            StoreError::SurveyChanged { .. } => "store.survey_changed",
            StoreError::WrongSurvey { .. } => "store.wrong_survey",
            StoreError::Corrupt { .. } => "store.corrupt",
            StoreError::Duplicate(_) => "store.duplicate",
            StoreError::NotInSample(_) => "location.not_in_sample",
            StoreError::Unsupported(_) => "store.unsupported",
            StoreError::Database(_) => "store.database",
        }
    }
}
