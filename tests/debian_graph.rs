//! Opt-in check on real data: the Debian package graph from
//! `../shared/datasets/debian` (63,666 nodes, 300,826 edges) against its
//! reference answers — weak and strong components, and the hop and weighted
//! distances of 100 source/target pairs.
//!
//! Run with `cargo test --release -- --ignored debian`.

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

use std::fs;
use std::path::Path;

use quiverdb::algo::{self, PathQuery, ProjectionSpec};
use quiverdb::{Database, Durability, NodeId, props};

#[test]
#[ignore = "needs ../shared/datasets/debian; run with --ignored"]
fn debian_graph_matches_reference_answers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/debian");
    let reference: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(src.join("graph_reference.json")).unwrap())
            .unwrap();
    let edges = fs::read_to_string(src.join("edgelist_weighted.txt")).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = Database::builder()
        .durability(Durability::Buffered)
        .open(dir.path())
        .unwrap();
    let mut w = db.begin_write().unwrap();
    for _ in 0..63_666 {
        w.add_node(&["Package"], props! {}).unwrap();
    }
    for line in edges.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (s, d, wt): (u64, u64, f64) = (
            f[0].parse().unwrap(),
            f[1].parse().unwrap(),
            f[2].parse().unwrap(),
        );
        w.add_edge(NodeId(s), NodeId(d), "DEP", props! {"weight" => wt})
            .unwrap();
    }
    w.commit().unwrap();

    let p = db.projection(&ProjectionSpec::new()).unwrap();
    assert_eq!((p.node_count(), p.edge_count()), (63_666, 300_826));
    for (name, c) in [
        ("wcc", algo::weakly_connected_components(&p)),
        ("scc", algo::strongly_connected_components(&p)),
    ] {
        let r = &reference[name];
        assert_eq!(
            c.count() as u64,
            r["count"].as_u64().unwrap(),
            "{name} count"
        );
        assert_eq!(
            c.largest() as u64,
            r["largest"].as_u64().unwrap(),
            "{name} largest"
        );
        let top5: Vec<u64> = c.sizes()[..5].iter().map(|&s| s as u64).collect();
        let expected: Vec<u64> = r["top5_sizes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(top5, expected, "{name} top sizes");
    }

    let pairs = reference["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 100);
    type Query<'a> = &'a dyn Fn(NodeId, NodeId, &PathQuery) -> Option<quiverdb::algo::Path>;
    let check = |query: Query<'_>, mode: &str| {
        for pair in pairs {
            let s = NodeId(pair["src"].as_u64().unwrap());
            let t = NodeId(pair["dst"].as_u64().unwrap());
            let hops = query(s, t, &PathQuery::new()).map(|p| p.hops() as u64);
            let weighted = query(s, t, &PathQuery::new().weight("weight")).map(|p| p.cost);
            assert_eq!(hops, pair["hops"].as_u64(), "{mode}: hops {s} -> {t}");
            assert_eq!(
                weighted,
                pair["weighted"].as_f64(),
                "{mode}: weighted {s} -> {t}"
            );
        }
    };
    // Straight from storage (a write transaction never uses projections),
    // then on a cached weighted projection.
    let storage = db.begin_write().unwrap();
    check(
        &|s, t, q| storage.shortest_path(s, t, q).unwrap(),
        "storage",
    );
    drop(storage);
    db.projection(&ProjectionSpec::new().weight("weight"))
        .unwrap();
    let r = db.begin_read().unwrap();
    check(
        &|s, t, q| r.shortest_path(s, t, q).unwrap(),
        "cached projection",
    );
}
