//! Vector benchmarks through the public API, on the Debian package
//! embeddings (`../shared/datasets/debian`: 63,666 × 384 `MiniLM` vectors,
//! 1,000 queries, exact top-100 ground truth) by default, for both HNSW
//! engines: staging and index build time, the process's resident-memory
//! growth over the build, recall@10 and single-thread QPS over a range of
//! `ef` (one snapshot's collection handle serving every query, as an
//! application holds it), checkpoint and reopen time, and criterion search
//! latency — by handle and by the `Database::search` shorthand, which
//! takes a snapshot per query. `benches/peers/vector_peers.py` measures
//! hnswlib and faiss on the same files.
//!
//! * `QUIVER_VECTOR_DIR=DIR` measures another set: `DIR/base.fvecs`,
//!   `DIR/queries.fvecs` and `DIR/gt_<metric>.ivecs`, the metric in
//!   `QUIVER_VECTOR_METRIC` (`cosine`, the default, `l2` or `dot`);
//!   `QUIVER_VECTOR_LIMIT=n` builds on the first `n` vectors only and stops
//!   after the build (for profiling it).
//! * `QUIVER_BENCH_ENGINES=native` (or `hnsw-rs`) measures one engine.
//! * `QUIVER_CURVE_OUT=DIR` also writes each engine's recall/QPS curve as
//!   `DIR/<engine>.json` (for `benches/peers/plot_curve.py`).
//! * `QUIVER_BENCH_BIG=1` adds the 100,000 × 128 reopen measurement
//!   (several minutes).
//!
//! Skipped (with a message) when the dataset is absent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::many_single_char_names,
    missing_docs,
    reason = "bench code: a panic is the failure report"
)]

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::rss;
use criterion::{Criterion, criterion_group, criterion_main};
use quiverdb::vector::{CollectionConfig, IndexEngine, Metric, Search};
use quiverdb::{Database, Durability, props};

/// Reads an `.fvecs` / `.ivecs` file: per row a little-endian i32
/// dimension, then that many 4-byte values.
fn read_vecs<T>(path: &Path, parse: fn([u8; 4]) -> T) -> Vec<Vec<T>> {
    let bytes = std::fs::read(path).unwrap();
    let mut rows = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let d = i32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4;
        rows.push(
            bytes[at..at + 4 * d]
                .chunks_exact(4)
                .map(|c| parse(c.try_into().unwrap()))
                .collect(),
        );
        at += 4 * d;
    }
    rows
}

fn dataset() -> Option<PathBuf> {
    let p = std::env::var_os("QUIVER_VECTOR_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/debian"),
        PathBuf::from,
    );
    p.join("base.fvecs").exists().then_some(p)
}

fn vectors(c: &mut Criterion) {
    let Some(src) = dataset() else {
        eprintln!(
            "no vector set found (../shared/datasets/debian, or QUIVER_VECTOR_DIR): skipping vector benches"
        );
        return;
    };
    let metric_name = std::env::var("QUIVER_VECTOR_METRIC").unwrap_or_else(|_| "cosine".into());
    let metric = Metric::from_name(&metric_name).expect("QUIVER_VECTOR_METRIC: cosine, l2 or dot");
    let mut base = read_vecs(&src.join("base.fvecs"), f32::from_le_bytes);
    let limit: Option<usize> = std::env::var("QUIVER_VECTOR_LIMIT")
        .ok()
        .map(|n| n.parse().expect("QUIVER_VECTOR_LIMIT: a number"));
    if let Some(n) = limit {
        base.truncate(n);
    }
    let queries = read_vecs(&src.join("queries.fvecs"), f32::from_le_bytes);
    let gt = read_vecs(
        &src.join(format!("gt_{metric_name}.ivecs")),
        i32::from_le_bytes,
    );
    let engines: Vec<IndexEngine> = std::env::var("QUIVER_BENCH_ENGINES").map_or_else(
        |_| vec![IndexEngine::HnswRs, IndexEngine::Native],
        |list| {
            list.split(',')
                .map(|e| {
                    IndexEngine::from_name(e.trim()).expect("QUIVER_BENCH_ENGINES: native, hnsw-rs")
                })
                .collect()
        },
    );
    let set = Set {
        name: src
            .file_name()
            .map_or_else(|| "vectors".into(), |n| n.to_string_lossy().into_owned()),
        metric,
        base: &base,
        queries: &queries,
        gt: &gt,
        build_only: limit.is_some(),
    };
    for engine in engines {
        engine_run(c, engine, &set);
    }
    if std::env::var_os("QUIVER_BENCH_BIG").is_some() {
        reopen_100k();
    }
}

/// A vector set and its ground truth.
struct Set<'a> {
    name: String,
    metric: Metric,
    base: &'a [Vec<f32>],
    queries: &'a [Vec<f32>],
    gt: &'a [Vec<i32>],
    build_only: bool,
}

fn engine_run(c: &mut Criterion, engine: IndexEngine, set: &Set<'_>) {
    let (base, queries, name) = (set.base, set.queries, &set.name);
    let label = format!("{engine:?}");
    let dir = tempfile::tempdir().unwrap();
    let db = Database::builder()
        .durability(Durability::Buffered)
        .open(dir.path())
        .unwrap();
    let t = Instant::now();
    let mut w = db.begin_write().unwrap();
    w.create_collection(
        "v",
        CollectionConfig::new(base[0].len(), set.metric).engine(engine),
    )
    .unwrap();
    for (i, v) in base.iter().enumerate() {
        w.upsert_vector("v", i as u64, v, props! {}).unwrap();
    }
    let staged = t.elapsed();
    let before = rss();
    let t_index = Instant::now();
    w.commit().unwrap();
    let indexed = t_index.elapsed();
    let growth = rss().saturating_sub(before);
    let info = db.vector_index_info("v").unwrap();
    eprintln!(
        "{name} [{label}]: {} x {} points staged in {:.1} s; commit + index build (M=16, ef_construction=200, all cores) {:.1} s; \
         index memory {} bytes/vector; RSS growth over the commit {} bytes/vector",
        base.len(),
        base[0].len(),
        staged.as_secs_f64(),
        indexed.as_secs_f64(),
        info.memory_bytes
            .map_or_else(|| "n/a".into(), |b| (b / base.len() as u64).to_string()),
        growth / base.len() as u64,
    );
    if set.build_only {
        return;
    }

    curve(&db, set, &label);
    let t = Instant::now();
    db.close().unwrap();
    eprintln!(
        "{name} [{label}]: close (checkpoint written) {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let db = Database::open(dir.path()).unwrap();
    let info = db.vector_index_info("v").unwrap();
    eprintln!(
        "{name} [{label}]: reopen {:.2} s (from checkpoint: {}, replayed {})",
        t.elapsed().as_secs_f64(),
        info.from_checkpoint,
        info.replayed
    );

    let mut g = c.benchmark_group(format!("vector/{name}/{label}"));
    let r = db.begin_read().unwrap();
    let collection = r.collection("v").unwrap();
    for ef in [32, 64, 128] {
        let mut i = 0;
        g.bench_function(format!("search_k10_ef{ef}"), |b| {
            b.iter(|| {
                i += 1;
                collection
                    .search(&queries[i % queries.len()], &Search::k(10).ef(ef))
                    .unwrap()
            });
        });
    }
    // The shorthand: a snapshot and a collection lookup per query.
    let mut i = 0;
    g.bench_function("db_search_k10_ef64", |b| {
        b.iter(|| {
            i += 1;
            db.search("v", &queries[i % queries.len()], &Search::k(10).ef(64))
                .unwrap()
        });
    });
    g.finish();
}

/// Recall@10 and single-thread queries/s over a range of `ef`, through
/// one snapshot's collection handle; written to `QUIVER_CURVE_OUT` if set.
fn curve(db: &Database, set: &Set<'_>, label: &str) {
    let (queries, gt, name) = (set.queries, set.gt, &set.name);
    let mut curve = Vec::new();
    let r = db.begin_read().unwrap();
    let collection = r.collection("v").unwrap();
    for ef in [10, 16, 24, 32, 48, 64, 96, 128, 200] {
        let params = Search::k(10).ef(ef);
        for q in queries.iter().take(50) {
            collection.search(q, &params).unwrap();
        }
        let t = Instant::now();
        let results: Vec<Vec<u64>> = queries
            .iter()
            .map(|q| {
                collection
                    .search(q, &params)
                    .unwrap()
                    .hits
                    .iter()
                    .map(|h| h.key)
                    .collect()
            })
            .collect();
        let qps = queries.len() as f64 / t.elapsed().as_secs_f64();
        let found: usize = results
            .iter()
            .zip(gt)
            .map(|(r, g)| {
                let truth: HashSet<u64> = g[..10].iter().map(|&x| x as u64).collect();
                r.iter().filter(|k| truth.contains(k)).count()
            })
            .sum();
        let recall = found as f64 / (10 * queries.len()) as f64;
        eprintln!(
            "{name} [{label}]: ef {ef:>3}: recall@10 {recall:.4}, {qps:.0} queries/s (one thread)"
        );
        curve.push(format!(
            r#"{{"ef": {ef}, "recall": {recall}, "qps": {qps}}}"#
        ));
    }
    if let Some(out) = std::env::var_os("QUIVER_CURVE_OUT") {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(
            out.join(format!("{label}.json")),
            format!("[{}]", curve.join(", ")),
        )
        .unwrap();
    }
}

/// Builds a 100,000 × 128 collection (seeded), closes (checkpoint), and
/// times the reopen, against a rebuild (checkpoint folder removed).
fn reopen_100k() {
    let mut s = 0x5eed_u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let dir = tempfile::tempdir().unwrap();
    let db = Database::builder()
        .durability(Durability::Buffered)
        .open(dir.path())
        .unwrap();
    let t = Instant::now();
    let mut w = db.begin_write().unwrap();
    w.create_collection("big", CollectionConfig::new(128, Metric::L2))
        .unwrap();
    for i in 0..100_000u64 {
        let v: Vec<f32> = (0..128).map(|_| next()).collect();
        w.upsert_vector("big", i, &v, props! {}).unwrap();
    }
    w.commit().unwrap();
    let built = t.elapsed();
    db.close().unwrap();
    let t = Instant::now();
    let db = Database::open(dir.path()).unwrap();
    let opened = t.elapsed();
    let info = db.vector_index_info("big").unwrap();
    assert!(info.from_checkpoint && info.points == 100_000);
    drop(db);
    std::fs::remove_dir_all(dir.path().join("vector-index")).unwrap();
    let t = Instant::now();
    let db = Database::open(dir.path()).unwrap();
    let rebuilt = t.elapsed();
    assert!(!db.vector_index_info("big").unwrap().from_checkpoint);
    eprintln!(
        "100k x 128 (L2): built in {:.1} s; reopen from checkpoint {:.2} s; reopen with rebuild {:.1} s",
        built.as_secs_f64(),
        opened.as_secs_f64(),
        rebuilt.as_secs_f64()
    );
}

criterion_group!(benches, vectors);
criterion_main!(benches);
