//! Request bodies of the JSON API: sent as `application/json` (or a `+json` type), within the
//! route's size, and parsed into the handler's request type. Anything else is refused with a stable
//! code before a handler sees it: 415 for another content type (a form post from another site must
//! not pass as JSON), 413 when too large, 400 when not JSON of the expected shape.

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body of type `T`.
pub struct JsonBody<T>(pub T);

/// Whether the request says its body is JSON.
pub fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "body.not_json",
        "Nội dung phải là JSON (Content-Type: application/json).",
        "The body must be JSON (Content-Type: application/json).",
    )
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body.too_large",
        "Nội dung gửi lên quá lớn cho yêu cầu này (đăng nhập 16 KiB, một lô phiếu hoặc khung mẫu 16 MiB, các yêu cầu khác 4 MiB).",
        "The request body is too large for this request (a sign-in: 16 KiB; a batch of interviews or a sampling frame: 16 MiB; other requests: 4 MiB).",
    )
}

/// Limits a route's request bodies to `max` bytes (in place of axum's default limit): a declared
/// length over it is refused at once, before anything is read; a body without one is cut off when it
/// passes `max`. A layer: `axum::middleware::from_fn_with_state(max, limit_body)`.
pub async fn limit_body(State(max): State<usize>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large().into_response();
    }
    next.run(request.map(|b| Body::new(http_body_util::Limited::new(b, max))))
        .await
}

/// The error for a body that could not be read: too large for the route, or cut off.
pub fn unreadable(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "body.unreadable",
            format!("Không đọc được nội dung: {e}"),
            format!("The body could not be read: {e}"),
        )
    }
}

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<JsonBody<T>, ApiError> {
        if !is_json(request.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(unreadable)?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_json(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        h
    }

    #[test]
    fn only_json_content_types_are_json() {
        for yes in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json(&with(yes)), "{yes}");
        }
        for no in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/json+html",
            "application/jsonp",
        ] {
            assert!(!is_json(&with(no)), "{no}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }
}
