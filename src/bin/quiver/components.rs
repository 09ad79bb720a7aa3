//! `quiver components`: weakly (or strongly) connected components.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use quiverdb::algo::{self, ProjectionSpec};

use crate::common::{self, Naming};

/// Arguments of `quiver components`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// Strongly connected components (edge direction matters).
    #[arg(long)]
    pub strong: bool,
    /// Write one "key component" line per node; a component is named by
    /// its smallest key.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub naming: Naming,
}

pub fn run(args: &Args) -> Result<()> {
    let db = common::open(&args.db)?;
    let t = Instant::now();
    let (p, cached) = db.projection_cached(&ProjectionSpec::new())?;
    let projection_ms = if cached {
        0.0
    } else {
        t.elapsed().as_secs_f64() * 1e3
    };
    let source = if p.from_file() {
        "read from file"
    } else {
        "built"
    };
    let t = Instant::now();
    let c = if args.strong {
        algo::strongly_connected_components(&p)
    } else {
        algo::weakly_connected_components(&p)
    };
    let elapsed_ms = t.elapsed().as_secs_f64() * 1e3;
    let mut sizes = c.sizes().to_vec();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    if let Some(out) = &args.output {
        let r = db.begin_read()?;
        let keys = args.naming.all_keys(&r)?;
        let key = |i: u32| keys.get(&p.node_id(i)).cloned();
        let mut rep: Vec<Option<quiverdb::Value>> = vec![None; c.count()];
        for i in 0..p.node_count() as u32 {
            let comp = c.component_of(i) as usize;
            if let Some(k) = key(i)
                && rep[comp]
                    .as_ref()
                    .is_none_or(|r| common::key_order(&k, r).is_lt())
            {
                rep[comp] = Some(k);
            }
        }
        common::write_lines(
            out,
            (0..p.node_count() as u32).map(|i| {
                let name =
                    key(i).map_or_else(|| format!("#{}", p.node_id(i).0), |k| common::show(&k));
                let comp = c.component_of(i) as usize;
                let label = rep[comp]
                    .as_ref()
                    .map_or_else(|| comp.to_string(), common::show);
                format!("{name} {label}")
            }),
        )?;
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "count": c.count(),
                "largest": c.largest(),
                "sizes": sizes.iter().take(10).collect::<Vec<_>>(),
                "elapsed_ms": elapsed_ms,
                "projection_ms": projection_ms,
                "projection": if cached { "cached" } else if p.from_file() { "file" } else { "built" },
            })
        );
    } else {
        println!(
            "{} {} components over {} nodes, largest {}; top sizes {:?}; kernel {elapsed_ms:.1} ms, projection {projection_ms:.1} ms ({source})",
            c.count(),
            if args.strong {
                "strongly connected"
            } else {
                "weakly connected"
            },
            p.node_count(),
            c.largest(),
            &sizes[..sizes.len().min(10)]
        );
    }
    Ok(())
}
