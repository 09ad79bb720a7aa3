//! Vector benchmarks on the Debian package embeddings
//! (`../shared/datasets/debian`: 63,666 × 384 `MiniLM` vectors, 1,000
//! queries, exact top-100 ground truth): index build time, recall@10 and
//! single-thread QPS over a range of `ef`, reopen (rebuild) time, and
//! criterion search latency. `benches/peers/vector_peers.py` measures
//! hnswlib and faiss on the same files.
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

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use quiverdb::vector::{CollectionConfig, Metric, Search};
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
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/debian");
    p.join("base.fvecs").exists().then_some(p)
}

fn vectors(c: &mut Criterion) {
    let Some(src) = dataset() else {
        eprintln!("../shared/datasets/debian not found: skipping vector benches");
        return;
    };
    let base = read_vecs(&src.join("base.fvecs"), f32::from_le_bytes);
    let queries = read_vecs(&src.join("queries.fvecs"), f32::from_le_bytes);
    let gt = read_vecs(&src.join("gt_cosine.ivecs"), i32::from_le_bytes);

    let dir = tempfile::tempdir().unwrap();
    let db = Database::builder()
        .durability(Durability::Buffered)
        .open(dir.path())
        .unwrap();
    let t = Instant::now();
    let mut w = db.begin_write().unwrap();
    w.create_collection("debian", CollectionConfig::new(384, Metric::Cosine))
        .unwrap();
    for (i, v) in base.iter().enumerate() {
        w.upsert_vector("debian", i as u64, v, props! {}).unwrap();
    }
    let staged = t.elapsed();
    w.commit().unwrap();
    eprintln!(
        "debian vectors: {} points staged in {:.1} s, committed + indexed (M=16, ef_construction=200, 2 threads) in {:.1} s total",
        base.len(),
        staged.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );

    for ef in [10, 16, 24, 32, 48, 64, 96, 128, 200] {
        let params = Search::k(10).ef(ef);
        for q in queries.iter().take(50) {
            db.search("debian", q, &params).unwrap();
        }
        let t = Instant::now();
        let results: Vec<Vec<u64>> = queries
            .iter()
            .map(|q| {
                db.search("debian", q, &params)
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
            .zip(&gt)
            .map(|(r, g)| {
                let truth: HashSet<u64> = g[..10].iter().map(|&x| x as u64).collect();
                r.iter().filter(|k| truth.contains(k)).count()
            })
            .sum();
        eprintln!(
            "debian vectors: ef {ef:>3}: recall@10 {:.4}, {qps:.0} queries/s (one thread)",
            found as f64 / (10 * queries.len()) as f64
        );
    }

    db.close().unwrap();
    let t = Instant::now();
    let db = Database::open(dir.path()).unwrap();
    eprintln!(
        "debian vectors: reopen (index rebuilt from storage, no checkpoint yet) {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let mut g = c.benchmark_group("vector/debian");
    for ef in [32, 64, 128] {
        let mut i = 0;
        g.bench_function(format!("search_k10_ef{ef}"), |b| {
            b.iter(|| {
                i += 1;
                db.search("debian", &queries[i % queries.len()], &Search::k(10).ef(ef))
                    .unwrap()
            });
        });
    }
    g.finish();
}

criterion_group!(benches, vectors);
criterion_main!(benches);
