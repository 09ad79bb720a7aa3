//! `quiver search`: one query, or a query file measured like
//! ann-benchmarks against ground truth (recall, QPS, latency percentiles).

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use quiverdb::Database;
use quiverdb::embed::Embedder;
use quiverdb::vector::{Collection, Search};

/// Arguments of `quiver search`.
#[derive(clap::Args)]
pub struct Args {
    /// The database directory.
    pub db: PathBuf,
    /// The collection to search.
    #[arg(long)]
    pub collection: String,
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
    let collection = r.collection(&args.collection)?;
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
    let knows_text = db
        .begin_read()?
        .collections()?
        .into_iter()
        .any(|c| c.name == args.collection && c.text_model.is_some());
    let started = Instant::now();
    let found = if knows_text {
        db.attach_embedder(&args.collection, model.clone())?;
        collection.search_text(text, &params.clone().with_payload())?
    } else {
        if !args.json {
            eprintln!(
                "note: collection {:?} records no model; searching it with {} vectors",
                args.collection,
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
