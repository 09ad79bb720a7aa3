//! `quiver stats`: what a database holds, how long it took to open, and
//! how each vector index stands (loaded or rebuilt, memory).

use std::path::PathBuf;

use anyhow::Result;
use quiverdb::GraphRead;

use crate::common;

/// Arguments of `quiver stats`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// Compact storage first, so the disk use counts only live data (no
    /// write-ahead log, no overwritten versions).
    #[arg(long)]
    pub compact: bool,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args) -> Result<()> {
    let opening = std::time::Instant::now();
    let db = common::open(&args.db)?;
    let open_ms = opening.elapsed().as_secs_f64() * 1e3;
    if args.compact {
        db.compact()?;
    }
    let r = db.begin_read()?;
    let census = r.census()?;
    let (labels, types) = (&census.labels, &census.edge_types);
    let end = |l: &str| {
        if l.is_empty() {
            "()".to_owned()
        } else {
            format!("(:{l})")
        }
    };
    let mut collections = Vec::new();
    for c in r.collections()? {
        let index = db.vector_index_info(&c.name)?;
        collections.push(serde_json::json!({
            "name": c.name,
            "dim": c.config.dim,
            "metric": format!("{:?}", c.config.metric).to_lowercase(),
            "engine": c.config.engine.name(),
            "quantization": c.config.quantization.name(),
            "points": c.count,
            "bound_to_nodes": c.config.bound_to_nodes,
            "fed_by": c.config.source.as_ref().map(|s| serde_json::json!({
                "relationships": s.on_edges(),
                "label": s.label(),
                "property": s.property(),
            })),
            "index": {
                "from_checkpoint": index.from_checkpoint,
                "replayed": index.replayed,
                "built_because": index.built_because,
                "memory_bytes": index.memory_bytes,
                "mapped_bytes": index.mapped_bytes,
                "walk_bytes": index.walk_bytes,
                "default_ef": index.default_ef,
                "calibrated": index.calibrated,
            },
        }));
    }
    let doc = serde_json::json!({
        "nodes": r.node_count()?,
        "edges": r.edge_count()?,
        "labels": labels.iter().map(|(n, c)| serde_json::json!({"label": n, "nodes": c})).collect::<Vec<_>>(),
        "edge_types": types.iter().map(|(n, c)| serde_json::json!({"type": n, "edges": c})).collect::<Vec<_>>(),
        "patterns": census.patterns.iter().map(|(s, t, d, c)| serde_json::json!({"from": s, "type": t, "to": d, "edges": c})).collect::<Vec<_>>(),
        "distinct": census.distinct.iter().map(|(l, k, c)| serde_json::json!({"label": l, "key": k, "values": c})).collect::<Vec<_>>(),
        "collections": collections,
        "fulltext": r.fulltext_indexes()?.iter().map(|i| serde_json::json!({
            "name": i.name,
            "relationships": i.config.relationships,
            "labels": i.config.labels,
            "properties": i.config.properties,
            "analyzer": i.config.analyzer.name(),
            "documents": i.documents,
        })).collect::<Vec<_>>(),
        "disk_bytes": db.disk_usage()?,
        "open_ms": open_ms,
        "rss_bytes": common::rss_bytes(),
    });
    if args.json {
        println!("{doc}");
        return Ok(());
    }
    let mib = |b: u64| b as f64 / f64::from(1u32 << 20);
    println!(
        "{}: {} nodes, {} edges, {:.1} MiB on disk; opened in {open_ms:.0} ms",
        args.db.display(),
        doc["nodes"],
        doc["edges"],
        mib(db.disk_usage()?)
    );
    for (n, c) in labels {
        println!("  label {n}: {c} nodes");
    }
    for (n, c) in types {
        println!("  edge type {n}: {c} edges");
    }
    for (s, t, d, c) in &census.patterns {
        println!("  {}-[:{t}]->{}: {c} edges", end(s), end(d));
    }
    for (l, k, c) in &census.distinct {
        println!("  index :{l}({k}): {c} distinct values");
    }
    for i in r.fulltext_indexes()? {
        println!(
            "  full-text index {} on {} ({}), {}: {} documents",
            i.name,
            i.config.labels.join("|"),
            i.config.properties.join(", "),
            i.config.analyzer,
            i.documents
        );
    }
    for c in &collections {
        let index = &c["index"];
        let origin = if index["from_checkpoint"] == true {
            format!("loaded, {} points replayed", index["replayed"])
        } else {
            format!("rebuilt: {}", index["built_because"])
        };
        let memory = index["memory_bytes"].as_u64().map_or_else(
            || "memory not reported by hnsw-rs".to_owned(),
            |b| format!("{:.1} MiB memory", mib(b)),
        );
        let memory = match index["walk_bytes"].as_u64() {
            Some(w) => format!("{memory} ({:.1} MiB read by walks)", mib(w)),
            None => memory,
        };
        let ef = if index["calibrated"] == true {
            format!(
                "default ef {} (calibrated for recall@10 0.95)",
                index["default_ef"]
            )
        } else {
            format!("default ef {} (not calibrated)", index["default_ef"])
        };
        println!(
            "  collection {}: {} points of dim {} ({}, {}, quantization {}); index {origin}, {memory}, {:.1} MiB mapped, {ef}",
            c["name"],
            c["points"],
            c["dim"],
            c["metric"],
            c["engine"],
            c["quantization"],
            mib(index["mapped_bytes"].as_u64().unwrap_or(0))
        );
    }
    if let Some(rss) = common::rss_bytes() {
        println!("  process memory (RSS) after open: {:.1} MiB", mib(rss));
    }
    Ok(())
}
