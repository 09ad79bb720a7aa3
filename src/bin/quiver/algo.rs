//! `quiver algo`: one graph kernel, with per-node output in the LDBC
//! Graphalytics format ("key value" lines), so results diff directly
//! against the reference files.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use quiverdb::algo::{self, LeidenConfig, Objective, ProjectionSpec};
use quiverdb::import::GraphalyticsProperties;
use quiverdb::{Direction, GraphRead, Value};

use crate::common::{self, Naming};

/// Arguments of `quiver algo`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// bfs, sssp, wcc, scc, pagerank (pr), cdlp, lcc, kcore, ppr
    /// (personalised PageRank from --source or --seeds), leiden or louvain.
    pub algorithm: String,
    /// The source node's key (bfs, sssp).
    #[arg(long)]
    pub source: Option<String>,
    /// The seed nodes' keys of ppr, comma-separated (or --source for one).
    #[arg(long, value_delimiter = ',')]
    pub seeds: Vec<String>,
    /// The numeric edge property holding weights (sssp, ppr, leiden,
    /// louvain).
    #[arg(long)]
    pub weight: Option<String>,
    /// Iterations (pagerank default 20, cdlp default 10, leiden and
    /// louvain default 3; 0 runs those until an iteration changes nothing).
    #[arg(long)]
    pub iterations: Option<u32>,
    /// Leiden / Louvain resolution γ.
    #[arg(long, default_value_t = 1.0)]
    pub resolution: f64,
    /// Leiden / Louvain objective: modularity or cpm.
    #[arg(long, default_value = "modularity")]
    pub objective: String,
    /// Leiden / Louvain random seed (the same seed gives the same result).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Leiden / Louvain: print (and write) every level's community, finest
    /// first, not only the last.
    #[arg(long)]
    pub levels: bool,
    /// Also store each node's result as this node property, in one commit
    /// (a node the result does not reach, such as one BFS cannot reach,
    /// loses the property), so Cypher can group or filter by it.
    #[arg(long, value_name = "KEY")]
    pub write_property: Option<String>,
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

/// One node's result: as printed, and as stored by `--write-property`
/// (`None` removes the property: the node has no result).
struct Cell {
    text: String,
    value: Option<Value>,
}

impl Cell {
    fn of(text: String, value: Value) -> Cell {
        Cell {
            text,
            value: Some(value),
        }
    }

    fn int(x: i64) -> Cell {
        Cell::of(x.to_string(), Value::Int(x))
    }

    fn float(x: f64) -> Cell {
        Cell::of(float(x), Value::Float(x))
    }

    fn none(text: String) -> Cell {
        Cell { text, value: None }
    }
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
    if args.levels && !matches!(name.as_str(), "leiden" | "louvain") {
        bail!("--levels is for leiden and louvain, not {name}");
    }
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
        (Some(w), "sssp" | "ppr" | "leiden" | "louvain") => ProjectionSpec::new().weight(w.clone()),
        _ => ProjectionSpec::new(),
    }
    .undirected(!directed);
    let clock = Instant::now();
    let p = db.projection(&spec)?;
    let projection_ms = clock.elapsed().as_secs_f64() * 1e3;
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
    let clock = Instant::now();
    let mut extra = serde_json::Map::new();
    let cells: Vec<Cell> = match name.as_str() {
        "bfs" => algo::bfs_depths(&p, source()?, dir)?
            .iter()
            .map(|d| match d {
                Some(d) => Cell::int(i64::from(*d)),
                None => Cell::none(i64::MAX.to_string()),
            })
            .collect(),
        "sssp" => algo::sssp_distances(&p, source()?, dir)?
            .iter()
            .map(|&d| {
                if d.is_finite() {
                    Cell::float(d)
                } else {
                    Cell::none(float(d))
                }
            })
            .collect(),
        "wcc" | "scc" => {
            let parts = if name == "wcc" {
                algo::weakly_connected_components(&p)
            } else {
                algo::strongly_connected_components(&p)
            };
            let mut rep: Vec<Option<Value>> = vec![None; parts.count()];
            for i in 0..p.node_count() as u32 {
                if let Some(k) = keys.get(&p.node_id(i)) {
                    let slot = &mut rep[parts.component_of(i) as usize];
                    if slot
                        .as_ref()
                        .is_none_or(|r| common::key_order(k, r).is_lt())
                    {
                        *slot = Some(k.clone());
                    }
                }
            }
            extra.insert("components".into(), parts.count().into());
            (0..p.node_count() as u32)
                .map(|i| {
                    let comp = parts.component_of(i) as usize;
                    match &rep[comp] {
                        Some(k) => Cell::of(common::show(k), k.clone()),
                        None => Cell::int(i64::try_from(comp).unwrap_or(i64::MAX)),
                    }
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
                .map(|&x| Cell::float(x))
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
                .map(|n| match keys.get(n) {
                    Some(k) => Cell::of(common::show(k), k.clone()),
                    None => Cell::of(format!("#{}", n.0), Value::Int(n.0.cast_signed())),
                })
                .collect()
        }
        "lcc" => algo::lcc(&p, directed)
            .iter()
            .map(|&x| Cell::float(x))
            .collect(),
        "kcore" => algo::kcore(&p)
            .iter()
            .map(|&k| Cell::int(i64::from(k)))
            .collect(),
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
                .map(|&x| Cell::float(x))
                .collect()
        }
        "leiden" | "louvain" => {
            let objective = match args.objective.to_ascii_lowercase().as_str() {
                "modularity" => Objective::Modularity,
                "cpm" => Objective::Cpm,
                other => bail!("unknown objective {other:?}: use modularity or cpm"),
            };
            let config = LeidenConfig::new()
                .objective(objective)
                .resolution(args.resolution)
                .seed(args.seed)
                .iterations(args.iterations.unwrap_or(3));
            let c = if name == "leiden" {
                algo::leiden(&p, &config)?
            } else {
                algo::louvain(&p, &config)?
            };
            extra.insert("communities".into(), c.count().into());
            extra.insert("quality".into(), c.quality().into());
            extra.insert(
                "level_communities".into(),
                (0..c.levels()).map(|l| c.level_count(l)).collect(),
            );
            (0..p.node_count())
                .map(|i| {
                    if args.levels {
                        let all: Vec<i64> =
                            (0..c.levels()).map(|l| i64::from(c.level(l)[i])).collect();
                        Cell::of(
                            all.iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(" "),
                            Value::List(all.into_iter().map(Value::Int).collect()),
                        )
                    } else {
                        Cell::int(i64::from(c.membership()[i]))
                    }
                })
                .collect()
        }
        other => {
            bail!(
                "unknown algorithm {other:?}: use bfs, sssp, wcc, scc, pagerank, cdlp, lcc, kcore, ppr, leiden or louvain"
            )
        }
    };
    let elapsed_ms = clock.elapsed().as_secs_f64() * 1e3;
    let written = match &args.write_property {
        Some(key) => {
            let mut w = db.begin_write()?;
            let changed = w.set_node_properties(
                p.node_ids()
                    .iter()
                    .zip(&cells)
                    .map(|(id, cell)| (*id, key.as_str(), cell.value.clone())),
            )?;
            w.commit()?;
            extra.insert("written_property".into(), key.clone().into());
            Some(changed)
        }
        None => None,
    };
    let lines =
        (0..p.node_count() as u32).map(|i| format!("{} {}", key_text(i), cells[i as usize].text));
    match (&args.output, args.json) {
        (Some(out), _) => common::write_lines(out, lines)?,
        (None, false) => common::print_lines(lines)?,
        (None, true) => {}
    }
    let mut summary = serde_json::json!({
        "algorithm": name, "nodes": p.node_count(), "edges": p.edge_count(),
        "elapsed_ms": elapsed_ms, "projection_ms": projection_ms,
        "projection": if p.from_file() { "file" } else { "built" },
    });
    if let Some(map) = summary.as_object_mut() {
        map.extend(extra.clone());
    }
    if args.json {
        println!("{summary}");
    } else {
        let mut more = String::new();
        if let Some(c) = extra.get("communities") {
            let _ = write!(more, ", {c} communities");
        }
        if let Some(q) = extra.get("quality").and_then(serde_json::Value::as_f64) {
            let _ = write!(more, ", quality {q:.6}");
        }
        if let (Some(key), Some(n)) = (&args.write_property, written) {
            let _ = write!(more, ", property {key:?} written on {n} nodes");
        }
        eprintln!(
            "{name}: {} nodes{more}, kernel {elapsed_ms:.1} ms, projection {projection_ms:.1} ms{}",
            p.node_count(),
            if p.from_file() {
                " (read from file)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
