//! What every request passes through before a handler: a request id (echoed in `X-Request-Id`), an
//! access log line that never prints a secret, a deadline, a bound on requests in progress, and a
//! panic turned into a 500 that names no cause.

use std::time::Duration;

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::ApiError;

/// The longest a request may take, upload included (a 16 MiB batch over a slow link).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest a client may pause while sending a body.
pub const BODY_PAUSE_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests handled at once; the next ones wait (and time out) rather than pile up work.
pub const MAX_IN_FLIGHT: usize = 512;

/// The path as the access log shows it: a device key in an ODK URL is a password, so it is hidden.
pub fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/odk/key/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, tail)) => format!("/odk/key/***/{tail}"),
            None => "/odk/key/***".to_owned(),
        },
        None => path.to_owned(),
    }
}

fn span(request: &Request<Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    // The route's pattern when there is one (ids and tokens stay out), else the redacted path; never
    // the query string.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| loggable_path(request.uri().path()));
    tracing::info_span!("request", id, method = %request.method(), route)
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    ApiError::internal("a handler panicked").into_response()
}

/// Wraps the application's routes in the layers above (outermost first: the id, the log, the panic
/// guard, the deadlines, the bound).
pub fn layers(app: Router) -> Router {
    app.layer(tower::limit::GlobalConcurrencyLimitLayer::new(
        MAX_IN_FLIGHT,
    ))
    .layer(RequestBodyTimeoutLayer::new(BODY_PAUSE_TIMEOUT))
    .layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        REQUEST_TIMEOUT,
    ))
    .layer(CatchPanicLayer::custom(panicked))
    .layer(
        TraceLayer::new_for_http()
            .make_span_with(span)
            .on_request(())
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn device_keys_never_reach_the_log() {
        assert_eq!(
            loggable_path("/odk/key/papi_0123abcd/formList"),
            "/odk/key/***/formList"
        );
        assert_eq!(loggable_path("/odk/key/papi_0123abcd"), "/odk/key/***");
        assert_eq!(loggable_path("/api/v1/interviews"), "/api/v1/interviews");
    }
}
