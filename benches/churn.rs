//! Churn: insert N points, then replace 10 % of them (new vectors under the
//! same keys) per round for 20 rounds, one commit and one checkpoint per
//! round; after each round print one JSON line with the process's RSS, the
//! database directory's size (checkpoints included), the graph's rows,
//! the round's time and recall@10 against exact search over 200 queries
//! (by the exact search's keys, and counting ties), at ef 48 (the peer's
//! protocol) and at the default ef (calibrated at each checkpoint). `benches/peers/churn_peers.py` runs the same protocol
//! on hnswlib (`mark_deleted` + `replace_deleted`).
//!
//! ```sh
//! cargo bench --bench churn                      # the Debian vectors, cosine
//! QUIVER_CHURN_DIR=DIR QUIVER_CHURN_METRIC=l2 QUIVER_CHURN_QUANT=int8 cargo bench --bench churn
//! ```
//! (DIR holds `base.fvecs` and `queries.fvecs`; `QUIVER_CHURN_LIMIT=n` keeps
//! the first n base vectors, `QUIVER_CHURN_ROUNDS` the number of rounds.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names,
    missing_docs,
    reason = "a measuring program: a panic is the failure report"
)]

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{Rng, rss};
use quiverdb::vector::{CollectionConfig, Metric, Quantization, Search};
use quiverdb::{Database, props};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn dir_bytes(path: &Path) -> u64 {
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}

/// Recall@10 against exact search, on one snapshot (each query's truth
/// found once), at each of `searches`' ef: `(recall by the truth's keys,
/// recall counting ties, the largest ef walked)` — the default's, when a
/// search names none. Counting ties, a hit counts when its score is as
/// good as the 10th exact one: the Debian set has exact duplicates, whose
/// order the exact search breaks by key and a walk cannot know (an exact
/// search ordering them the other way scores 0.9757 by keys on its
/// 1,000 queries).
fn recall(db: &Database, queries: &[Vec<f32>], searches: &[Search]) -> Vec<(f64, f64, usize)> {
    let r = db.begin_read().unwrap();
    let c = r.collection("v").unwrap();
    let higher = c.config().metric.higher_is_better();
    let mut out = vec![(0, 0, 0); searches.len()];
    for q in queries {
        let exact = c.search_exact(q, &Search::k(10)).unwrap();
        let truth: HashSet<u64> = exact.hits.iter().map(|h| h.key).collect();
        let kth = exact.hits.last().map_or(0.0, |h| h.score);
        let slack = 1e-5 * kth.abs().max(1.0);
        for (search, (hit, tied, ef)) in searches.iter().zip(&mut out) {
            let found = c.search(q, search).unwrap();
            *ef = (*ef).max(found.ef.unwrap_or(0));
            *hit += found.hits.iter().filter(|h| truth.contains(&h.key)).count();
            *tied += found
                .hits
                .iter()
                .filter(|h| {
                    if higher {
                        h.score >= kth - slack
                    } else {
                        h.score <= kth + slack
                    }
                })
                .count();
        }
    }
    let total = (10 * queries.len()) as f64;
    out.into_iter()
        .map(|(hit, tied, ef)| (hit as f64 / total, tied as f64 / total, ef))
        .collect()
}

fn main() {
    let dir = std::env::var_os("QUIVER_CHURN_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/debian"),
        PathBuf::from,
    );
    if !dir.join("base.fvecs").exists() {
        eprintln!(
            "no vector set at {} (QUIVER_CHURN_DIR): skipping the churn benchmark",
            dir.display()
        );
        return;
    }
    let metric = Metric::from_name(&env_or("QUIVER_CHURN_METRIC", "cosine")).expect("metric");
    let quant = Quantization::from_name(&env_or("QUIVER_CHURN_QUANT", "none")).expect("quant");
    let rounds: usize = env_or("QUIVER_CHURN_ROUNDS", "20").parse().expect("rounds");
    let mut base = quiverdb::import::read_fvecs(dir.join("base.fvecs")).unwrap();
    if let Ok(n) = std::env::var("QUIVER_CHURN_LIMIT") {
        base.truncate(n.parse().expect("QUIVER_CHURN_LIMIT"));
    }
    let mut queries = quiverdb::import::read_fvecs(dir.join("queries.fvecs")).unwrap();
    queries.truncate(200);
    let (n, dim) = (base.len(), base[0].len());
    // Spread of the data, for the noise of a replacement vector.
    let scale = (base[0].iter().map(|x| x * x).sum::<f32>() / dim as f32).sqrt();

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("db");
    let db = Database::open(&path).unwrap();
    let rss0 = rss();
    let config = CollectionConfig::new(dim, metric).quantization(quant);
    let t = Instant::now();
    let mut w = db.begin_write().unwrap();
    w.create_collection("v", config).unwrap();
    w.upsert_vectors(
        "v",
        base.iter()
            .enumerate()
            .map(|(i, v)| (i as u64, v.as_slice(), props! {})),
    )
    .unwrap();
    w.commit().unwrap();
    db.checkpoint().unwrap();
    let build_s = t.elapsed().as_secs_f64();

    let report = |round: usize, seconds: f64, db: &Database| {
        let info = db.vector_index_info("v").unwrap();
        let measured = recall(db, &queries, &[Search::k(10).ef(48), Search::k(10)]);
        let ((at_48, tied_48, _), (at_default, tied_default, default_ef)) =
            (measured[0], measured[1]);
        println!(
            "{}",
            serde_json::json!({
                "round": round, "n": n, "dim": dim, "metric": metric.name(),
                "quantization": quant.name(), "seconds": seconds,
                "rss_bytes": rss(), "rss_growth_bytes": rss().saturating_sub(rss0),
                "disk_bytes": dir_bytes(&path), "graph_rows": info.graph_points,
                "points": info.points, "recall": at_48,
                "tie_recall": tied_48, "recall_default_ef": at_default,
                "tie_recall_default_ef": tied_default, "default_ef": default_ef,
            })
        );
    };
    report(0, build_s, &db);
    let mut rng = Rng(0x00c0_ffee);
    let replace = n / 10;
    for round in 1..=rounds {
        // 10 % of the keys, distinct, each to a new vector: another point's
        // vector plus noise (so the set keeps its shape).
        let mut keys: Vec<u64> = (0..n as u64).collect();
        for j in 0..replace {
            let r = j + (rng.next() % (n - j) as u64) as usize;
            keys.swap(j, r);
        }
        keys.truncate(replace);
        let fresh: Vec<Vec<f32>> = keys
            .iter()
            .map(|_| {
                let from = &base[(rng.next() % n as u64) as usize];
                from.iter().map(|x| x + 0.1 * scale * rng.gauss()).collect()
            })
            .collect();
        let t = Instant::now();
        let mut w = db.begin_write().unwrap();
        let done = w
            .upsert_vectors(
                "v",
                keys.iter()
                    .zip(&fresh)
                    .map(|(&k, v)| (k, v.as_slice(), props! {})),
            )
            .unwrap();
        assert_eq!(done.rejected.len(), 0);
        w.commit().unwrap();
        db.checkpoint().unwrap();
        report(round, t.elapsed().as_secs_f64(), &db);
    }
}
