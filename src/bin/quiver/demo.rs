//! `quiver demo`: imports the bundled Debian slice (`data/`) into a
//! temporary database and tours it: similarity search, search by a
//! sentence (with a model folder), a hybrid query, shortest paths,
//! components, and a consistency check.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use quiverdb::algo::{self, PathQuery, ProjectionSpec};
use quiverdb::embed::Embedder;
use quiverdb::import::{Format, ImportOptions, Importer, VectorKeys};
use quiverdb::query::{CypherValue, Params};
use quiverdb::vector::{CollectionConfig, Hit, Metric, Search};
use quiverdb::{Database, Direction, GraphRead, NodeId, Value};

/// Arguments of `quiver demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Keep the database in this directory instead of a temporary one.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// The dataset folder (default: the repository's `data/`).
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(
        long,
        help = "A sentence-transformers model folder (all-MiniLM-L6-v2) for the \
                search by a sentence; default: $QUIVER_MODEL"
    )]
    pub model: Option<PathBuf>,
}

/// The sentence the tour searches for.
const SENTENCE: &str = "HTTP client library";

const COLLECTION: &str = "descriptions";

fn package(r: &impl GraphRead, name: &str) -> Result<NodeId> {
    r.node_by_key("Package", "name", &Value::from(name))?
        .with_context(|| format!("package {name} is not in the slice"))
}

fn text(r: &impl GraphRead, id: NodeId, key: &str) -> Result<String> {
    let node = r
        .node(id)?
        .with_context(|| format!("node {id} is missing"))?;
    Ok(node
        .props
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned())
}

fn show_hits<'a>(r: &impl GraphRead, hits: impl IntoIterator<Item = &'a Hit>) -> Result<()> {
    for h in hits {
        let id = NodeId(h.key);
        println!(
            "   {:.3}  {:<24} {}",
            h.score,
            text(r, id, "name")?,
            text(r, id, "description")?
        );
    }
    Ok(())
}

fn load(db: &Database, data: &Path) -> Result<()> {
    let t = Instant::now();
    let mut import = Importer::new(
        db,
        ImportOptions::default()
            .key_label("Package")
            .key_property("name"),
    )?;
    import.nodes(&data.join("packages.csv"), Format::Csv)?;
    import.edges(&data.join("dependencies.csv"), Format::Csv)?;
    import.vectors(
        &data.join("descriptions.fvecs"),
        Format::Fvecs,
        COLLECTION,
        CollectionConfig::new(384, Metric::Cosine),
        VectorKeys::NodeOrder,
    )?;
    let report = import.finish()?;
    println!(
        "imported {} packages, {} dependency edges and {} description embeddings in {:.2} s (slowest stage: {})",
        report.nodes,
        report.edges,
        report.vectors,
        t.elapsed().as_secs_f64(),
        report.bottleneck().unwrap_or("-")
    );
    Ok(())
}

pub fn run(args: &Args) -> Result<()> {
    let data = args
        .data
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("data"));
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let path = args
        .db
        .clone()
        .unwrap_or_else(|| tmp.path().join("demo.qdb"));
    println!(
        "QuiverDB demo: the Debian slice in {} into {}",
        data.display(),
        path.display()
    );
    let db = Database::open(&path)?;
    load(&db, &data)?;
    let r = db.begin_read()?;
    let descriptions = r.collection(COLLECTION)?;

    // 1. Similarity search: packages described like curl.
    let curl = package(&r, "curl")?;
    let query = descriptions
        .get(curl.0)?
        .context("curl has no embedding")?
        .vector;
    println!(
        "\n1. packages whose descriptions read like curl's ({:?}):",
        text(&r, curl, "description")?
    );
    let hits = descriptions.search(&query, &Search::k(6))?;
    show_hits(&r, hits.hits.iter().filter(|h| h.key != curl.0))?;

    // 2. A sentence in, packages out: the bundled vectors are
    // all-MiniLM-L6-v2 embeddings, so the same model embeds the query.
    if args.model.is_some() || std::env::var_os("QUIVER_MODEL").is_some() {
        let (model, load_s) = crate::embed::load_model(args.model.as_ref())?;
        let t = Instant::now();
        let query = model.embed_one(SENTENCE)?;
        let hits = descriptions.search(&query, &Search::k(5))?;
        let took = t.elapsed();
        println!(
            "\n2. packages described like {SENTENCE:?} (embedded and searched in {:.1} ms; model loaded in {load_s:.2} s):",
            took.as_secs_f64() * 1e3
        );
        show_hits(&r, &hits.hits)?;
    } else {
        println!(
            "\n2. search by a sentence: needs a model folder — run data/models/fetch-minilm.sh, then pass --model DIR or set QUIVER_MODEL"
        );
    }

    // 3. Hybrid: the same search, restricted to what git pulls in (2 hops).
    let git = package(&r, "git")?;
    let mut around = vec![git];
    let mut frontier = vec![git];
    for _ in 0..2 {
        let mut next = Vec::new();
        for v in frontier {
            for n in r.neighbors(v, Direction::Out, None)? {
                if !around.contains(&n) {
                    around.push(n);
                    next.push(n);
                }
            }
        }
        frontier = next;
    }
    println!(
        "\n3. among the {} packages within 2 dependency hops of git, the closest to curl's description:",
        around.len()
    );
    let hits = descriptions.search(&query, &Search::k(3).keys(around.iter().map(|n| n.0)))?;
    show_hits(&r, &hits.hits)?;

    // 4. Shortest paths along dependencies, by hops and by weight.
    let ssl = package(&r, "libssl3")?;
    println!("\n4. shortest dependency paths from git to libssl3:");
    for (what, q) in [
        ("fewest hops", PathQuery::new()),
        (
            "lowest weight (DEPENDS 1, RECOMMENDS 2, SUGGESTS 4)",
            PathQuery::new().weight("weight"),
        ),
    ] {
        let t = Instant::now();
        match r.shortest_path(git, ssl, &q)? {
            Some(p) => {
                let names: Vec<String> = p
                    .nodes
                    .iter()
                    .map(|n| text(&r, *n, "name"))
                    .collect::<Result<_>>()?;
                println!(
                    "   {what}: {} (cost {}, {:.0} µs)",
                    names.join(" -> "),
                    p.cost,
                    t.elapsed().as_secs_f64() * 1e6
                );
            }
            None => println!("   {what}: unreachable"),
        }
    }

    // 5. Components of the whole slice.
    let t = Instant::now();
    let p = db.projection(&ProjectionSpec::new())?;
    let built = t.elapsed();
    let wcc = algo::weakly_connected_components(&p);
    let scc = algo::strongly_connected_components(&p);
    println!(
        "\n5. {} weakly connected components (largest {} of {} packages), {} strongly connected (largest {}); projection {:.1} ms",
        wcc.count(),
        wcc.largest(),
        p.node_count(),
        scc.count(),
        scc.largest(),
        built.as_secs_f64() * 1e3
    );

    // 6. The same questions in Cypher, on the same snapshot.
    println!("\n6. Cypher:");
    let mut params = Params::new();
    params.insert(
        "curl".to_owned(),
        CypherValue::List(
            query
                .iter()
                .map(|x| CypherValue::Float(f64::from(*x)))
                .collect(),
        ),
    );
    for statement in [
        "MATCH (p:Package)<-[:DEPENDS]-() RETURN p.name AS package, count(*) AS dependents ORDER BY dependents DESC LIMIT 3",
        "MATCH (:Package {name: 'git'})-[*1..2]->(d) RETURN count(DISTINCT d) AS within_two_hops",
        "MATCH (:Package {name: 'git'})-[*1..2]->(d) WITH collect(DISTINCT d) AS near \
         CALL db.index.vector.queryNodes('descriptions', 3, $curl, near) YIELD node, score \
         RETURN node.name AS package, round(score * 1000) / 1000 AS score",
    ] {
        let t = Instant::now();
        let result = r
            .query(statement, &params)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "   {statement}\n   ({:.2} ms)",
            t.elapsed().as_secs_f64() * 1e3
        );
        crate::query::print_table(&result)?;
    }

    // 7. Everything derived agrees with everything stored.
    let report = db.check()?;
    println!("\n7. check: {}", report.summary());
    anyhow::ensure!(
        report.is_ok(),
        "check found problems: {:?}",
        report.problems
    );
    drop(r);
    db.close()?;
    Ok(())
}
