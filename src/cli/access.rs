//! `papi user` and `papi token`: the people and devices that may use the service.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{Duration, Utc};
use clap::Subcommand;
use papi_auth::Role;
use serde_json::json;

use super::open_store;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user who signs in with a password (read from standard input, or PAPI_PASSWORD).
    Add {
        #[arg(long)]
        username: String,
        /// admin, supervisor, analyst, leader or enumerator.
        #[arg(long)]
        role: Role,
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
        database: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a bearer token for a device or a script; the token is the last line printed.
    Create {
        /// admin, supervisor, analyst, leader or enumerator.
        #[arg(long)]
        role: Role,
        /// Who or what holds it; for an enumerator, the name their interviews are recorded under.
        #[arg(long)]
        name: String,
        /// Days until it expires (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
        database: String,
    },
    /// Revoke every live token with this name (or id).
    Revoke {
        name: String,
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
        database: String,
    },
}

fn operator() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

pub fn run_user(cmd: UserCommand, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    let UserCommand::Add {
        username,
        role,
        database,
    } = cmd;
    let password = match std::env::var("PAPI_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut p = String::new();
            std::io::stdin()
                .read_to_string(&mut p)
                .context("reading the password from standard input")?;
            p.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let username = papi_survey::nfc(username.trim());
    if username.is_empty() {
        bail!("--username must not be empty");
    }
    let hash = papi_auth::hash_password(&password)?;
    runtime.block_on(async {
        let store = open_store(&database).await?;
        store.create_user(&username, &hash, role.name()).await?;
        store
            .audit(
                &operator(),
                "user.add",
                Some(&username),
                &json!({ "role": role.name() }),
            )
            .await?;
        println!("added user {username} ({role})");
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

pub fn run_token(cmd: TokenCommand, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    runtime.block_on(async {
        match cmd {
            TokenCommand::Create {
                role,
                name,
                expires_in_days,
                database,
            } => {
                let name = papi_survey::nfc(name.trim());
                if name.is_empty() {
                    bail!("--name must not be empty");
                }
                let store = open_store(&database).await?;
                let token = create_token(&store, role, &name, expires_in_days, &operator()).await?;
                println!("token for {name} ({role}); it is shown once, keep it safe:");
                println!("{token}");
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::Revoke { name, database } => {
                let store = open_store(&database).await?;
                let n = store.revoke_tokens(&name).await?;
                store
                    .audit(
                        &operator(),
                        "token.revoke",
                        Some(&name),
                        &json!({ "revoked": n }),
                    )
                    .await?;
                if n == 0 {
                    eprintln!("no live token named {name}");
                    return Ok(ExitCode::from(1));
                }
                println!("revoked {n} token(s) named {name}");
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// Creates a token and records it in the audit log; returns the token itself.
pub async fn create_token(
    store: &papi_store::Store,
    role: Role,
    name: &str,
    expires_in_days: Option<u32>,
    actor: &str,
) -> anyhow::Result<String> {
    let (token, hash) = papi_auth::new_token();
    let expires_at = expires_in_days.map(|d| Utc::now() + Duration::days(i64::from(d)));
    let id = store
        .create_token(name, role.name(), &hash, expires_at)
        .await?;
    store
        .audit(
            actor,
            "token.create",
            Some(name),
            &json!({ "id": id, "role": role.name(), "expires_at": expires_at }),
        )
        .await?;
    Ok(token)
}
