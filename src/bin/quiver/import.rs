//! `quiver import`: for now, vectors from an `.fvecs` file into a
//! collection (keys 0..n-1 in file order, so ann-benchmarks ground truth
//! indexes them directly).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use quiverdb::vector::{CollectionConfig, Metric};
use quiverdb::{Database, Durability, GraphRead, Props};

/// Arguments of `quiver import`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory (created if missing).
    pub db: PathBuf,
    /// An `.fvecs` file of vectors to load.
    #[arg(long)]
    pub vectors: PathBuf,
    /// The collection to create and fill.
    #[arg(long)]
    pub collection: String,
    /// cosine, l2 or dot.
    #[arg(long, default_value = "cosine")]
    pub metric: String,
    /// HNSW M.
    #[arg(long, default_value_t = 16)]
    pub m: usize,
    /// HNSW `ef_construction`.
    #[arg(long, default_value_t = 200)]
    pub ef_construction: usize,
}

const BATCH: usize = 20_000;

pub fn run(args: &Args) -> Result<()> {
    let metric = match args.metric.as_str() {
        "cosine" => Metric::Cosine,
        "l2" => Metric::L2,
        "dot" => Metric::Dot,
        other => bail!("unknown metric {other:?}: use cosine, l2 or dot"),
    };
    let t = Instant::now();
    let rows = quiverdb::import::read_fvecs(&args.vectors)?;
    let read = t.elapsed();
    let dim = rows[0].len();
    let db = Database::builder()
        .durability(Durability::Buffered)
        .open(&args.db)
        .with_context(|| format!("opening {}", args.db.display()))?;
    let mut w = db.begin_write()?;
    if w.collections()?.iter().any(|c| c.name == args.collection) {
        bail!(
            "collection {:?} exists already in {}",
            args.collection,
            args.db.display()
        );
    }
    w.create_collection(
        &args.collection,
        CollectionConfig::new(dim, metric).hnsw(args.m, args.ef_construction),
    )?;
    w.commit()?;
    let (mut staging, mut indexing) = (read, std::time::Duration::ZERO);
    let (mut loaded, mut rejected) = (0usize, Vec::new());
    for (b, chunk) in rows.chunks(BATCH).enumerate() {
        let t = Instant::now();
        let mut w = db.begin_write()?;
        let first = b * BATCH;
        let points = chunk
            .iter()
            .enumerate()
            .map(|(i, v)| ((first + i) as u64, v.as_slice(), Props::new()));
        let report = w.upsert_vectors(&args.collection, points)?;
        staging += t.elapsed();
        let t = Instant::now();
        w.commit()?;
        indexing += t.elapsed();
        loaded += report.inserted + report.updated;
        rejected.extend(report.rejected);
        eprintln!("imported {loaded} / {} vectors", rows.len());
    }
    let t = Instant::now();
    db.close()?;
    let closing = t.elapsed();
    // `staging` started with the file read.
    let total = staging + indexing + closing;
    for r in rejected.iter().take(20) {
        eprintln!("rejected row {} (key {}): {}", r.index, r.key, r.reason);
    }
    println!(
        "{loaded} vectors loaded, {} rejected, in {:.1} s ({:.0} vectors/s); read+stage {:.1} s, index {:.1} s, checkpoint+sync {:.1} s — the bottleneck is {}",
        rejected.len(),
        total.as_secs_f64(),
        loaded as f64 / total.as_secs_f64(),
        staging.as_secs_f64(),
        indexing.as_secs_f64(),
        closing.as_secs_f64(),
        if indexing > staging {
            "the HNSW index build"
        } else {
            "reading and staging"
        }
    );
    Ok(())
}
