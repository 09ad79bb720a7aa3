//! Projections written at close and read back by the next open: used only
//! while nothing was committed since, equal to a projection built from the
//! graph, and passed over (then rebuilt) when stale, damaged or switched
//! off.

#![allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::many_single_char_names,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::path::{Path, PathBuf};

use common::Rng;
use quiverdb::algo::{self, Projection, ProjectionSpec};
use quiverdb::{Database, Direction, NodeId, props};

/// Opens `dir` writing every projection (no size threshold).
fn open(dir: &Path) -> Database {
    Database::builder()
        .stored_projections(Some(0))
        .open(dir)
        .unwrap()
}

/// A random multigraph of `n` nodes and `m` edges of two types, weighted
/// by `w`, with self-loops and parallel edges. Returns the node ids.
fn random_graph(db: &Database, rng: &mut Rng, n: u64, m: u64) -> Vec<NodeId> {
    let mut w = db.begin_write().unwrap();
    let nodes: Vec<NodeId> = (0..n)
        .map(|i| {
            let label = if i % 3 == 0 { "A" } else { "B" };
            w.add_node(&[label], props! {}).unwrap()
        })
        .collect();
    for _ in 0..m {
        let a = nodes[rng.below(n) as usize];
        let b = nodes[rng.below(n) as usize];
        let t = if rng.below(4) == 0 { "Y" } else { "X" };
        w.add_edge(a, b, t, props! {"w" => rng.below(10) as f64 / 2.0})
            .unwrap();
    }
    w.commit().unwrap();
    nodes
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir.join("projections"))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

/// Asserts two projections hold the same nodes, lists and weights.
fn assert_same(a: &Projection, b: &Projection) {
    assert_eq!(a.node_ids(), b.node_ids());
    assert_eq!(a.edge_count(), b.edge_count());
    assert_eq!(a.is_weighted(), b.is_weighted());
    assert_eq!(a.is_undirected(), b.is_undirected());
    for i in 0..a.node_count() as u32 {
        assert_eq!(a.out_neighbors(i), b.out_neighbors(i), "node {i}");
        assert_eq!(a.in_neighbors(i), b.in_neighbors(i), "node {i}");
    }
    if a.is_weighted() {
        for i in (0..a.node_count() as u32).step_by(7) {
            let id = a.node_id(i);
            assert_eq!(
                algo::sssp_distances(a, id, Direction::Out).unwrap(),
                algo::sssp_distances(b, id, Direction::Out).unwrap()
            );
        }
    }
}

#[test]
fn a_projection_stored_at_close_is_read_back_until_the_next_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_0001);
    let specs = [
        ProjectionSpec::new(),
        ProjectionSpec::new().edge_types(["X"]).weight("w"),
        ProjectionSpec::new().labels(["A"]),
    ];
    let nodes;
    {
        let db = open(dir.path());
        nodes = random_graph(&db, &mut rng, 300, 2_000);
        for spec in &specs {
            let (p, cached) = db.projection_cached(spec).unwrap();
            assert!(!cached && !p.from_file());
        }
        db.close().unwrap();
    }
    assert_eq!(files(dir.path()).len(), specs.len());

    // Reopened, nothing committed: each spec comes from its file, and
    // equals a projection built from the graph.
    {
        let db = open(dir.path());
        for spec in &specs {
            let (p, cached) = db.projection_cached(spec).unwrap();
            assert!(!cached && p.from_file(), "{spec:?}");
            assert_same(&p, &db.begin_read().unwrap().project(spec).unwrap());
            // Then from memory.
            assert!(db.projection_cached(spec).unwrap().1);
        }
        let p = db.projection(&specs[0]).unwrap();
        let wcc = algo::weakly_connected_components(&p);
        let built = db.begin_read().unwrap().project(&specs[0]).unwrap();
        assert_eq!(
            wcc.count(),
            algo::weakly_connected_components(&built).count()
        );

        // A commit makes the files stale: built again, with the change.
        let mut w = db.begin_write().unwrap();
        w.add_edge(nodes[0], nodes[1], "X", props! {"w" => 1.0})
            .unwrap();
        w.commit().unwrap();
        let (p, cached) = db.projection_cached(&specs[0]).unwrap();
        assert!(!cached && !p.from_file());
        assert_eq!(p.edge_count(), 2_001);
        db.close().unwrap();
    }
    // The new state's projection replaced its file; the two of the old
    // state were removed as stale.
    assert_eq!(files(dir.path()).len(), 1);
    let db = open(dir.path());
    let (p, _) = db.projection_cached(&specs[0]).unwrap();
    assert!(p.from_file());
    assert_eq!(p.edge_count(), 2_001);
    let (p, _) = db.projection_cached(&specs[1]).unwrap();
    assert!(!p.from_file());
}

#[test]
fn damaged_or_foreign_files_are_passed_over_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_0002);
    let spec = ProjectionSpec::new();
    let built = {
        let db = open(dir.path());
        random_graph(&db, &mut rng, 200, 1_500);
        // Ids that are not one run (a node deleted) are stored as a list.
        let mut w = db.begin_write().unwrap();
        let victim = db.begin_read().unwrap().project(&spec).unwrap().node_id(17);
        w.detach_delete_node(victim).unwrap();
        w.commit().unwrap();
        let p = db.projection(&spec).unwrap();
        assert_eq!(p.node_count(), 199);
        db.close().unwrap();
        p
    };
    let [file] = files(dir.path()).try_into().unwrap();
    let good = std::fs::read(&file).unwrap();
    {
        let db = open(dir.path());
        assert!(db.projection(&spec).unwrap().from_file());
    }
    let len = good.len();
    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("a target one off (only the CRC can tell)", {
            let mut b = good.clone();
            b[len - 12] ^= 0x01; // the low byte of the third-last target
            b
        }),
        ("a flipped header byte", {
            let mut b = good.clone();
            b[20] ^= 0x01;
            b
        }),
        ("truncated", good[..len - 4].to_vec()),
        ("extended", [good.as_slice(), &[0; 8]].concat()),
        ("empty", Vec::new()),
        ("bad magic", [b"NOTAPROJ".as_slice(), &good[8..]].concat()),
    ];
    for (what, bytes) in damages {
        std::fs::write(&file, &bytes).unwrap();
        let db = open(dir.path());
        let p = db.projection(&spec).unwrap();
        assert!(!p.from_file(), "{what}: used");
        assert_same(&p, &built);
        drop(p);
        db.close().unwrap();
        // Rewritten at close: the next open reads it again.
        let db = open(dir.path());
        assert!(
            db.projection(&spec).unwrap().from_file(),
            "{what}: not rewritten"
        );
        drop(db);
        std::fs::write(&file, &good).unwrap();
    }
}

#[test]
fn small_projections_and_switched_off_stores_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_0003);
    {
        // Default threshold: 65,536 edges; this graph has 500.
        let db = Database::open(dir.path()).unwrap();
        random_graph(&db, &mut rng, 100, 500);
        db.projection(&ProjectionSpec::new()).unwrap();
        db.close().unwrap();
    }
    assert!(files(dir.path()).is_empty());
    {
        let db = Database::builder()
            .stored_projections(None)
            .open(dir.path())
            .unwrap();
        db.projection(&ProjectionSpec::new()).unwrap();
        db.close().unwrap();
    }
    assert!(files(dir.path()).is_empty());
    {
        let db = open(dir.path());
        db.projection(&ProjectionSpec::new()).unwrap();
        let before = db.disk_usage().unwrap();
        db.checkpoint().unwrap(); // checkpoint writes too, not only close
        let [file] = files(dir.path()).try_into().unwrap();
        // The folder's files count in the database's size.
        let size = std::fs::metadata(&file).unwrap().len();
        assert!(db.disk_usage().unwrap() >= before + size);
    }
    // Switched off, an existing file is not read.
    let db = Database::builder()
        .stored_projections(None)
        .open(dir.path())
        .unwrap();
    assert!(!db.projection(&ProjectionSpec::new()).unwrap().from_file());
}

/// A bulk load into an empty graph hands its adjacency over as the default
/// projection of the state it committed: the first kernel reads it from
/// memory, it equals a projection built from storage, the close stores
/// it; a load into a graph that already had edges hands nothing over.
#[test]
fn an_import_into_an_empty_graph_hands_over_its_projection() {
    use quiverdb::import::{Format, ImportOptions, Importer};
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_0004);
    let lines: Vec<String> = (0..3_000)
        .map(|_| format!("{} {}", rng.below(500), rng.below(700)))
        .collect();
    let first = dir.path().join("first.txt");
    std::fs::write(&first, lines.join("\n")).unwrap();
    let spec = ProjectionSpec::new();
    let db_dir = dir.path().join("db");
    {
        let db = open(&db_dir);
        let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
        import.edges(&first, Format::EdgeList).unwrap();
        import.finish().unwrap();
        let (p, cached) = db.projection_cached(&spec).unwrap();
        assert!(cached && !p.from_file());
        assert_eq!(p.edge_count(), 3_000);
        assert_same(&p, &db.begin_read().unwrap().project(&spec).unwrap());
        db.close().unwrap();
    }
    {
        let db = open(&db_dir);
        let (p, cached) = db.projection_cached(&spec).unwrap();
        assert!(!cached && p.from_file());
        assert_same(&p, &db.begin_read().unwrap().project(&spec).unwrap());
        // A second load: the graph was not empty, nothing is handed over.
        let more = dir.path().join("more.txt");
        std::fs::write(&more, "1 2\n700 701\n").unwrap();
        let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
        import.edges(&more, Format::EdgeList).unwrap();
        import.finish().unwrap();
        let (p, cached) = db.projection_cached(&spec).unwrap();
        assert!(!cached && !p.from_file());
        assert_eq!(p.edge_count(), 3_002);
    }
}
