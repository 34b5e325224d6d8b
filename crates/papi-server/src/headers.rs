//! The security headers of every response: a Content-Security-Policy that allows scripts only from
//! this site's own files (no inline script, no inline event handler), no sniffing of content types,
//! no framing by any site, and the `Referer` kept to this site. A handler that sets one of them itself
//! keeps its own.
//!
//! The pages and the enumerator's form satisfy the policy: their scripts are files (`/assets/pages.js`,
//! `/form/app.js`...), wired with `addEventListener`, and the form writes what a definition says with
//! `textContent`, so that a label of an imported XLSForm cannot run as script beside the bearer token
//! the form keeps in IndexedDB.

use axum::http::{header, HeaderName, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

/// What a page may load, and from where. Styles may be inline (the pages' `<style>` elements and a few
/// `style` attributes: they cannot run script); scripts only from this site's files.
pub const CONTENT_SECURITY_POLICY: &str = concat!(
    "default-src 'self'; ",
    "script-src 'self'; ",
    "style-src 'self' 'unsafe-inline'; ",
    "img-src 'self' data:; ",
    "connect-src 'self'; ",
    "object-src 'none'; ",
    "base-uri 'none'; ",
    "form-action 'self'; ",
    "frame-ancestors 'none'"
);

/// The headers, each set on a response that does not have it yet.
pub const HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

type SetHeader = SetResponseHeaderLayer<HeaderValue>;

/// The layer that adds [`HEADERS`] to every response of the router it wraps.
pub fn layer() -> (SetHeader, SetHeader, SetHeader, SetHeader) {
    let [a, b, c, d] = HEADERS.map(|(name, value)| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    });
    (a, b, c, d)
}
