//! `quiver check`: verify a database's invariants; exit non-zero on any
//! inconsistency.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::common;

/// Arguments of `quiver check`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args) -> Result<()> {
    let db = common::open(&args.db)?;
    let report = db.check()?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "ok": report.is_ok(), "nodes": report.nodes, "edges": report.edges,
                "points": report.points, "problems": report.problems,
            })
        );
    } else {
        println!("checked {}", report.summary());
        for p in &report.problems {
            println!("  {p}");
        }
    }
    if !report.is_ok() {
        bail!(
            "{} problem(s) found in {}",
            report.problems.len(),
            args.db.display()
        );
    }
    Ok(())
}
