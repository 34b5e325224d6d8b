//! `GET /api/v1/compare?a=RUN&b=RUN`: the change of every estimate between two recorded score runs,
//! as `papi compare` gives it (papi-score's `compare`: independent samples, Welch–Satterthwaite df).

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use papi_auth::Role;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::ApiError;
use crate::AppState;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CompareQuery {
    /// The earlier wave's score run id.
    pub a: String,
    /// The later wave's score run id.
    pub b: String,
}

/// `GET /api/v1/compare`: analysts and administrators, whose working data score runs are.
#[utoipa::path(
    get,
    path = "/api/v1/compare",
    tag = "dashboard",
    security(("bearer" = [])),
    params(CompareQuery),
    responses(
        (status = 200, description = "B − A for every group, dimension, sub-dimension and indicator, with SE, interval, df and the method"),
        (status = 400, description = "A query parameter is missing", body = crate::openapi::Error),
        (status = 401, description = "No valid token or session", body = crate::openapi::Error),
        (status = 403, description = "Only analysts and admins", body = crate::openapi::Error),
        (status = 404, description = "No such score run", body = crate::openapi::Error),
        (status = 422, description = "The runs score different surveys, or share no group", body = crate::openapi::Error),
    )
)]
pub async fn compare(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    query: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Json<papi_score::compare::Comparison>, ApiError> {
    if !matches!(actor.role, Role::Analyst | Role::Admin) {
        return Err(ApiError::forbidden(
            "so sánh các lần tính điểm",
            "compare score runs",
        ));
    }
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "compare.query",
            format!("Cần hai tham số a và b (mã lần tính điểm): {e}"),
            format!("Give the two score runs as a and b: {e}"),
        )
    })?;
    let load = |which: &'static str, id: String| {
        let state = state.clone();
        async move {
            let uuid = Uuid::parse_str(&id).map_err(|_| {
                ApiError::not_found(
                    &format!("lần tính điểm {which}"),
                    &format!("score run {which}"),
                )
            })?;
            let run = state.store.score_run(uuid).await?.ok_or_else(|| {
                ApiError::not_found(
                    &format!("lần tính điểm {which}"),
                    &format!("score run {which}"),
                )
            })?;
            serde_json::from_str::<serde_json::Value>(&run.run.result).map_err(ApiError::internal)
        }
    };
    let a = load("a", q.a).await?;
    let b = load("b", q.b).await?;
    papi_score::compare::compare(&a, &b).map(Json).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            e.code(),
            format!("Không so sánh được: {e}"),
            format!("Cannot compare: {e}"),
        )
    })
}
