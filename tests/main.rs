//! papi's integration tests, one binary: each module runs the `papi` binary, its API or its pages
//! the way a user would. Tests that need an outside tool (PostgreSQL, R, a browser, ...) say so with
//! `needs!` or `on_both_databases!`; see tests/tools.rs.

#[macro_use]
mod common;

mod api;
mod browser;
mod coverage;
mod dashboard;
mod definition;
mod durability;
mod enketo;
mod export;
mod form_rules;
mod notebooks;
mod openrosa;
mod r_crosscheck;
mod sample_design;
mod sample_draw;
mod schemathesis;
mod score;
mod security;
mod sessions;
mod simulate;
mod storage;
mod tidy;
mod validation;
mod xlsform;
