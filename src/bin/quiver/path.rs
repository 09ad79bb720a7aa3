//! `quiver path`: shortest paths between nodes named by key.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use quiverdb::algo::PathQuery;

use crate::common::{self, Naming};

/// Arguments of `quiver path`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// The source node's key.
    #[arg(required_unless_present = "pairs")]
    pub from: Option<String>,
    /// The target node's key.
    #[arg(required_unless_present = "pairs")]
    pub to: Option<String>,
    /// A file of "from to" key pairs, one a line (instead of FROM TO).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub pairs: Option<PathBuf>,
    /// Minimise the sum of this numeric edge property (default: hops).
    #[arg(long)]
    pub weight: Option<String>,
    /// Follow edges out, in or both ways.
    #[arg(long, default_value = "out")]
    pub direction: String,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub naming: Naming,
}

pub fn run(args: &Args) -> Result<()> {
    let db = common::open(&args.db)?;
    let mut query = PathQuery::new().direction(common::direction(&args.direction)?);
    if let Some(w) = &args.weight {
        query = query.weight(w.clone());
    }
    let pairs: Vec<(String, String)> = match (&args.pairs, &args.from, &args.to) {
        (Some(file), _, _) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let mut pairs = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let cols: Vec<&str> = line
                    .split([' ', '\t', ','])
                    .filter(|c| !c.is_empty())
                    .collect();
                let [a, b] = cols[..] else {
                    bail!("{}, line {}: expected \"from to\"", file.display(), i + 1);
                };
                pairs.push((a.to_owned(), b.to_owned()));
            }
            pairs
        }
        (None, Some(a), Some(b)) => vec![(a.clone(), b.clone())],
        _ => bail!("give FROM and TO, or --pairs"),
    };
    let r = db.begin_read()?;
    let mut results = Vec::new();
    let mut times = Vec::new();
    for (a, b) in &pairs {
        let (from, to) = (args.naming.node(&r, a)?, args.naming.node(&r, b)?);
        let t = Instant::now();
        let path = r.shortest_path(from, to, &query)?;
        let us = t.elapsed().as_secs_f64() * 1e6;
        times.push(us);
        let keys = match &path {
            Some(p) => Some(
                p.nodes
                    .iter()
                    .map(|n| args.naming.key_of(&r, *n))
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        if !args.json {
            match (&path, &keys) {
                (Some(p), Some(k)) => println!(
                    "{a} -> {b}: {} (hops {}, cost {}) in {us:.0} µs",
                    k.join(" -> "),
                    p.hops(),
                    p.cost
                ),
                _ => println!("{a} -> {b}: unreachable ({us:.0} µs)"),
            }
        }
        results.push(serde_json::json!({
            "from": a, "to": b,
            "hops": path.as_ref().map(quiverdb::algo::Path::hops),
            "cost": path.as_ref().map(|p| p.cost),
            "path": keys,
            "elapsed_us": us,
        }));
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
    if args.json {
        println!(
            "{}",
            serde_json::json!({"pairs": results, "median_us": median})
        );
    } else if pairs.len() > 1 {
        println!("{} pairs, median {median:.0} µs", pairs.len());
    }
    Ok(())
}
