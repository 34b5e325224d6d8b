//! `GET /metrics`, in Prometheus' text format, for an administrator's token: requests and their
//! latency by route and status, the group committer's queue, sign-in refusals, and the jobs (read
//! from the database at each scrape, so every instance reports the same).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use papi_auth::Action;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::auth::Actor;
use crate::error::ApiError;
use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    status: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    commit_queue: Gauge,
    jobs: Family<JobLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("papi");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request (to its headers), by method and route",
            latency.clone(),
        );
        let commit_queue = Gauge::default();
        registry.register(
            "commit_queue_depth",
            "Interview submissions waiting for the group commit",
            commit_queue.clone(),
        );
        let jobs = Family::<JobLabels, Gauge>::default();
        registry.register(
            "jobs",
            "Recompute and export jobs kept in the database, by status",
            jobs.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            commit_queue,
            jobs,
        }
    }
}

/// Counts and times every routed request (the route's pattern, never its ids or tokens).
pub async fn record(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Any token is a method to HTTP: only the ones papi answers become labels, so that a client
    // inventing methods cannot grow the metrics without bound.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "OPTIONS" | "PATCH") => m,
        _ => "other",
    }
    .to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let m = &state.metrics;
    m.latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `GET /metrics`: an administrator's (Prometheus scrapes with a bearer token).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "OpenMetrics text format (Prometheus reads it)", content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "No valid token or session", body = crate::error::ErrorBody),
        (status = 403, description = "Only administrators", body = crate::error::ErrorBody),
    )
)]
pub async fn scrape(
    State(state): State<Arc<AppState>>,
    actor: Actor,
) -> Result<Response, ApiError> {
    actor.may(Action::ReadMetrics)?;
    let m = &state.metrics;
    m.commit_queue.set(state.committer.queued() as i64);
    for (kind, status, count) in state.store.job_counts().await? {
        m.jobs.get_or_create(&JobLabels { kind, status }).set(count);
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &m.registry)
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
