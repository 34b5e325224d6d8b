//! `GET /api/v1/compare?a=RUN&b=RUN`: the change of every estimate between two recorded score runs,
//! as `papi compare` gives it. Runs of two survey versions (two waves, each with its own interviews)
//! whose interviews are still those they scored are compared from the interviews, so that communes
//! both waves visited count with their covariance (papi-score's `panel`); otherwise from the two
//! reports as independent samples (papi-score's `compare`), and `note` says why.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use papi_auth::Action;
use serde::Deserialize;
use uuid::Uuid;

use papi_store::ScoreRun;

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
        (status = 200, description = "B − A for every group, dimension, sub-dimension and indicator, with SE, interval, df and the method: from both runs' interviews (shared PSUs counted) for runs of two survey versions whose interviews are unchanged, else from the reports as independent samples with a note saying why"),
        (status = 400, description = "A query parameter is missing", body = crate::error::ErrorBody),
        (status = 401, description = "No valid token or session", body = crate::error::ErrorBody),
        (status = 403, description = "Only analysts and admins", body = crate::error::ErrorBody),
        (status = 404, description = "No such score run", body = crate::error::ErrorBody),
        (status = 422, description = "The runs score different surveys, or share no group", body = crate::error::ErrorBody),
    )
)]
pub async fn compare(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    query: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Json<papi_score::compare::Comparison>, ApiError> {
    actor.may(Action::CompareRuns)?;
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
            let not_found = || {
                ApiError::not_found(
                    &format!("lần tính điểm {which}"),
                    &format!("score run {which}"),
                )
            };
            let uuid = Uuid::parse_str(&id).map_err(|_| not_found())?;
            let run = state.store.score_run(uuid).await?.ok_or_else(not_found)?;
            let report = serde_json::from_str::<serde_json::Value>(&run.run.result)
                .map_err(ApiError::internal)?;
            Ok::<_, ApiError>((run, report))
        }
    };
    let (run_a, a) = load("a", q.a).await?;
    let (run_b, b) = load("b", q.b).await?;
    let refused = |e: String, code: &'static str| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            format!("Không so sánh được: {e}"),
            format!("Cannot compare: {e}"),
        )
    };
    let mut comparison =
        papi_score::compare::compare(&a, &b).map_err(|e| refused(e.to_string(), e.code()))?;
    match from_interviews(&state, (&run_a, &a), (&run_b, &b)).await? {
        Ok(panel) => comparison = panel,
        Err(why) => comparison.note = Some(why),
    }
    Ok(Json(comparison))
}

/// The comparison from both runs' interviews, or why it cannot be made (then the reports' method
/// stands).
async fn from_interviews(
    state: &AppState,
    (run_a, a): (&ScoreRun, &serde_json::Value),
    (run_b, b): (&ScoreRun, &serde_json::Value),
) -> Result<Result<papi_score::compare::Comparison, String>, ApiError> {
    let (ra, rb) = (&run_a.run, &run_b.run);
    if ra.survey_version == rb.survey_version {
        return Ok(Err("both runs score the same survey version, whose interviews they share: compared as reports, as independent samples".into()));
    }
    let raked = |p: &serde_json::Value| !p.get("margins").is_none_or(serde_json::Value::is_null);
    if raked(&ra.parameters) || raked(&rb.parameters) {
        return Ok(Err("a run is raked to margins: compared as reports, as independent samples (the stacked design of shared PSUs is not raked)".into()));
    }
    let (Some(survey_a), Some(survey_b)) = (
        state.survey(&ra.survey_id, &ra.survey_version).await?,
        state.survey(&rb.survey_id, &rb.survey_version).await?,
    ) else {
        return Ok(Err(
            "a run's survey version is no longer registered: compared as reports".into(),
        ));
    };
    let mut frames = Vec::with_capacity(2);
    for (run, survey) in [(ra, &survey_a), (rb, &survey_b)] {
        let set = papi_recompute::read_interviews(&state.store, survey, &papi_recompute::Quiet)
            .await
            .map_err(ApiError::internal)?;
        if set.data_hash != run.data_hash {
            return Ok(Err(format!(
                "the interviews of survey version {} have changed since its run was recorded: compared as reports, as independent samples",
                run.survey_version
            )));
        }
        frames.push(set.frame);
    }
    // Read as papi-score's own report, so that a renamed field fails here, not silently.
    let report = |r: &serde_json::Value| {
        papi_score::Report::deserialize(r)
            .map_err(|e| ApiError::internal(format!("a stored score run does not read back: {e}")))
    };
    let (report_a, report_b) = (report(a)?, report(b)?);
    let design_a = &report_a.design;
    let design_b = &report_b.design;
    let options = papi_score::Options {
        by: domains(&report_b),
        interval: design_b.interval,
        variance: design_b.variance,
        unweighted: design_b.unweighted,
        ..papi_score::Options::default()
    };
    if domains(&report_a) != options.by
        || design_a.interval != design_b.interval
        || design_a.variance != design_b.variance
        || design_a.unweighted != design_b.unweighted
    {
        return Ok(Err("the runs were scored with different domains, intervals, variance methods or weighting: compared as reports, as independent samples".into()));
    }
    // Both waves are scored under the later wave's definition, which must read the earlier's columns.
    Ok(
        papi_score::panel::compare_interviews(&survey_b, &frames[0], &frames[1], &options)
            .map_err(|e| {
                format!(
                    "the interviews cannot be scored together under survey version {} ({e}): compared as reports, as independent samples",
                    rb.survey_version
                )
            }),
    )
}

/// The domain columns of a report: the keys of its groups' `by`.
fn domains(report: &papi_score::Report) -> Vec<String> {
    report
        .groups
        .first()
        .map(|g| g.by.keys().cloned().collect())
        .unwrap_or_default()
}
