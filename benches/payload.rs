//! Filtered vector search by payload, with and without a payload index,
//! on the Debian package embeddings (`../shared/datasets/debian`: 63,666 ×
//! 384 `MiniLM` vectors, cosine) with each package's `section` and
//! `installed_size` from `nodes.csv` as its payload.
//!
//! Criterion latency of one k=10 search (ef 48) for: `section = "web"`
//! (471 packages, 0.7 %), `section = "libs"` (6,711, 10.5 %), and
//! `installed_size` in 1,000..2,000 KiB; each first without an index on
//! the field (every payload read per search), then with one. Also prints
//! the index build time and the recall@10 of the filtered walk against
//! exact filtered search.
//!
//! `QUIVER_VECTOR_DIR=DIR` measures another copy of the set. Skipped
//! (with a message) when the dataset is absent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names,
    clippy::too_many_lines,
    missing_docs,
    reason = "bench code: a panic is the failure report"
)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use quiverdb::vector::{CollectionConfig, Metric, Search};
use quiverdb::{Database, Durability, Value, props};

fn dataset() -> Option<PathBuf> {
    let p = std::env::var_os("QUIVER_VECTOR_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/debian"),
        PathBuf::from,
    );
    (p.join("base.fvecs").exists() && p.join("nodes.csv").exists()).then_some(p)
}

fn payload_filters(c: &mut Criterion) {
    let Some(src) = dataset() else {
        eprintln!("no Debian set (../shared/datasets/debian): skipping payload benches");
        return;
    };
    let base = quiverdb::import::read_fvecs(src.join("base.fvecs")).unwrap();
    let queries = quiverdb::import::read_fvecs(src.join("queries.fvecs")).unwrap();
    let mut payloads = Vec::with_capacity(base.len());
    let mut nodes = csv::Reader::from_path(src.join("nodes.csv")).unwrap();
    for row in nodes.records() {
        let row = row.unwrap();
        payloads.push(props! {
            "section" => row[3].to_owned(),
            "installed_size" => row[5].parse::<i64>().unwrap_or(0),
        });
    }
    assert_eq!(payloads.len(), base.len(), "one nodes.csv row per vector");

    let dir = tempfile::tempdir().unwrap();
    let db = Database::builder()
        .durability(Durability::Buffered)
        .open(dir.path())
        .unwrap();
    let t = Instant::now();
    let mut w = db.begin_write().unwrap();
    w.create_collection("pkg", CollectionConfig::new(384, Metric::Cosine))
        .unwrap();
    w.upsert_vectors(
        "pkg",
        base.iter()
            .zip(&payloads)
            .enumerate()
            .map(|(i, (v, p))| (i as u64, v.as_slice(), p.clone())),
    )
    .unwrap();
    w.commit().unwrap();
    eprintln!(
        "payload: {} points loaded in {:.1?}",
        base.len(),
        t.elapsed()
    );

    let filters = [
        ("web", Search::k(10).payload_eq("section", "web")),
        ("libs", Search::k(10).payload_eq("section", "libs")),
        (
            "size_1k_2k",
            Search::k(10).payload_range("installed_size", 1_000..2_000),
        ),
    ];
    for indexed in [false, true] {
        if indexed {
            let t = Instant::now();
            let mut w = db.begin_write().unwrap();
            w.create_payload_index("pkg", "section").unwrap();
            w.create_payload_index("pkg", "installed_size").unwrap();
            w.commit().unwrap();
            eprintln!("payload: both indexes built in {:.1?}", t.elapsed());
        }
        let r = db.begin_read().unwrap();
        let pkg = r.collection("pkg").unwrap();
        let mode = if indexed { "indexed" } else { "scan" };
        let mut g = c.benchmark_group(format!("payload/{mode}"));
        g.sample_size(if indexed { 100 } else { 10 });
        for (name, search) in &filters {
            if indexed {
                let (mut found, mut total) = (0usize, 0usize);
                for q in queries.iter().take(200) {
                    let exact = pkg.search(q, &search.clone().exact()).unwrap().hits;
                    let walked = pkg.search(q, search).unwrap().hits;
                    total += exact.len();
                    found += walked
                        .iter()
                        .filter(|h| exact.iter().any(|e| e.key == h.key))
                        .count();
                }
                eprintln!(
                    "payload: {name}: recall@10 of the filtered search {:.4} (200 queries)",
                    found as f64 / total as f64
                );
            }
            let mut i = 0;
            g.bench_function(*name, |b| {
                b.iter(|| {
                    i = (i + 1) % queries.len();
                    pkg.search(&queries[i], search).unwrap()
                });
            });
        }
        g.finish();
    }
    // The admitted counts, for the record.
    let r = db.begin_read().unwrap();
    let pkg = r.collection("pkg").unwrap();
    let count = |f: &dyn Fn(&Value) -> bool, field: &str| {
        pkg.iter()
            .filter(|p| p.as_ref().unwrap().payload.get(field).is_some_and(f))
            .count()
    };
    eprintln!(
        "payload: admitted web {}, libs {}, size 1000..2000 {}",
        count(&|v| *v == Value::from("web"), "section"),
        count(&|v| *v == Value::from("libs"), "section"),
        count(
            &|v| matches!(v, Value::Int(s) if (1_000..2_000).contains(s)),
            "installed_size"
        ),
    );
}

criterion_group!(benches, payload_filters);
criterion_main!(benches);
