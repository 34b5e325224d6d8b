//! papi-store
