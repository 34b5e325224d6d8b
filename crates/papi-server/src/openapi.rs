//! The OpenAPI document's frame (`GET /api/v1/openapi.json`): its title, tags and security scheme.
//! Its paths come from the handlers' own `#[utoipa::path]` annotations as the router registers them
//! (`lib.rs`, `routes!`), so a route cannot be served without being documented, or the reverse.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("papi token")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "papi collection API",
        description = "Interviews in, exactly once: idempotent submission by client-generated UUID, \
                       every rule of the survey definition checked, errors with stable codes in Vietnamese and English."
    ),
    modifiers(&BearerAuth),
    tags((name = "interviews", description = "Collection"), (name = "surveys", description = "Survey definitions"), (name = "exports", description = "Analyst exports (background jobs)"), (name = "service", description = "Health and the caller"), (name = "dashboard", description = "Published results for the leadership, and the plan's tasks"), (name = "fieldwork", description = "Supervision: progress, review, quality, settings"), (name = "sample", description = "The sample design: the registered sample, and villages assigned to enumerators"))
)]
pub struct ApiDoc;
