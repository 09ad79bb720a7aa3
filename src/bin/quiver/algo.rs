//! `quiver algo`: one graph kernel, with per-node output in the LDBC
//! Graphalytics format ("key value" lines), so results diff directly
//! against the reference files.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use quiverdb::algo::{self, ProjectionSpec};
use quiverdb::import::GraphalyticsProperties;
use quiverdb::{Direction, GraphRead, Value};

use crate::common::{self, Naming};

/// Arguments of `quiver algo`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// bfs, sssp, wcc, scc, pagerank (pr), cdlp, lcc, kcore or ppr
    /// (personalised PageRank from --source or --seeds).
    pub algorithm: String,
    /// The source node's key (bfs, sssp).
    #[arg(long)]
    pub source: Option<String>,
    /// The seed nodes' keys of ppr, comma-separated (or --source for one).
    #[arg(long, value_delimiter = ',')]
    pub seeds: Vec<String>,
    /// The numeric edge property holding weights (sssp, ppr).
    #[arg(long)]
    pub weight: Option<String>,
    /// Iterations (pagerank default 20, cdlp default 10).
    #[arg(long)]
    pub iterations: Option<u32>,
    /// PageRank damping factor.
    #[arg(long, default_value_t = 0.85)]
    pub damping: f64,
    /// Treat edges as undirected (default: as the graph was imported).
    #[arg(long, conflicts_with = "directed")]
    pub undirected: bool,
    /// Treat edges as directed (default: as the graph was imported).
    #[arg(long)]
    pub directed: bool,
    /// Take the parameters (source, iterations, damping, direction,
    /// weights) from a Graphalytics .properties file.
    #[arg(long)]
    pub graphalytics: Option<PathBuf>,
    /// Write "key value" lines here (default: stdout, unless --json).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Print a JSON summary (timings) instead of the values.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub naming: Naming,
}

fn float(x: f64) -> String {
    if x.is_infinite() {
        "infinity".into()
    } else {
        format!("{x:e}")
    }
}

pub fn run(args: &Args) -> Result<()> {
    let props = args
        .graphalytics
        .as_deref()
        .map(GraphalyticsProperties::read)
        .transpose()?;
    let param = |key: &str| props.as_ref().and_then(|p| p.param(key)).map(str::to_owned);
    let name = match args.algorithm.to_ascii_lowercase().as_str() {
        "pr" | "pagerank" => "pr".to_owned(),
        other => other.to_owned(),
    };
    let db = common::open(&args.db)?;
    // What the import recorded, unless the flags or a .properties file say
    // otherwise.
    let recorded = db.begin_read()?.graph_info()?;
    let directed = if args.undirected || args.directed {
        args.directed
    } else {
        props.as_ref().map_or(!recorded.undirected, |p| p.directed)
    };
    let dir = if directed {
        Direction::Out
    } else {
        Direction::Both
    };
    let weight = args.weight.clone().or_else(|| match &props {
        Some(p) => p.weighted.then(|| "weight".to_owned()),
        None => recorded.weight.clone(),
    });
    let spec = match (&weight, name.as_str()) {
        (Some(w), "sssp" | "ppr") => ProjectionSpec::new().weight(w.clone()),
        _ => ProjectionSpec::new(),
    }
    .undirected(!directed);
    let t = Instant::now();
    let p = db.projection(&spec)?;
    let projection_ms = t.elapsed().as_secs_f64() * 1e3;
    let r = db.begin_read()?;
    let source = || -> Result<quiverdb::NodeId> {
        let key = args
            .source
            .clone()
            .or_else(|| param(&format!("{name}.source-vertex")))
            .with_context(|| format!("{name} needs --source"))?;
        args.naming.node(&r, &key)
    };
    let keys = args.naming.all_keys(&r)?;
    let key_text = |i: u32| {
        keys.get(&p.node_id(i))
            .map_or_else(|| format!("#{}", p.node_id(i).0), common::show)
    };
    let t = Instant::now();
    let values: Vec<String> = match name.as_str() {
        "bfs" => algo::bfs_depths(&p, source()?, dir)?
            .iter()
            .map(|d| d.map_or(i64::MAX, i64::from).to_string())
            .collect(),
        "sssp" => algo::sssp_distances(&p, source()?, dir)?
            .iter()
            .map(|d| float(*d))
            .collect(),
        "wcc" | "scc" => {
            let c = if name == "wcc" {
                algo::weakly_connected_components(&p)
            } else {
                algo::strongly_connected_components(&p)
            };
            let mut rep: Vec<Option<Value>> = vec![None; c.count()];
            for i in 0..p.node_count() as u32 {
                if let Some(k) = keys.get(&p.node_id(i)) {
                    let slot = &mut rep[c.component_of(i) as usize];
                    if slot
                        .as_ref()
                        .is_none_or(|r| common::key_order(k, r).is_lt())
                    {
                        *slot = Some(k.clone());
                    }
                }
            }
            (0..p.node_count() as u32)
                .map(|i| {
                    let comp = c.component_of(i) as usize;
                    rep[comp]
                        .as_ref()
                        .map_or_else(|| comp.to_string(), common::show)
                })
                .collect()
        }
        "pr" => {
            let damping = param("pr.damping-factor")
                .map(|d| d.parse::<f64>())
                .transpose()?
                .unwrap_or(args.damping);
            let it = args
                .iterations
                .or(param("pr.num-iterations").map(|n| n.parse()).transpose()?)
                .unwrap_or(20);
            algo::pagerank(&p, damping, it, dir)
                .iter()
                .map(|x| float(*x))
                .collect()
        }
        "cdlp" => {
            let it = args
                .iterations
                .or(param("cdlp.max-iterations")
                    .map(|n| n.parse())
                    .transpose()?)
                .unwrap_or(10);
            algo::cdlp(&p, it)
                .iter()
                .map(|n| {
                    keys.get(n)
                        .map_or_else(|| format!("#{}", n.0), common::show)
                })
                .collect()
        }
        "lcc" => algo::lcc(&p, directed).iter().map(|x| float(*x)).collect(),
        "kcore" => algo::kcore(&p).iter().map(ToString::to_string).collect(),
        "ppr" => {
            let seeds = if args.seeds.is_empty() {
                vec![p.require(source()?)?]
            } else {
                args.seeds
                    .iter()
                    .map(|k| Ok(p.require(args.naming.node(&r, k)?)?))
                    .collect::<Result<Vec<u32>>>()?
            };
            let seeds: Vec<(u32, f64)> = seeds.into_iter().map(|s| (s, 1.0)).collect();
            algo::personalized_pagerank(&p, &seeds, args.damping, dir)
                .iter()
                .map(|x| float(*x))
                .collect()
        }
        other => {
            bail!(
                "unknown algorithm {other:?}: use bfs, sssp, wcc, scc, pagerank, cdlp, lcc, kcore or ppr"
            )
        }
    };
    let elapsed_ms = t.elapsed().as_secs_f64() * 1e3;
    let lines =
        (0..p.node_count() as u32).map(|i| format!("{} {}", key_text(i), values[i as usize]));
    match (&args.output, args.json) {
        (Some(out), _) => common::write_lines(out, lines)?,
        (None, false) => common::print_lines(lines)?,
        (None, true) => {}
    }
    let summary = serde_json::json!({
        "algorithm": name, "nodes": p.node_count(), "edges": p.edge_count(),
        "elapsed_ms": elapsed_ms, "projection_ms": projection_ms,
    });
    if args.json {
        println!("{summary}");
    } else {
        eprintln!(
            "{name}: {} nodes, kernel {elapsed_ms:.1} ms, projection {projection_ms:.1} ms",
            p.node_count()
        );
    }
    Ok(())
}
