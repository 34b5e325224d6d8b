//! The API's errors: each has an HTTP status, a stable machine code, and a message in Vietnamese and
//! English. Internal errors are logged with their cause and shown to the client only as `internal`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use papi_survey::FieldError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub vi: String,
    pub en: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u32>,
}

/// Every error response.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `interview.conflict`, `auth.revoked_token`.
    #[schema(value_type = String)]
    pub code: &'static str,
    pub status: u16,
    pub message: Message,
    /// Every broken rule, for an error about the request's fields; absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// A message in Vietnamese and English.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Message {
    pub vi: String,
    pub en: String,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            vi: vi.into(),
            en: en.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.required",
            "Cần đăng nhập hoặc mã truy cập (Authorization: Bearer ...).",
            "Authentication required (Authorization: Bearer ...).",
        )
    }

    /// The caller's role may not do this; what it may not do is said in each language.
    pub fn forbidden(what_vi: &str, what_en: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.forbidden",
            format!("Vai trò của bạn không được phép {what_vi}."),
            format!("Your role may not {what_en}."),
        )
    }

    /// No such thing; what was looked for is named in each language.
    pub fn not_found(what_vi: &str, what_en: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Không tìm thấy {what_vi}."),
            format!("Not found: {what_en}."),
        )
    }

    /// A well-formed request that breaks a rule; the messages name the field and the rule.
    pub fn unprocessable(
        code: &'static str,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, vi, en)
    }

    pub fn bad_json(e: &serde_json::Error) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "json.invalid",
            format!("Nội dung JSON không hợp lệ: {e}"),
            format!("The body is not valid JSON for this request: {e}"),
        )
    }

    pub fn invalid(errors: Vec<FieldError>) -> ApiError {
        ApiError {
            errors,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "interview.invalid",
                "Phiếu phỏng vấn không hợp lệ theo bộ câu hỏi.",
                "The interview breaks its survey definition.",
            )
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Lỗi máy chủ.",
            "Internal server error.",
        )
    }

    pub fn overloaded() -> ApiError {
        ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service.overloaded",
                "Máy chủ đang quá tải, vui lòng gửi lại sau.",
                "The service is overloaded; retry later.",
            )
        }
    }
}

impl ApiError {
    /// The error's JSON body.
    pub fn into_body(self) -> ErrorBody {
        ErrorBody {
            code: self.code,
            status: self.status.as_u16(),
            message: Message {
                vi: self.vi,
                en: self.en,
            },
            errors: self.errors,
        }
    }
}

impl From<papi_store::StoreError> for ApiError {
    fn from(e: papi_store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, retry_after) = (self.status, self.retry_after);
        let mut response = (status, Json(self.into_body())).into_response();
        if let Some(s) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
