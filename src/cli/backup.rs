//! `papi backup`: a consistent copy of an SQLite database, taken while the service runs (SQLite's
//! `VACUUM INTO` reads one snapshot and writes a compact file). Restoring is putting the copy in the
//! original's place with the service stopped. PostgreSQL is backed up with its own tools (pg_dump),
//! as the README says.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;

use super::open_store;

#[derive(Args)]
pub struct BackupArgs {
    /// The database to copy: `sqlite:FILE`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:papi.db")]
    pub database: String,
    /// Where the copy goes: a new file (an existing one is never overwritten).
    #[arg(long, short)]
    pub output: PathBuf,
}

pub fn run(args: BackupArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    if args.output.exists() {
        bail!(
            "--output {}: the file exists; a backup never overwrites one",
            args.output.display()
        );
    }
    runtime.block_on(async {
        let store = open_store(&args.database).await?;
        let summary = store
            .backup_into(&args.output)
            .await
            .with_context(|| format!("backing up into {}", args.output.display()))?;
        eprintln!(
            "backed up into {}: {} interviews, {} audit entries, {} bytes",
            args.output.display(),
            summary.interviews,
            summary.audit_entries,
            summary.bytes
        );
        Ok(ExitCode::SUCCESS)
    })
}
