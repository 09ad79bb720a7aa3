//! Storage benchmarks: bulk graph writes in one transaction, point reads,
//! and adjacency scans, on a seeded random graph.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names,
    clippy::cast_possible_wrap,
    clippy::float_cmp,
    clippy::items_after_statements,
    clippy::too_many_lines,
    missing_docs,
    reason = "test and bench code: a panic is the failure report, exact floats are intended"
)]

mod common;

use common::Rng;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quiverdb::{Database, Direction, Durability, GraphRead, NodeId, props};

/// A small xorshift generator: seeded, dependency-free.
const NODES: u64 = 10_000;
const EDGES: u64 = 50_000;

fn build(db: &Database) -> Vec<NodeId> {
    let mut rng = Rng(0x5eed);
    let mut w = db.begin_write().unwrap();
    let nodes: Vec<NodeId> = (0..NODES)
        .map(|i| w.add_node(&["N"], props! {"i" => i as i64}).unwrap())
        .collect();
    for _ in 0..EDGES {
        let a = nodes[(rng.next() % NODES) as usize];
        let b = nodes[(rng.next() % NODES) as usize];
        w.add_edge(a, b, "T", props! {"weight" => 1.0}).unwrap();
    }
    w.commit().unwrap();
    nodes
}

fn writes(c: &mut Criterion) {
    let mut g = c.benchmark_group("write");
    g.sample_size(10);
    g.throughput(Throughput::Elements(NODES + EDGES));
    g.bench_function(
        BenchmarkId::new("one_txn_nodes_and_edges", NODES + EDGES),
        |b| {
            b.iter_with_setup(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let db = Database::builder()
                        .durability(Durability::Buffered)
                        .open(dir.path().join("db"))
                        .unwrap();
                    (dir, db)
                },
                |(_dir, db)| build(&db),
            );
        },
    );
    g.throughput(Throughput::Elements(1));
    g.bench_function("small_txn_synced", |b| {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path().join("db")).unwrap();
        b.iter(|| {
            let mut w = db.begin_write().unwrap();
            w.add_node(&["N"], props! {"x" => 1}).unwrap();
            w.commit().unwrap();
        });
    });
    g.finish();
}

fn reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let nodes = build(&db);
    let r = db.begin_read().unwrap();
    let mut rng = Rng(7);
    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Elements(1));
    g.bench_function("node", |b| {
        b.iter(|| r.node(nodes[(rng.next() % NODES) as usize]).unwrap());
    });
    g.bench_function("neighbors_out", |b| {
        b.iter(|| {
            r.neighbors(nodes[(rng.next() % NODES) as usize], Direction::Out, None)
                .unwrap()
        });
    });
    g.bench_function("edges_both", |b| {
        b.iter(|| {
            r.edges(
                nodes[(rng.next() % NODES) as usize],
                Direction::Both,
                Some("T"),
            )
            .unwrap()
        });
    });
    g.finish();
}

criterion_group!(benches, writes, reads);
criterion_main!(benches);
