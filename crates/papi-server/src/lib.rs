//! papi-server
