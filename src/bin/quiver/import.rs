//! `quiver import`: nodes, edges and vectors from files, in one
//! all-or-nothing bulk import, with progress bars and a report.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use quiverdb::fulltext::{Analyzer, FulltextConfig};
use quiverdb::import::{
    Format, GraphalyticsProperties, ImportOptions, Importer, Report, VectorKeys,
};
use quiverdb::vector::{CollectionConfig, IndexEngine, Metric, Quantization};
use quiverdb::{Database, Durability};

/// Arguments of `quiver import`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory (created if missing).
    pub db: PathBuf,
    /// A node file (.csv, .jsonl, .v); repeatable. Loaded before edges.
    #[arg(long)]
    pub nodes: Vec<PathBuf>,
    /// An edge file (.csv, .jsonl, .txt/.el edge list, .e); repeatable.
    #[arg(long)]
    pub edges: Vec<PathBuf>,
    /// A Graphalytics .properties file: loads its .v and .e files.
    #[arg(long)]
    pub graphalytics: Option<PathBuf>,
    /// Read every --nodes/--edges file in this format instead of guessing
    /// from the extension (csv, jsonl, edgelist, v, e).
    #[arg(long)]
    pub format: Option<String>,
    /// A vector file (.fvecs, .bvecs, .ivecs, .npy).
    #[arg(long, requires = "collection")]
    pub vectors: Option<PathBuf>,
    /// The collection the vectors (or embedded texts) go into (created if
    /// missing).
    #[arg(long)]
    pub collection: Option<String>,
    #[arg(
        long,
        requires_all = ["collection", "nodes"],
        conflicts_with = "vectors",
        help = "Embed this column of the node files (e.g. description) into --collection, \
                a node-bound collection that stores each text with its vector; needs a \
                model (--model or $QUIVER_MODEL)"
    )]
    pub embed_column: Option<String>,
    #[arg(
        long,
        help = "The sentence-transformers model folder for --embed-column; default: $QUIVER_MODEL"
    )]
    pub model: Option<PathBuf>,
    /// cosine, l2 or dot.
    #[arg(long, default_value = "cosine")]
    pub metric: String,
    /// A file of node keys, one a line: row i of the vectors belongs to
    /// the node on line i+1. Without it (and without --by-order), rows get
    /// keys 0..n-1 in file order.
    #[arg(long, conflicts_with = "by_order")]
    pub keys: Option<PathBuf>,
    /// Row i of the vectors belongs to the i-th node of the node files.
    #[arg(long)]
    pub by_order: bool,
    /// HNSW M.
    #[arg(long, default_value_t = 16)]
    pub m: usize,
    /// HNSW `ef_construction`.
    #[arg(long, default_value_t = 200)]
    pub ef_construction: usize,
    /// The HNSW engine of a new collection: native (faster, the default)
    /// or hnsw-rs.
    #[arg(long, default_value = "native")]
    pub engine: String,
    /// What a new collection's graph walk reads: none (the f32 vectors),
    /// int8 (one byte per component) or binary (one bit per component);
    /// with codes, the walk's candidates are re-ranked with the f32
    /// vectors (native engine).
    #[arg(long, default_value = "none")]
    pub quantization: String,
    /// The label of every imported node; keys are unique under it.
    #[arg(long, default_value = "Node")]
    pub label: String,
    /// The property holding each node's external key (the CSV/JSON column).
    #[arg(long, default_value = "id")]
    pub key: String,
    /// The type of edges whose row names none.
    #[arg(long, default_value = "EDGE")]
    pub edge_type: String,
    /// In CSV/JSON edge files, create nodes for unknown keys instead of
    /// rejecting the row.
    #[arg(long)]
    pub create_missing_nodes: bool,
    /// Skip and count bad rows instead of failing the import.
    #[arg(long)]
    pub skip_bad: bool,
    /// Record the graph as undirected: `quiver algo` and projections then
    /// follow its edges both ways by default (a Graphalytics import takes
    /// this from its .properties).
    #[arg(long)]
    pub undirected: bool,
    /// Create a full-text index over the imported data once the graph
    /// has committed: `NAME:LABEL[|LABEL...]:PROPERTY[,PROPERTY...][:ANALYZER]`
    /// (e.g. `descriptions:Package:description,long_description:english`).
    /// Repeatable.
    #[arg(long = "fulltext", value_name = "SPEC")]
    pub fulltext: Vec<String>,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// A `--fulltext` spec as an index name and configuration.
fn fulltext_spec(spec: &str) -> Result<(String, FulltextConfig)> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (name, labels, props, analyzer) = match parts.as_slice() {
        [n, l, p] => (*n, *l, *p, None),
        [n, l, p, a] => (*n, *l, *p, Some(*a)),
        _ => bail!("--fulltext {spec:?}: write NAME:LABEL[|LABEL]:PROPERTY[,PROPERTY][:ANALYZER]"),
    };
    let labels: Vec<&str> = labels.split('|').filter(|s| !s.is_empty()).collect();
    let props: Vec<&str> = props.split(',').filter(|s| !s.is_empty()).collect();
    if name.is_empty() || labels.is_empty() || props.is_empty() {
        bail!("--fulltext {spec:?}: the name, a label and a property are needed");
    }
    let mut config = FulltextConfig::nodes(&labels, &props);
    if let Some(a) = analyzer {
        config = config.analyzer(Analyzer::from_name(a)?);
    }
    Ok((name.to_owned(), config))
}

fn format_of(path: &Path, forced: Option<&str>) -> Result<Format> {
    match forced {
        Some(name) => Format::from_name(name).with_context(|| {
            format!(
                "unknown --format {name:?}: use csv, jsonl, edgelist, v, e, fvecs, bvecs, ivecs or npy"
            )
        }),
        None => Format::from_path(path).with_context(|| {
            format!(
                "{}: cannot tell the format from the extension; pass --format",
                path.display()
            )
        }),
    }
}

fn metric(name: &str) -> Result<Metric> {
    Metric::from_name(name)
        .with_context(|| format!("unknown metric {name:?}: use cosine, l2 or dot"))
}

fn bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {prefix:>10} {wide_msg} [{bar:30}] {percent:>3}% {elapsed_precise}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

pub fn run(args: &Args) -> Result<()> {
    if args.nodes.is_empty()
        && args.edges.is_empty()
        && args.graphalytics.is_none()
        && args.vectors.is_none()
    {
        bail!("nothing to import: pass --nodes, --edges, --graphalytics or --vectors");
    }
    let metric = metric(&args.metric)?;
    let fulltext = args
        .fulltext
        .iter()
        .map(|spec| fulltext_spec(spec))
        .collect::<Result<Vec<_>>>()?;
    let Some(engine) = IndexEngine::from_name(&args.engine) else {
        bail!("unknown engine {:?}: use hnsw-rs or native", args.engine);
    };
    let Some(quantization) = Quantization::from_name(&args.quantization) else {
        bail!(
            "unknown quantization {:?}: use none, int8 or binary",
            args.quantization
        );
    };
    let config = CollectionConfig::new(1, metric)
        .hnsw(args.m, args.ef_construction)
        .engine(engine)
        .quantization(quantization);
    // The model loads before the database opens: a bad folder changes
    // nothing.
    let model = match &args.embed_column {
        Some(_) => Some(crate::embed::load_model(args.model.as_ref())?),
        None => None,
    };
    let db = Database::builder()
        .durability(Durability::Buffered)
        .open(&args.db)
        .with_context(|| format!("opening {}", args.db.display()))?;
    let opts = ImportOptions::default()
        .key_label(args.label.clone())
        .key_property(args.key.clone())
        .edge_type(args.edge_type.clone())
        .skip_bad(args.skip_bad)
        .create_missing_nodes(args.create_missing_nodes)
        .undirected(args.undirected);
    let report = {
        let mut import = Importer::new(&db, opts)?;
        let bar = bar();
        let progress = bar.clone();
        import.on_progress(move |p| {
            progress.set_prefix(p.stage);
            let file = p
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if p.stage == "embedding" {
                progress.set_message(format!("{file}: {} of {} texts", p.done, p.total));
            } else if p.stage == "fulltext" {
                progress.set_message(format!("{file}: {} of {} documents", p.done, p.total));
            } else {
                progress.set_message(file);
            }
            progress.set_length(p.total.max(1));
            progress.set_position(p.done);
        });
        for (name, config) in fulltext {
            import.fulltext_index(&name, config)?;
        }
        let forced = args.format.as_deref();
        if let (Some(column), Some(collection), Some((model, _))) =
            (&args.embed_column, &args.collection, &model)
        {
            import.embed_column(column, collection, config.clone(), model.clone())?;
        }
        if let Some(props) = &args.graphalytics {
            import.graphalytics(&GraphalyticsProperties::read(props)?)?;
        }
        for path in &args.nodes {
            import.nodes(path, format_of(path, forced)?)?;
        }
        for path in &args.edges {
            import.edges(path, format_of(path, forced)?)?;
        }
        if let (Some(path), Some(collection)) = (&args.vectors, &args.collection) {
            let keys = match (&args.keys, args.by_order) {
                (Some(f), _) => VectorKeys::File(f.clone()),
                (None, true) => VectorKeys::NodeOrder,
                (None, false) => VectorKeys::Row,
            };
            import.vectors(path, format_of(path, None)?, collection, config, keys)?;
        }
        let report = import.finish();
        bar.finish_and_clear();
        report?
    };
    db.close()?;
    print_report(&report, args.json);
    Ok(())
}

/// Texts embedded per second of the `embed` stage.
fn texts_per_second(r: &Report) -> Option<f64> {
    let (_, took) = r.stages.iter().find(|(s, _)| *s == "embed")?;
    Some(r.texts as f64 / took.as_secs_f64().max(1e-9))
}

fn print_report(r: &Report, json: bool) {
    let secs = r.elapsed.as_secs_f64();
    if json {
        let doc = serde_json::json!({
            "nodes": r.nodes,
            "edges": r.edges,
            "vectors": r.vectors,
            "texts": r.texts,
            "texts_per_second": texts_per_second(r),
            "rejected": r.rejected_total,
            "elapsed_s": secs,
            "bottleneck": r.bottleneck(),
            "stages": r.stages.iter().map(|(s, d)| serde_json::json!({"stage": s, "seconds": d.as_secs_f64()})).collect::<Vec<_>>(),
            "sources": r.sources.iter().map(|s| serde_json::json!({
                "path": s.path, "kind": s.kind, "read": s.read, "loaded": s.loaded,
                "rejected": s.rejected, "seconds": s.elapsed.as_secs_f64(),
            })).collect::<Vec<_>>(),
            "rejects": r.rejected.iter().map(|x| serde_json::json!({
                "path": x.path, "line": x.line, "reason": x.reason,
            })).collect::<Vec<_>>(),
        });
        println!("{doc}");
        return;
    }
    for s in &r.sources {
        println!(
            "{:>8} {}: {} read, {} loaded, {} rejected in {:.2} s",
            s.kind,
            s.path.display(),
            s.read,
            s.loaded,
            s.rejected,
            s.elapsed.as_secs_f64()
        );
    }
    for x in &r.rejected {
        println!(
            "rejected {}, line {}: {}",
            x.path.display(),
            x.line,
            x.reason
        );
    }
    if r.rejected_total > r.rejected.len() as u64 {
        println!(
            "... and {} more rejected rows",
            r.rejected_total - r.rejected.len() as u64
        );
    }
    if let Some(rate) = texts_per_second(r) {
        println!("embedded {} texts: {rate:.1} texts/s", r.texts);
    }
    let stages: Vec<String> = r
        .stages
        .iter()
        .map(|(s, d)| format!("{s} {:.2} s", d.as_secs_f64()))
        .collect();
    println!(
        "imported {} nodes, {} edges, {} vectors in {secs:.2} s ({:.0} edges/s); {}; the bottleneck is {}",
        r.nodes,
        r.edges,
        r.vectors,
        r.edges as f64 / secs.max(1e-9),
        stages.join(", "),
        r.bottleneck().unwrap_or("-")
    );
}
