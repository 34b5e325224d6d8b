//! papi-simulate
