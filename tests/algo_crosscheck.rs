//! Fast paths against plain ones on seeded random graphs: bidirectional BFS
//! against one-way BFS and projection BFS, bidirectional Dijkstra against
//! one-way Dijkstra and projection SSSP, Tarjan against petgraph's
//! Kosaraju, union-find WCC against BFS WCC. Every returned path is checked
//! to be a real path whose cost is recomputed from its edges.
//!
//! Set `QUIVER_TEST_SEED=<u64>` to try other graphs; failures print the seed.

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

use std::collections::HashMap;

use common::{Rng, seed};

use quiverdb::algo::{self, Components, PathQuery, ProjectionSpec};
use quiverdb::{Database, Direction, Error, GraphRead, NodeId, ReadTxn, props};

/// A random multigraph: `n` nodes labelled A or B, `m` edges of types X or
/// Y with weights in {0, 0.5, …, 4.5} (zero included), some self-loops and
/// parallel edges.
fn random_graph(db: &Database, rng: &mut Rng, n: u64, m: u64) -> Vec<NodeId> {
    let mut w = db.begin_write().unwrap();
    let nodes: Vec<NodeId> = (0..n)
        .map(|i| {
            w.add_node(&[if i % 3 == 0 { "A" } else { "B" }], props! {})
                .unwrap()
        })
        .collect();
    for _ in 0..m {
        let a = nodes[rng.below(n) as usize];
        let b = nodes[rng.below(n) as usize];
        let ty = if rng.below(4) == 0 { "Y" } else { "X" };
        let weight = rng.below(10) as f64 / 2.0;
        w.add_edge(a, b, ty, props! {"w" => weight}).unwrap();
    }
    w.commit().unwrap();
    nodes
}

/// Checks that `path` is a real path from `from` to `to` under `q`'s
/// direction and types, and returns its recomputed (hops, weight).
fn verify(
    r: &ReadTxn<'_>,
    path: &algo::Path,
    from: NodeId,
    to: NodeId,
    dir: Direction,
    types: &[&str],
) -> (usize, f64) {
    assert_eq!(path.nodes.first(), Some(&from));
    assert_eq!(path.nodes.last(), Some(&to));
    assert_eq!(path.nodes.len(), path.edges.len() + 1);
    let mut weight = 0.0;
    for (i, e) in path.edges.iter().enumerate() {
        let edge = r
            .edge(*e)
            .unwrap()
            .unwrap_or_else(|| panic!("edge {e} does not exist"));
        let (a, b) = (path.nodes[i], path.nodes[i + 1]);
        let ok = match dir {
            Direction::Out => edge.source == a && edge.target == b,
            Direction::In => edge.source == b && edge.target == a,
            Direction::Both => {
                (edge.source, edge.target) == (a, b) || (edge.source, edge.target) == (b, a)
            }
        };
        assert!(
            ok,
            "edge {e} ({}->{}) does not link {a} to {b} going {dir:?}",
            edge.source, edge.target
        );
        assert!(types.is_empty() || types.contains(&edge.edge_type.as_str()));
        weight += edge.props["w"].as_f64().unwrap();
    }
    (path.edges.len(), weight)
}

#[test]
fn shortest_paths_agree_and_are_real() {
    let seed = seed(0x9e37_79b9);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed);
    let nodes = random_graph(&db, &mut rng, 300, 700);
    let r = db.begin_read().unwrap();
    let mut found = 0;
    for (dir, types) in [
        (Direction::Out, vec![]),
        (Direction::In, vec![]),
        (Direction::Both, vec![]),
        (Direction::Out, vec!["X"]),
        (Direction::Both, vec!["Y"]),
    ] {
        let mut spec = ProjectionSpec::new().weight("w");
        if !types.is_empty() {
            spec = spec.edge_types(types.clone());
        }
        // Built on the transaction, not cached: `r` keeps reading storage.
        let p = r.project(&spec).unwrap();
        for _ in 0..60 {
            let from = nodes[rng.below(nodes.len() as u64) as usize];
            let to = nodes[rng.below(nodes.len() as u64) as usize];
            let ctx = format!("seed {seed}: {from} -> {to}, {dir:?}, {types:?}");
            let q = PathQuery::new().direction(dir).edge_types(types.clone());
            let bi = r.shortest_path(from, to, &q).unwrap();
            let one = r
                .shortest_path(from, to, &q.clone().bidirectional(false))
                .unwrap();
            let depth = algo::bfs_depths(&p, from, dir).unwrap()[p.require(to).unwrap() as usize];
            assert_eq!(
                bi.as_ref().map(algo::Path::hops),
                one.as_ref().map(algo::Path::hops),
                "{ctx}"
            );
            assert_eq!(bi.as_ref().map(|p| p.hops() as u32), depth, "{ctx}");
            if let Some(path) = &bi {
                found += 1;
                let (hops, _) = verify(&r, path, from, to, dir, &types);
                assert_eq!(path.cost, hops as f64, "{ctx}");
                verify(&r, one.as_ref().unwrap(), from, to, dir, &types);
                // A depth limit below the distance hides the path; at it, not.
                let limited = q.clone().max_depth(hops as u32);
                assert!(
                    r.shortest_path(from, to, &limited).unwrap().is_some(),
                    "{ctx}"
                );
                if hops > 0 {
                    let tight = q.clone().max_depth(hops as u32 - 1);
                    assert!(
                        r.shortest_path(from, to, &tight).unwrap().is_none(),
                        "{ctx}"
                    );
                }
            }

            let wq = q.clone().weight("w");
            let wbi = r.shortest_path(from, to, &wq).unwrap();
            let wone = r
                .shortest_path(from, to, &wq.clone().bidirectional(false))
                .unwrap();
            let sssp =
                algo::sssp_distances(&p, from, dir).unwrap()[p.require(to).unwrap() as usize];
            match (&wbi, &wone) {
                (Some(a), Some(b)) => {
                    let (_, wa) = verify(&r, a, from, to, dir, &types);
                    let (_, wb) = verify(&r, b, from, to, dir, &types);
                    assert!(
                        (a.cost - wa).abs() < 1e-9 && (b.cost - wb).abs() < 1e-9,
                        "{ctx}: stated cost differs from the edges'"
                    );
                    assert!(
                        (a.cost - b.cost).abs() < 1e-9 && (a.cost - sssp).abs() < 1e-9,
                        "{ctx}: {} vs {} vs {sssp}",
                        a.cost,
                        b.cost
                    );
                }
                (None, None) => assert!(sssp.is_infinite(), "{ctx}"),
                _ => panic!("{ctx}: bidirectional {wbi:?} vs one-way {wone:?}"),
            }
        }
    }
    assert!(
        found > 50,
        "seed {seed}: too few reachable pairs ({found}) to test anything"
    );
}

#[test]
fn projection_backed_paths_match_storage_and_go_stale_on_commit() {
    let seed = seed(0x9e37_79b9);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed ^ 0xabcd);
    let nodes = random_graph(&db, &mut rng, 300, 800);
    for (dir, types) in [
        (Direction::Out, vec![]),
        (Direction::Both, vec![]),
        (Direction::In, vec!["X"]),
    ] {
        // Cache a weighted projection for these types: it serves both
        // unweighted and weighted queries on a read transaction.
        let spec = ProjectionSpec::new().weight("w").edge_types(types.clone());
        db.projection(&spec).unwrap();
        let memory = db.begin_read().unwrap();
        let storage = db.begin_write().unwrap(); // never uses projections
        for _ in 0..80 {
            let from = nodes[rng.below(nodes.len() as u64) as usize];
            let to = nodes[rng.below(nodes.len() as u64) as usize];
            let ctx = format!("seed {seed}: {from} -> {to}, {dir:?}, {types:?}");
            let q = PathQuery::new().direction(dir).edge_types(types.clone());
            for q in [q.clone(), q.weight("w")] {
                let m = memory.shortest_path(from, to, &q).unwrap();
                let s = storage.shortest_path(from, to, &q).unwrap();
                assert_eq!(m.is_some(), s.is_some(), "{ctx}");
                if let (Some(m), Some(s)) = (m, s) {
                    if q.clone() == PathQuery::new().direction(dir).edge_types(types.clone()) {
                        // Depth limits behave alike in memory.
                        let hops = m.hops() as u32;
                        assert!(
                            memory
                                .shortest_path(from, to, &q.clone().max_depth(hops))
                                .unwrap()
                                .is_some(),
                            "{ctx}"
                        );
                        if hops > 0 {
                            assert!(
                                memory
                                    .shortest_path(from, to, &q.clone().max_depth(hops - 1))
                                    .unwrap()
                                    .is_none(),
                                "{ctx}"
                            );
                        }
                    }
                    assert!(
                        (m.cost - s.cost).abs() < 1e-9,
                        "{ctx}: memory {} vs storage {}",
                        m.cost,
                        s.cost
                    );
                    let (hops, weight) = verify(&memory, &m, from, to, dir, &types);
                    let expected = if q == PathQuery::new().direction(dir).edge_types(types.clone())
                    {
                        hops as f64
                    } else {
                        weight
                    };
                    assert!(
                        (m.cost - expected).abs() < 1e-9,
                        "{ctx}: stated {} vs edges {expected}",
                        m.cost
                    );
                }
            }
        }
    }
    // A commit makes the cached projections stale: a new reader sees a new
    // node and edge at once (a stale projection would not hold them).
    db.projection(&ProjectionSpec::new()).unwrap();
    let mut w = db.begin_write().unwrap();
    let c = w.add_node(&["A"], props! {}).unwrap();
    let e = w.add_edge(nodes[0], c, "X", props! {"w" => 0.0}).unwrap();
    w.commit().unwrap();
    let after = db
        .begin_read()
        .unwrap()
        .shortest_path(nodes[0], c, &PathQuery::new())
        .unwrap();
    assert_eq!(after.map(|p| p.edges), Some(vec![e]));
}

#[test]
fn path_errors_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    let a = w.add_node(&[], props! {}).unwrap();
    let b = w.add_node(&[], props! {}).unwrap();
    let c = w.add_node(&[], props! {}).unwrap();
    w.add_edge(a, b, "T", props! {"w" => -1.0}).unwrap();
    w.add_edge(b, c, "T", props! {}).unwrap();
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let ghost = NodeId(77);
    assert!(
        matches!(r.shortest_path(a, ghost, &PathQuery::new()), Err(Error::NodeNotFound(n)) if n == ghost)
    );
    let err = r
        .shortest_path(a, c, &PathQuery::new().weight("w"))
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument(_)) && err.to_string().contains(">= 0"),
        "{err}"
    );
    let err = r
        .shortest_path(b, c, &PathQuery::new().weight("w"))
        .unwrap_err();
    assert!(err.to_string().contains("no numeric property"), "{err}");
    let p = r
        .shortest_path(b, c, &PathQuery::new().weight("w").default_weight(2.5))
        .unwrap()
        .unwrap();
    assert_eq!(p.cost, 2.5);
    assert!(r.shortest_path(c, a, &PathQuery::new()).unwrap().is_none());
    assert_eq!(
        r.shortest_path(c, a, &PathQuery::new().direction(Direction::Both))
            .unwrap()
            .unwrap()
            .hops(),
        2
    );
    assert!(
        r.shortest_path(a, c, &PathQuery::new().edge_types(["NOPE"]))
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        db.projection(&ProjectionSpec::new().weight("w")),
        Err(Error::InvalidArgument(_))
    ));
}

/// Same partition, whatever the numbering.
fn same_partition(a: &[u32], b: &[u32]) -> bool {
    let mut fwd = HashMap::new();
    let mut back = HashMap::new();
    a.iter()
        .zip(b)
        .all(|(x, y)| *fwd.entry(x).or_insert(y) == y && *back.entry(y).or_insert(x) == x)
}

#[test]
fn components_agree_with_independent_algorithms() {
    let seed = seed(0x9e37_79b9);
    for round in 0..8u64 {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let mut rng = Rng(seed ^ (round * 0x1234_5678_9abc));
        let n = 50 + rng.below(400);
        let m = rng.below(n * 2);
        random_graph(&db, &mut rng, n, m);
        let p = db.projection(&ProjectionSpec::new()).unwrap();

        let uf = algo::weakly_connected_components(&p);
        let bfs = algo::weakly_connected_components_bfs(&p);
        assert!(
            same_partition(uf.labels(), bfs.labels()),
            "seed {seed} round {round}: WCC"
        );
        assert_eq!(uf.sizes(), bfs.sizes());

        let tarjan = algo::strongly_connected_components(&p);
        let kosaraju = petgraph::algo::kosaraju_scc(&*p);
        let mut label = vec![0u32; p.node_count()];
        for (c, members) in kosaraju.iter().enumerate() {
            for &v in members {
                label[v as usize] = c as u32;
            }
        }
        assert!(
            same_partition(tarjan.labels(), &label),
            "seed {seed} round {round}: SCC"
        );
        assert_eq!(tarjan.count(), kosaraju.len());
        check_numbering(&uf);
        check_numbering(&tarjan);
    }
}

fn check_numbering(c: &Components) {
    assert!(
        c.sizes().windows(2).all(|w| w[0] >= w[1]),
        "sizes must be largest first"
    );
    assert_eq!(c.sizes().iter().sum::<usize>(), c.labels().len());
    let mut counted = vec![0usize; c.count()];
    for &l in c.labels() {
        counted[l as usize] += 1;
    }
    assert_eq!(counted, c.sizes());
}

#[test]
fn scc_survives_a_deep_chain() {
    // A 200,000-node cycle: a recursive Tarjan would need 200,000 frames.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::builder()
        .durability(quiverdb::Durability::Buffered)
        .open(dir.path())
        .unwrap();
    let mut w = db.begin_write().unwrap();
    let n = 200_000;
    let nodes: Vec<NodeId> = (0..n)
        .map(|_| w.add_node(&[], props! {}).unwrap())
        .collect();
    for i in 0..n {
        w.add_edge(nodes[i], nodes[(i + 1) % n], "NEXT", props! {})
            .unwrap();
    }
    w.commit().unwrap();
    let p = db.projection(&ProjectionSpec::new()).unwrap();
    let scc = algo::strongly_connected_components(&p);
    assert_eq!(scc.sizes(), &[n]);
}

#[test]
fn projections_filter_and_cache_until_the_next_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    let a = w.add_node(&["A"], props! {}).unwrap();
    let b = w.add_node(&["B"], props! {}).unwrap();
    let a2 = w.add_node(&["A"], props! {}).unwrap();
    w.add_edge(a, b, "X", props! {}).unwrap();
    w.add_edge(a, a2, "X", props! {}).unwrap();
    w.add_edge(a2, a, "Y", props! {"w" => 3}).unwrap();
    w.commit().unwrap();

    let only_a = db.projection(&ProjectionSpec::new().labels(["A"])).unwrap();
    assert_eq!(only_a.node_ids(), &[a, a2]);
    assert_eq!(only_a.edge_count(), 2); // a->b leaves the projection with b
    let only_y = db
        .projection(&ProjectionSpec::new().edge_types(["Y"]).weight("w"))
        .unwrap();
    assert_eq!(only_y.node_count(), 3);
    assert_eq!(only_y.edge_count(), 1);
    assert_eq!(
        only_y.out_neighbors(only_y.require(a2).unwrap()),
        &[only_y.require(a).unwrap()]
    );
    assert_eq!(
        algo::sssp_distances(&only_y, a2, Direction::Out).unwrap()[0],
        3.0
    ); // Int weight read as f64

    let spec = ProjectionSpec::new();
    let (first, cached) = db.projection_cached(&spec).unwrap();
    assert!(!cached);
    let (again, cached) = db.projection_cached(&spec).unwrap();
    assert!(cached && std::sync::Arc::ptr_eq(&first, &again));
    let mut w = db.begin_write().unwrap();
    w.add_edge(b, a, "X", props! {}).unwrap();
    w.commit().unwrap();
    let (fresh, cached) = db.projection_cached(&spec).unwrap();
    assert!(!cached);
    assert_eq!(fresh.edge_count(), first.edge_count() + 1);
    // An aborted write does not invalidate anything.
    db.begin_write().unwrap().abort();
    assert!(db.projection_cached(&spec).unwrap().1);
    // Ids without a matching node are refused.
    assert!(matches!(
        fresh.require(NodeId(99)),
        Err(Error::NodeNotFound(_))
    ));
}

/// A projection large enough to be read by several threads, whose
/// relationships crowd into the last sources (so one thread's share of
/// the list overflows and another's is half empty), equals the adjacency
/// read node by node — whole, by type (weights with their targets) and by
/// label (fewer relationships than the statistics count for the type).
#[test]
fn projections_read_in_parallel_parts_match_the_adjacency() {
    let seed = seed(0x9a27);
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let n = 12_000u64;
    let mut w = db.begin_write().unwrap();
    let nodes: Vec<NodeId> = (0..n)
        .map(|i| {
            w.add_node(&[if i % 5 == 0 { "A" } else { "B" }], props! {})
                .unwrap()
        })
        .collect();
    for (i, &a) in nodes.iter().enumerate() {
        let degree = if i < 9_000 {
            rng.below(2)
        } else {
            5 + rng.below(20)
        };
        for _ in 0..degree {
            let b = nodes[rng.below(n) as usize];
            let ty = if rng.below(3) == 0 { "Y" } else { "X" };
            w.add_edge(a, b, ty, props! {"w" => rng.below(7) as f64})
                .unwrap();
        }
    }
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    for (types, label, weighted) in [
        (None, None, false),
        (Some("Y"), None, true),
        (Some("X"), Some("A"), false),
    ] {
        let mut spec = ProjectionSpec::new();
        if let Some(t) = types {
            spec = spec.edge_types([t]);
        }
        if let Some(l) = label {
            spec = spec.labels([l]);
        }
        if weighted {
            spec = spec.weight("w");
        }
        let what = format!("seed {seed}, types {types:?}, label {label:?}");
        let p = db.projection(&spec).unwrap();
        let mut edges = 0;
        for (i, &id) in p.node_ids().iter().enumerate() {
            let mut want: Vec<u32> = r
                .edges(id, Direction::Out, types)
                .unwrap()
                .iter()
                .filter_map(|e| p.index_of(e.target))
                .collect();
            let mut got = p.out_neighbors(i as u32).to_vec();
            want.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, want, "{what}, node {i}");
            edges += got.len();
        }
        assert_eq!(edges, p.edge_count(), "{what}");
        if weighted {
            // Distances from the weights the projection holds, against
            // Dijkstra over storage.
            let from = p.node_id(p.node_count() as u32 - 1);
            let d = algo::sssp_distances(&p, from, Direction::Out).unwrap();
            let q = PathQuery::new()
                .direction(Direction::Out)
                .edge_types(["Y"])
                .weight("w");
            let storage = db.begin_write().unwrap(); // paths from storage, not the projection
            for j in (0..p.node_count()).step_by(997) {
                let to = p.node_id(j as u32);
                let stored = storage
                    .shortest_path(from, to, &q)
                    .unwrap()
                    .map_or(f64::INFINITY, |path| path.cost);
                assert_eq!(d[j], stored, "{what}, node {j}");
            }
        }
    }
}

/// The coreness by definition: repeatedly remove every node of degree
/// below k (degrees over all edges, either way, with multiplicity; a
/// self-loop twice), for k = 1, 2, …; a node removed while peeling for k
/// has coreness k - 1.
fn naive_coreness(n: usize, edges: &[(usize, usize)]) -> Vec<u32> {
    let mut alive = vec![true; n];
    let mut core = vec![0u32; n];
    let degree = |alive: &[bool], v: usize| {
        edges
            .iter()
            .map(|&(a, b)| usize::from(a == v && alive[b]) + usize::from(b == v && alive[a]))
            .sum::<usize>()
    };
    let mut k = 1u32;
    while alive.iter().any(|&a| a) {
        loop {
            let drop: Vec<usize> = (0..n)
                .filter(|&v| alive[v] && degree(&alive, v) < k as usize)
                .collect();
            if drop.is_empty() {
                break;
            }
            for v in drop {
                alive[v] = false;
                core[v] = k - 1;
            }
        }
        k += 1;
    }
    core
}

#[test]
fn kcore_matches_peeling_by_definition() {
    let seed = seed(0x5eed_c0de);
    let mut rng = Rng(seed);
    for (n, m) in [(60, 150), (120, 600), (40, 400)] {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let nodes = random_graph(&db, &mut rng, n, m);
        let p = db.projection(&ProjectionSpec::new()).unwrap();
        let r = db.begin_read().unwrap();
        let index: HashMap<NodeId, usize> = (0..p.node_count())
            .map(|i| (p.node_id(i as u32), i))
            .collect();
        let edges: Vec<(usize, usize)> = nodes
            .iter()
            .flat_map(|&v| r.edges(v, Direction::Out, None).unwrap())
            .map(|e| (index[&e.source], index[&e.target]))
            .collect();
        assert_eq!(
            algo::kcore(&p),
            naive_coreness(p.node_count(), &edges),
            "seed {seed}, {n} nodes, {m} edges"
        );
    }
}

#[test]
fn personalized_pagerank_solves_its_equation() {
    let seed = seed(0x00dd_ba11);
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let nodes = random_graph(&db, &mut rng, 150, 400);
    let r = db.begin_read().unwrap();
    for weighted in [false, true] {
        let spec = if weighted {
            ProjectionSpec::new().weight("w")
        } else {
            ProjectionSpec::new()
        };
        let p = db.projection(&spec).unwrap();
        let n = p.node_count();
        let idx = |v: NodeId| p.index_of(v).unwrap() as usize;
        let seeds = [(idx(nodes[3]) as u32, 2.0), (idx(nodes[40]) as u32, 1.0)];
        for d in [Direction::Out, Direction::Both] {
            let ppr = algo::personalized_pagerank(&p, &seeds, 0.85, d);
            // The fixed point, checked from the stored edges.
            let mut reset = vec![0.0; n];
            reset[seeds[0].0 as usize] = 2.0 / 3.0;
            reset[seeds[1].0 as usize] = 1.0 / 3.0;
            let mut arcs: Vec<(usize, usize, f64)> = Vec::new();
            for &v in &nodes {
                for e in r.edges(v, Direction::Out, None).unwrap() {
                    let edge = r.edge(e.id).unwrap().unwrap();
                    let w = if weighted {
                        edge.props["w"].as_f64().unwrap()
                    } else {
                        1.0
                    };
                    arcs.push((idx(e.source), idx(e.target), w));
                    if d == Direction::Both {
                        arcs.push((idx(e.target), idx(e.source), w));
                    }
                }
            }
            let mut out = vec![0.0; n];
            for &(a, _, w) in &arcs {
                out[a] += w;
            }
            let sink: f64 = (0..n).filter(|&v| out[v] == 0.0).map(|v| ppr[v]).sum();
            let mut expect: Vec<f64> = reset.iter().map(|r| (0.15 + 0.85 * sink) * r).collect();
            // A node whose leaving weights are all zero is a sink too.
            for &(a, b, w) in arcs.iter().filter(|&&(a, _, _)| out[a] > 0.0) {
                expect[b] += 0.85 * ppr[a] * w / out[a];
            }
            let l1: f64 = ppr.iter().zip(&expect).map(|(a, b)| (a - b).abs()).sum();
            assert!(
                l1 < 1e-12,
                "seed {seed}, weighted {weighted}, {d:?}: residual {l1}"
            );
            assert!((ppr.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert!(ppr.iter().all(|&x| x >= 0.0));
        }
    }
    // No seeds, or seeds of weight zero: plain PageRank's uniform restart.
    let p = db.projection(&ProjectionSpec::new()).unwrap();
    let uniform = algo::personalized_pagerank(&p, &[], 0.85, Direction::Out);
    assert!((uniform.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let converged = algo::pagerank(&p, 0.85, 200, Direction::Out);
    let l1: f64 = uniform
        .iter()
        .zip(&converged)
        .map(|(a, b)| (a - b).abs())
        .sum();
    assert!(l1 < 1e-9, "seed {seed}: {l1}");
}
