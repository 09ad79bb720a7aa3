//! `quiver stats`: what a database holds.

use std::path::PathBuf;

use anyhow::Result;
use quiverdb::GraphRead;

use crate::common;

/// Arguments of `quiver stats`.
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
    let r = db.begin_read()?;
    let census = r.census()?;
    let (labels, types) = (census.labels, census.edge_types);
    let mut collections = Vec::new();
    for c in r.collections()? {
        collections.push(serde_json::json!({
            "name": c.name,
            "dim": c.config.dim,
            "metric": format!("{:?}", c.config.metric).to_lowercase(),
            "points": c.count,
            "bound_to_nodes": c.config.bound_to_nodes,
        }));
    }
    let doc = serde_json::json!({
        "nodes": r.node_count()?,
        "edges": r.edge_count()?,
        "labels": labels.iter().map(|(n, c)| serde_json::json!({"label": n, "nodes": c})).collect::<Vec<_>>(),
        "edge_types": types.iter().map(|(n, c)| serde_json::json!({"type": n, "edges": c})).collect::<Vec<_>>(),
        "collections": collections,
        "disk_bytes": db.disk_usage()?,
    });
    if args.json {
        println!("{doc}");
        return Ok(());
    }
    println!(
        "{}: {} nodes, {} edges, {:.1} MiB on disk",
        args.db.display(),
        doc["nodes"],
        doc["edges"],
        db.disk_usage()? as f64 / f64::from(1u32 << 20)
    );
    for (n, c) in &labels {
        println!("  label {n}: {c} nodes");
    }
    for (n, c) in &types {
        println!("  edge type {n}: {c} edges");
    }
    for c in &collections {
        println!(
            "  collection {}: {} points of dim {} ({})",
            c["name"], c["points"], c["dim"], c["metric"]
        );
    }
    Ok(())
}
