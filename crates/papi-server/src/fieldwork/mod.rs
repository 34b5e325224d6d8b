//! Fieldwork supervision: progress against the quota by district, commune and village, interviews per
//! enumerator per day, review decisions with comments (audited), and quality flags. Supervisors and
//! admins only; the settings and quotas a supervisor keeps go through the JSON API as well.

mod api;
mod interview;
mod model;
mod overview;
mod words;

pub use api::*;
pub use interview::*;
pub use model::*;
pub use overview::*;
use words::*;
