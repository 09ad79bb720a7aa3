//! `shortestPath` / `allShortestPaths` with their ends given every way a
//! statement can give them — inline properties, parameters, labels or
//! none, one end bound by an earlier `MATCH`, a `WHERE` — each checked
//! against a plain breadth-first search on random graphs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::many_single_char_names,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::VecDeque;

use common::Rng;
use quiverdb::query::{CypherValue as V, Params};
use quiverdb::{Database, NodeId, props};

/// A random directed graph of `n` nodes `:N {name: 'n<i>'}` (a few also
/// `:Other`), about `m` `:E` edges and some `:X` edges, committed to `db`.
/// Returns the `:E` adjacency by node index.
fn random_graph(db: &Database, rng: &mut Rng, n: usize, m: usize) -> Vec<Vec<usize>> {
    let mut w = db.begin_write().unwrap();
    let ids: Vec<NodeId> = (0..n)
        .map(|i| {
            let labels: &[&str] = if i % 7 == 3 { &["N", "Other"] } else { &["N"] };
            w.add_node(labels, props! {"name" => format!("n{i}")})
                .unwrap()
        })
        .collect();
    let mut out = vec![Vec::new(); n];
    for _ in 0..m {
        let (a, b) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
        w.add_edge(ids[a], ids[b], "E", props! {}).unwrap();
        out[a].push(b);
    }
    // Edges of another type the patterns below do not follow.
    for _ in 0..m / 4 {
        let (a, b) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
        w.add_edge(ids[a], ids[b], "X", props! {}).unwrap();
    }
    w.commit().unwrap();
    out
}

/// Hops of the shortest path from `a` to `b` (at least one hop), and how
/// many shortest paths there are (parallel edges counted apart).
fn bfs(out: &[Vec<usize>], a: usize, b: usize) -> Option<(usize, u64)> {
    let n = out.len();
    let mut depth = vec![usize::MAX; n];
    let mut ways = vec![0u64; n];
    let mut queue = VecDeque::new();
    // Start from a's successors so that a == b needs a cycle.
    for &t in &out[a] {
        if depth[t] == usize::MAX {
            depth[t] = 1;
            queue.push_back(t);
        }
        if depth[t] == 1 {
            ways[t] += 1;
        }
    }
    while let Some(x) = queue.pop_front() {
        if x == b {
            continue;
        }
        for &t in &out[x] {
            if depth[t] == usize::MAX {
                depth[t] = depth[x] + 1;
                queue.push_back(t);
            }
            if depth[t] == depth[x] + 1 {
                ways[t] += ways[x];
            }
        }
    }
    (depth[b] != usize::MAX).then(|| (depth[b], ways[b]))
}

fn names(a: usize, b: usize) -> Params {
    Params::from([
        ("a".to_owned(), V::from(format!("n{a}"))),
        ("b".to_owned(), V::from(format!("n{b}"))),
    ])
}

/// The lengths of the rows' paths (column 0), sorted.
fn lengths(db: &Database, statement: &str, params: &Params) -> Vec<i64> {
    let result = db
        .execute(statement, params)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    let mut out: Vec<i64> = result
        .rows()
        .iter()
        .map(|row| match &row[0] {
            V::Int(i) => *i,
            other => panic!("{statement}: a length, not {other:?}"),
        })
        .collect();
    out.sort_unstable();
    out
}

#[test]
fn shortest_paths_agree_with_bfs_however_their_ends_are_given() {
    let seed = common::seed(0x5eed_0042);
    let mut rng = Rng(seed);
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let n = 30 + 20 * round;
        let out = random_graph(&db, &mut rng, n, n * 2);
        let ways_of_giving_ends = [
            "MATCH p = shortestPath((a:N {name: $a})-[:E*]->(b:N {name: $b})) RETURN length(p)",
            "MATCH p = shortestPath((a {name: $a})-[:E*]->(b {name: $b})) RETURN length(p)",
            "MATCH (a:N {name: $a}) MATCH p = shortestPath((a)-[:E*]->(b:N {name: $b})) RETURN length(p)",
            "MATCH (b:N {name: $b}) MATCH p = shortestPath((a:N {name: $a})-[:E*]->(b)) RETURN length(p)",
            "MATCH (a:N {name: $a}), (b:N {name: $b}) MATCH p = shortestPath((a)-[:E*]->(b)) RETURN length(p)",
            "MATCH p = shortestPath((a:N)-[:E*]->(b:N)) WHERE a.name = $a AND b.name = $b RETURN length(p)",
            "MATCH (a:N {name: $a}), p = shortestPath((a)-[:E*]->(b:N {name: $b})) RETURN length(p)",
        ];
        for _ in 0..12 {
            let (a, b) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
            if a == b {
                // Neo4j refuses a shortest path from a node to itself.
                continue;
            }
            let want = bfs(&out, a, b);
            let params = names(a, b);
            for statement in ways_of_giving_ends {
                let got = lengths(&db, statement, &params);
                let expected: Vec<i64> = want.iter().map(|&(d, _)| d as i64).collect();
                assert_eq!(got, expected, "seed {seed}, n{a} -> n{b}: {statement}");
            }
            // Literal values in the pattern, as Neo4j's documentation writes them.
            let literal = format!(
                "MATCH p = shortestPath((a:N {{name: 'n{a}'}})-[:E*]->(b:N {{name: 'n{b}'}})) RETURN length(p)"
            );
            let expected: Vec<i64> = want.iter().map(|&(d, _)| d as i64).collect();
            assert_eq!(
                lengths(&db, &literal, &Params::new()),
                expected,
                "seed {seed}: {literal}"
            );
            // Every shortest path: as many rows as BFS counts.
            let all = lengths(
                &db,
                "MATCH p = allShortestPaths((a:N {name: $a})-[:E*]->(b:N {name: $b})) RETURN length(p)",
                &params,
            );
            let expected: Vec<i64> = want
                .iter()
                .flat_map(|&(d, ways)| std::iter::repeat_n(d as i64, ways as usize))
                .collect();
            assert_eq!(all, expected, "seed {seed}, all n{a} -> n{b}");
        }
    }
}

#[test]
fn a_shortest_path_end_with_a_label_alone_pairs_every_member() {
    // Ends given by label only: one path from the start to each reachable
    // member of the far end's label (Neo4j's semantics: the ends are
    // matched, then a path is searched for each pair).
    let mut rng = Rng(common::seed(7));
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let n = 40;
    let out = random_graph(&db, &mut rng, n, 90);
    let others: Vec<usize> = (0..n).filter(|i| i % 7 == 3).collect();
    for a in [0, 5, 11] {
        let mut expected: Vec<i64> = others
            .iter()
            .filter(|&&b| b != a)
            .filter_map(|&b| bfs(&out, a, b).map(|(d, _)| d as i64))
            .collect();
        expected.sort_unstable();
        let got = lengths(
            &db,
            "MATCH p = shortestPath((a:N {name: $a})-[:E*]->(b:Other)) RETURN length(p)",
            &Params::from([("a".to_owned(), V::from(format!("n{a}")))]),
        );
        assert_eq!(got, expected, "from n{a}");
    }
    // An end that matches no node: no rows, not an error.
    let none = lengths(
        &db,
        "MATCH p = shortestPath((a:N {name: 'n1'})-[:E*]->(b:N {name: 'nobody'})) RETURN length(p)",
        &Params::new(),
    );
    assert!(none.is_empty());
}
