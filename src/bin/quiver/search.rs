//! `quiver search`: one query, or a query file measured like
//! ann-benchmarks against ground truth (recall, QPS, latency percentiles).

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use quiverdb::Database;
use quiverdb::embed::Embedder;
use quiverdb::hybrid::{Fusion, HybridSearch};
use quiverdb::vector::{Collection, Search};

/// Arguments of `quiver search`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// The collection to search.
    #[arg(long, required_unless_present = "fulltext")]
    pub collection: Option<String>,
    /// Search this full-text index instead (BM25): with QUERY (Lucene
    /// syntax), or with --query-file. With --collection and --queries too,
    /// a hybrid search: line i of --query-file and vector i of --queries,
    /// fused (--fusion).
    #[arg(long, conflicts_with_all = ["vector", "text"])]
    pub fulltext: Option<String>,
    /// The fusion of a hybrid search: `rrf` (reciprocal rank, k 60) or
    /// `weighted` (min-max normalised scores, 0.5 each).
    #[arg(long, default_value = "rrf", requires = "fulltext")]
    pub fusion: String,
    /// How deep each list of a hybrid search is read (default: the larger
    /// of --k and 100).
    #[arg(long, requires = "fulltext")]
    pub candidates: Option<usize>,
    /// The full-text query (Lucene syntax: terms, "phrases", AND/OR/NOT,
    /// field:term, prefix*, term~, term^2).
    #[arg(requires = "fulltext", conflicts_with = "query_file")]
    pub query: Option<String>,
    /// A file of full-text queries, one per line: each is run once to warm
    /// up, then timed (latency percentiles, queries per second).
    #[arg(long, requires = "fulltext")]
    pub query_file: Option<PathBuf>,
    /// One query vector: comma-separated numbers (may start with `-`).
    #[arg(long, conflicts_with = "queries", allow_hyphen_values = true)]
    pub vector: Option<String>,
    /// An `.fvecs` file of queries.
    #[arg(long)]
    pub queries: Option<PathBuf>,
    #[arg(
        long,
        conflicts_with_all = ["vector", "queries"],
        help = "A sentence to search for, embedded with the model (--model or $QUIVER_MODEL): \
                the collection's own model for one that knows its text; for one of plain \
                vectors, they must come from the same model"
    )]
    pub text: Option<String>,
    #[arg(
        long,
        help = "The sentence-transformers model folder for --text; default: $QUIVER_MODEL"
    )]
    pub model: Option<PathBuf>,
    /// Results per query.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// HNSW ef (default: the library's).
    #[arg(long)]
    pub ef: Option<usize>,
    /// Choose ef for this recall@k target (0-1], calibrated on the
    /// collection's own points (the first search of a k measures it).
    #[arg(long, conflicts_with = "ef")]
    pub recall: Option<f64>,
    /// An `.ivecs` ground-truth file: measure recall@k, QPS and latency.
    #[arg(long, requires = "queries")]
    pub gt: Option<PathBuf>,
    /// An `.fvecs` file of the ground truth's scores (in the collection's
    /// units: similarity for cosine and dot, distance for L2): adds the
    /// tie-aware recall, where a hit counts when its score is as good as
    /// the k-th true one (so any of several equally near duplicates does).
    #[arg(long, requires = "gt")]
    pub gt_scores: Option<PathBuf>,
    /// Threads for the timed pass over --queries (each takes a contiguous
    /// share of the queries; QPS is over the wall time of the pass).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Runs the timed pass this many times over the queries (a steadier
    /// QPS; recall is from the first pass).
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// A thread's share: every search's latency in ms, and the hits of the
/// first pass as `(key, score)` per query.
type Timed = (Vec<f64>, Vec<Vec<(u64, f32)>>);

pub fn run(args: &Args) -> Result<()> {
    let db = Database::builder()
        .create_if_missing(false)
        .open(&args.db)
        .with_context(|| format!("opening {}", args.db.display()))?;
    // One snapshot and one collection handle serve every query.
    let r = db.begin_read()?;
    if let Some(name) = &args.fulltext {
        return fulltext(&r, name, args);
    }
    let Some(name) = &args.collection else {
        bail!("give --collection or --fulltext");
    };
    let collection = r.collection(name)?;
    let mut params = Search::k(args.k);
    if let Some(ef) = args.ef {
        params = params.ef(ef);
    }
    if let Some(target) = args.recall {
        params = params.recall(target);
    }
    if let Some(text) = &args.text {
        return search_text(&db, &collection, text, &params, args);
    }
    if let Some(text) = &args.vector {
        let q: Vec<f32> = text
            .split(',')
            .map(|x| {
                x.trim()
                    .parse::<f32>()
                    .with_context(|| format!("{x:?} is not a number"))
            })
            .collect::<Result<_>>()?;
        let found = collection.search(&q, &params)?;
        if args.json {
            let hits: Vec<_> = found
                .hits
                .iter()
                .map(|h| serde_json::json!({"key": h.key, "score": h.score}))
                .collect();
            println!(
                "{}",
                serde_json::json!({"hits": hits, "exact": found.exact})
            );
        } else {
            for h in &found.hits {
                println!("{}\t{}", h.key, h.score);
            }
        }
        return Ok(());
    }
    let Some(path) = &args.queries else {
        bail!("give --vector, --text or --queries");
    };
    let queries = quiverdb::import::read_fvecs(path)?;
    // Warm-up (and, with --recall, the calibration), then the timed pass.
    let mut probe = None;
    for q in queries.iter().take(100) {
        probe = Some(collection.search(q, &params)?);
    }
    let (used_ef, exact) = probe.map_or((None, false), |p| (p.ef, p.exact));
    let threads = args.threads.max(1);
    let share = queries.len().div_ceil(threads).max(1);
    let repeat = args.repeat.max(1);
    let start = Instant::now();
    let parts: Vec<Result<Timed>> = std::thread::scope(|scope| {
        let handles: Vec<_> = queries
            .chunks(share)
            .map(|part| {
                let (collection, params) = (&collection, &params);
                scope.spawn(move || -> Result<Timed> {
                    let mut timed: Timed = (Vec::new(), Vec::new());
                    for pass in 0..repeat {
                        for q in part {
                            let t = Instant::now();
                            let found = collection.search(q, params)?;
                            timed.0.push(t.elapsed().as_secs_f64() * 1e3);
                            if pass == 0 {
                                timed
                                    .1
                                    .push(found.hits.iter().map(|h| (h.key, h.score)).collect());
                            }
                        }
                    }
                    Ok(timed)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("a search thread panicked"))
            })
            .collect()
    });
    let qps = (repeat * queries.len()) as f64 / start.elapsed().as_secs_f64();
    let mut latencies = Vec::with_capacity(repeat * queries.len());
    let mut results = Vec::with_capacity(queries.len());
    for part in parts {
        let (ms, hits) = part?;
        latencies.extend(ms);
        results.extend(hits);
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    let recall = match &args.gt {
        None => None,
        Some(gt) => {
            let gt = quiverdb::import::read_ivecs(gt)?;
            fits(&gt, "the ground truth", "ids", queries.len(), args.k)?;
            let found: usize = results
                .iter()
                .zip(&gt)
                .map(|(r, g)| {
                    let truth: HashSet<u64> = g[..args.k].iter().map(|&x| x as u64).collect();
                    r.iter().filter(|(k, _)| truth.contains(k)).count()
                })
                .sum();
            Some(found as f64 / (args.k * queries.len()) as f64)
        }
    };
    let tie_recall = match &args.gt_scores {
        None => None,
        Some(path) => {
            let scores = quiverdb::import::read_fvecs(path)?;
            fits(
                &scores,
                &path.display().to_string(),
                "scores",
                queries.len(),
                args.k,
            )?;
            let higher = collection.config().metric.higher_is_better();
            let found: usize = results
                .iter()
                .zip(&scores)
                .map(|(r, s)| {
                    let kth = s[args.k - 1];
                    // Scores computed in another order of additions differ
                    // in the last bits.
                    let slack = 1e-5 * kth.abs().max(1.0);
                    r.iter()
                        .filter(|(_, x)| {
                            if higher {
                                *x >= kth - slack
                            } else {
                                *x <= kth + slack
                            }
                        })
                        .count()
                })
                .sum();
            Some(found as f64 / (args.k * queries.len()) as f64)
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "recall": recall, "tie_recall": tie_recall, "k": args.k, "ef": used_ef,
                "exact": exact, "recall_target": args.recall, "qps": qps,
                "p50_ms": pct(0.5), "p99_ms": pct(0.99), "queries": queries.len(),
                "threads": threads, "repeat": repeat,
                "kernels": quiverdb::vector::kernels(),
            })
        );
    } else {
        let recall = match (recall, tie_recall) {
            (None, _) => "n/a".to_owned(),
            (Some(r), None) => format!("{r:.4}"),
            (Some(r), Some(t)) => format!("{r:.4} (tie-aware {t:.4})"),
        };
        let ef = used_ef.map_or_else(|| "exact".to_owned(), |e| format!("ef {e}"));
        println!(
            "{} queries, k {}, {ef}: recall@k {recall}, {qps:.0} queries/s ({threads} thread(s)), p50 {:.3} ms, p99 {:.3} ms; kernels: {}",
            queries.len(),
            args.k,
            pct(0.5),
            pct(0.99),
            quiverdb::vector::kernels()
        );
    }
    Ok(())
}

/// Whether a ground-truth file has a row of at least `k` values for each
/// of the `queries` (and `k` is at least 1).
fn fits<T>(rows: &[Vec<T>], what: &str, unit: &str, queries: usize, k: usize) -> Result<()> {
    if k == 0 {
        bail!("recall needs k of at least 1");
    }
    let shortest = rows.iter().map(Vec::len).min().unwrap_or(0);
    if rows.len() < queries || shortest < k {
        bail!(
            "{what} has {} rows, the shortest of {shortest} {unit}; need {queries} rows of at least k = {k}",
            rows.len()
        );
    }
    Ok(())
}

/// `--text`: embeds the sentence and searches with it; hits carry their
/// stored text when the collection knows it.
fn search_text(
    db: &Database,
    collection: &Collection<'_>,
    text: &str,
    params: &Search,
    args: &Args,
) -> Result<()> {
    let (model, load_s) = crate::embed::load_model(args.model.as_ref())?;
    let name = collection.name();
    let knows_text = db
        .begin_read()?
        .collections()?
        .into_iter()
        .any(|c| c.name == name && c.text_model.is_some());
    let started = Instant::now();
    let found = if knows_text {
        db.attach_embedder(name, model.clone())?;
        collection.search_text(text, &params.clone().with_payload())?
    } else {
        if !args.json {
            eprintln!(
                "note: collection {name:?} records no model; searching it with {} vectors",
                model.name()
            );
        }
        collection.search(&model.embed_one(text)?, params)?
    };
    let query_ms = started.elapsed().as_secs_f64() * 1e3;
    if args.json {
        let hits: Vec<_> = found
            .hits
            .iter()
            .map(|h| serde_json::json!({"key": h.key, "score": h.score, "text": h.text, "payload": h.payload.as_ref().map(crate::common::json_props)}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"hits": hits, "exact": found.exact, "model_load_s": load_s, "query_ms": query_ms})
        );
    } else {
        for h in &found.hits {
            match &h.text {
                Some(t) => println!("{}\t{}\t{t}", h.key, h.score),
                None => println!("{}\t{}", h.key, h.score),
            }
        }
        eprintln!("model loaded in {load_s:.2} s; embedded and searched in {query_ms:.1} ms");
    }
    Ok(())
}

/// `--fulltext NAME QUERY`: the hits, best first (`id<TAB>score`, or
/// JSON); `--fulltext NAME --query-file FILE`: every line a query, timed.
fn fulltext(r: &quiverdb::ReadTxn<'_>, name: &str, args: &Args) -> Result<()> {
    let index = r.fulltext(name)?;
    if let Some(query) = &args.query {
        let hits = index.search(query, args.k)?;
        if args.json {
            let hits: Vec<_> = hits
                .iter()
                .map(|h| serde_json::json!({"id": h.id, "score": h.score}))
                .collect();
            println!("{}", serde_json::json!({ "hits": hits }));
        } else {
            for h in &hits {
                println!("{}\t{}", h.id, h.score);
            }
        }
        return Ok(());
    }
    let Some(path) = &args.query_file else {
        bail!("give a query, or --query-file");
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let queries: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if queries.is_empty() {
        bail!("{} holds no query", path.display());
    }
    // A hybrid search: each text with the vector of the same line.
    let hybrid = match (&args.collection, &args.queries) {
        (Some(collection), Some(vectors)) => {
            let vectors = quiverdb::import::read_fvecs(vectors)?;
            if vectors.len() != queries.len() {
                bail!(
                    "{} queries but {} vectors: give one vector per query",
                    queries.len(),
                    vectors.len()
                );
            }
            let fusion = match args.fusion.as_str() {
                "rrf" => Fusion::ReciprocalRank { k: 60.0 },
                "weighted" => Fusion::Weighted {
                    text: 0.5,
                    vector: 0.5,
                },
                other => bail!("unknown --fusion {other:?}: use rrf or weighted"),
            };
            let mut params = HybridSearch::new(args.k).fusion(fusion);
            if let Some(n) = args.candidates {
                params = params.candidates(n);
            }
            Some((collection.as_str(), vectors, params))
        }
        (None, None) => None,
        _ => bail!("a hybrid search needs both --collection and --queries"),
    };
    let search = |i: usize| -> Result<Vec<(u64, f32)>> {
        Ok(match &hybrid {
            Some((collection, vectors, params)) => r
                .hybrid_search(name, collection, queries[i], Some(&vectors[i]), params)?
                .into_iter()
                .map(|h| (h.id, h.score))
                .collect(),
            None => index
                .search(queries[i], args.k)?
                .into_iter()
                .map(|h| (h.id, h.score))
                .collect(),
        })
    };
    for i in 0..queries.len() {
        search(i)?;
    }
    let repeat = args.repeat.max(1);
    let mut latencies = Vec::with_capacity(queries.len() * repeat);
    let mut results = Vec::with_capacity(queries.len());
    let start = Instant::now();
    for pass in 0..repeat {
        for i in 0..queries.len() {
            let t = Instant::now();
            let hits = search(i)?;
            latencies.push(t.elapsed().as_secs_f64() * 1e6);
            if pass == 0 {
                results.push(hits);
            }
        }
    }
    let qps = latencies.len() as f64 / start.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    if args.json {
        let hits: Vec<Vec<_>> = results
            .iter()
            .map(|hits| {
                hits.iter()
                    .map(|(id, score)| serde_json::json!([id, score]))
                    .collect()
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "queries": queries.len(),
                "k": args.k,
                "qps": qps,
                "p50_us": pct(0.5),
                "p99_us": pct(0.99),
                "max_us": pct(1.0),
                "hits": hits,
            })
        );
    } else {
        println!(
            "{} {} queries, k {}: {:.0} q/s, latency p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            queries.len(),
            if hybrid.is_some() {
                "hybrid"
            } else {
                "full-text"
            },
            args.k,
            qps,
            pct(0.5),
            pct(0.99),
            pct(1.0)
        );
    }
    Ok(())
}
