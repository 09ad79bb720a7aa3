//! Leiden and Louvain: planted partitions recovered, every Leiden community
//! connected at every level, levels nested, node optimality when run to a
//! fixed point, modularity and CPM quality against their definitions,
//! weights and seeds honoured, bad parameters refused.
//!
//! Set `QUIVER_TEST_SEED=<u64>` to try other graphs; failures print the seed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::float_cmp,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::{HashMap, HashSet, VecDeque};

use common::{Rng, seed};
use quiverdb::algo::{self, Communities, LeidenConfig, Objective, Projection, ProjectionSpec};
use quiverdb::{Database, Error, props};

/// Edges `(a, b, weight)` over nodes `0..n`, stored as directed edges.
struct Graph {
    n: usize,
    edges: Vec<(usize, usize, f64)>,
}

impl Graph {
    fn store(&self) -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let mut w = db.begin_write().unwrap();
        let nodes: Vec<_> = (0..self.n)
            .map(|_| w.add_node(&["N"], props! {}).unwrap())
            .collect();
        for &(a, b, x) in &self.edges {
            w.add_edge(nodes[a], nodes[b], "E", props! {"w" => x})
                .unwrap();
        }
        w.commit().unwrap();
        (dir, db)
    }

    /// Undirected adjacency, each stored edge at both ends (a self-loop
    /// twice at its node).
    fn adjacency(&self) -> Vec<Vec<(usize, f64)>> {
        let mut adj = vec![Vec::new(); self.n];
        for &(a, b, w) in &self.edges {
            adj[a].push((b, w));
            adj[b].push((a, w));
        }
        adj
    }
}

/// `groups` planted groups of `size` nodes: an edge inside a group with
/// probability `p_in`, across with `p_out`, weight 1.
fn planted(rng: &mut Rng, groups: usize, size: usize, p_in: f32, p_out: f32) -> Graph {
    let n = groups * size;
    let mut edges = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let p = if a / size == b / size { p_in } else { p_out };
            if rng.unit() < p {
                // Either direction: the algorithms read edges undirected.
                if rng.below(2) == 0 {
                    edges.push((a, b, 1.0));
                } else {
                    edges.push((b, a, 1.0));
                }
            }
        }
    }
    Graph { n, edges }
}

/// A sparse random multigraph with self-loops, parallel and reciprocal
/// edges, weights 1..4, and a few isolated nodes.
fn messy(rng: &mut Rng, n: usize, m: usize) -> Graph {
    let edges = (0..m)
        .map(|_| {
            let a = rng.below(n as u64 - 3) as usize;
            let b = rng.below(n as u64 - 3) as usize;
            (a, b, (1 + rng.below(4)) as f64)
        })
        .collect();
    Graph { n, edges }
}

fn project(db: &Database, weighted: bool) -> std::sync::Arc<Projection> {
    let spec = if weighted {
        ProjectionSpec::new().weight("w")
    } else {
        ProjectionSpec::new()
    };
    db.projection(&spec).unwrap()
}

/// Normalised mutual information of two labellings (arithmetic mean of
/// the entropies, as igraph's `compare_communities(method="nmi")`).
fn nmi(a: &[u32], b: &[u32]) -> f64 {
    let n = a.len() as f64;
    let mut joint: HashMap<(u32, u32), f64> = HashMap::new();
    let (mut pa, mut pb): (HashMap<u32, f64>, HashMap<u32, f64>) = Default::default();
    for (&x, &y) in a.iter().zip(b) {
        *joint.entry((x, y)).or_default() += 1.0;
        *pa.entry(x).or_default() += 1.0;
        *pb.entry(y).or_default() += 1.0;
    }
    let h = |p: &HashMap<u32, f64>| -p.values().map(|c| c / n * (c / n).ln()).sum::<f64>();
    let mi: f64 = joint
        .iter()
        .map(|(&(x, y), &c)| c / n * ((c / n) / (pa[&x] / n * pb[&y] / n)).ln())
        .sum();
    let (ha, hb) = (h(&pa), h(&pb));
    if ha + hb == 0.0 {
        1.0
    } else {
        2.0 * mi / (ha + hb)
    }
}

/// Modularity from its definition on the undirected reading:
/// `Σ_c (A_c / 2m − γ (K_c / 2m)²)`.
fn modularity_by_definition(g: &Graph, of: &[u32], gamma: f64) -> f64 {
    let two_m: f64 = 2.0 * g.edges.iter().map(|e| e.2).sum::<f64>();
    let mut inside: HashMap<u32, f64> = HashMap::new();
    let mut degree: HashMap<u32, f64> = HashMap::new();
    for &(a, b, w) in &g.edges {
        *degree.entry(of[a]).or_default() += w;
        *degree.entry(of[b]).or_default() += w;
        if of[a] == of[b] {
            *inside.entry(of[a]).or_default() += 2.0 * w;
        }
    }
    inside.values().sum::<f64>() / two_m
        - gamma * degree.values().map(|k| (k / two_m).powi(2)).sum::<f64>()
}

/// Every community at every level is connected through its own nodes.
fn assert_connected(g: &Graph, c: &Communities, what: &str) {
    let adj = g.adjacency();
    for level in 0..c.levels() {
        let of = c.level(level);
        let mut seen = vec![false; g.n];
        let mut started: HashSet<u32> = HashSet::new();
        for s in 0..g.n {
            if seen[s] {
                continue;
            }
            assert!(
                started.insert(of[s]),
                "{what}: community {} of level {level} is not connected",
                of[s]
            );
            seen[s] = true;
            let mut queue = VecDeque::from([s]);
            while let Some(v) = queue.pop_front() {
                for &(u, _) in &adj[v] {
                    if !seen[u] && of[u] == of[v] {
                        seen[u] = true;
                        queue.push_back(u);
                    }
                }
            }
        }
    }
}

/// Each level's communities are unions of the level below's, and the
/// counts match the labels, numbered by first node.
fn assert_nested(c: &Communities, what: &str) {
    assert!(c.levels() >= 1, "{what}");
    for level in 0..c.levels() {
        let of = c.level(level);
        let mut next = 0;
        for &x in of {
            assert!(
                x <= next,
                "{what}: level {level} not numbered by first node"
            );
            if x == next {
                next += 1;
            }
        }
        assert_eq!(next as usize, c.level_count(level), "{what}");
    }
    for level in 1..c.levels() {
        let mut up: HashMap<u32, u32> = HashMap::new();
        for (&lo, &hi) in c.level(level - 1).iter().zip(c.level(level)) {
            assert_eq!(
                *up.entry(lo).or_insert(hi),
                hi,
                "{what}: level {} splits a community of level {}",
                level,
                level - 1
            );
        }
    }
    assert_eq!(c.membership(), c.level(c.levels() - 1));
    assert_eq!(c.count(), c.level_count(c.levels() - 1));
}

#[test]
fn planted_partitions_are_recovered() {
    let seed = seed(0x01e1_de11);
    let mut rng = Rng(seed);
    for (groups, size, p_in, p_out) in [
        (8, 40, 0.3, 0.01),
        (4, 100, 0.15, 0.01),
        (20, 15, 0.6, 0.005),
    ] {
        let g = planted(&mut rng, groups, size, p_in, p_out);
        let truth: Vec<u32> = (0..g.n).map(|v| (v / size) as u32).collect();
        let (_dir, db) = g.store();
        let p = project(&db, false);
        for s in 0..3 {
            let config = LeidenConfig::new().seed(s);
            let leiden = algo::leiden(&p, &config).unwrap();
            let louvain = algo::louvain(&p, &config).unwrap();
            let what = format!("seed {seed}, {groups}x{size}, run {s}");
            assert!(
                nmi(leiden.membership(), &truth) >= 0.95,
                "leiden {what}: {}",
                nmi(leiden.membership(), &truth)
            );
            assert!(nmi(louvain.membership(), &truth) >= 0.95, "louvain {what}");
            let planted_q = algo::modularity(&p, &truth, 1.0).unwrap();
            assert!(
                leiden.quality() >= planted_q - 1e-9,
                "{what}: {} < planted {planted_q}",
                leiden.quality()
            );
            assert_connected(&g, &leiden, &what);
            assert_nested(&leiden, &what);
            assert_nested(&louvain, &what);
        }
    }
}

#[test]
fn leiden_communities_are_connected_and_nested_on_messy_graphs() {
    let seed = seed(0x00c0_ffee);
    let mut rng = Rng(seed);
    for round in 0..12 {
        let g = messy(&mut rng, 60 + 40 * round, 100 + 90 * round);
        let (_dir, db) = g.store();
        for weighted in [false, true] {
            let p = project(&db, weighted);
            for (objective, gamma) in [
                (Objective::Modularity, 1.0),
                (Objective::Modularity, 0.3),
                (Objective::Modularity, 3.0),
                (Objective::Cpm, 0.05),
                (Objective::Cpm, 0.5),
            ] {
                let config = LeidenConfig::new()
                    .objective(objective)
                    .resolution(gamma)
                    .seed(round as u64)
                    .iterations(0);
                let what = format!(
                    "seed {seed}, round {round}, weighted {weighted}, {objective:?} {gamma}"
                );
                let c = algo::leiden(&p, &config).unwrap();
                assert_connected(&g, &c, &what);
                assert_nested(&c, &what);
                assert_eq!(
                    c,
                    algo::leiden(&p, &config).unwrap(),
                    "{what}: not deterministic"
                );
                assert_nested(&algo::louvain(&p, &config).unwrap(), &what);
            }
        }
    }
}

/// Run to a fixed point, no single node can move to another community
/// (or to one of its own) and raise the quality.
#[test]
fn a_fixed_point_is_node_optimal() {
    let seed = seed(0x0971);
    let mut rng = Rng(seed);
    for round in 0..8 {
        let g = messy(&mut rng, 80, 240);
        let (_dir, db) = g.store();
        let p = project(&db, true);
        for (objective, gamma) in [(Objective::Modularity, 1.0), (Objective::Cpm, 0.2)] {
            let config = LeidenConfig::new()
                .objective(objective)
                .resolution(gamma)
                .seed(round)
                .iterations(0);
            let c = algo::leiden(&p, &config).unwrap();
            let of = c.membership();
            let quality = |of: &[u32]| match objective {
                Objective::Modularity => algo::modularity(&p, of, gamma).unwrap(),
                _ => cpm_by_definition(&g, of, gamma),
            };
            let q = quality(of);
            let what = format!("seed {seed}, round {round}, {objective:?}");
            assert!(
                (q - c.quality()).abs() < 1e-9,
                "{what}: quality {} vs {q}",
                c.quality()
            );
            let fresh = c.count() as u32;
            for v in 0..g.n {
                for target in (0..=fresh).filter(|&t| t != of[v]) {
                    let mut moved = of.to_vec();
                    moved[v] = target;
                    assert!(
                        quality(&moved) <= q + 1e-9,
                        "{what}: moving node {v} to {target} raises the quality"
                    );
                }
            }
        }
    }
}

/// CPM quality as igraph defines it: `1/2m · Σ_c (A_c − γ n_c²)`.
fn cpm_by_definition(g: &Graph, of: &[u32], gamma: f64) -> f64 {
    let two_m: f64 = 2.0 * g.edges.iter().map(|e| e.2).sum::<f64>();
    let mut inside = 0.0;
    for &(a, b, w) in &g.edges {
        if of[a] == of[b] {
            inside += 2.0 * w;
        }
    }
    let mut size: HashMap<u32, f64> = HashMap::new();
    for &c in of {
        *size.entry(c).or_default() += 1.0;
    }
    (inside - gamma * size.values().map(|s| s * s).sum::<f64>()) / two_m
}

#[test]
fn modularity_and_quality_match_their_definitions() {
    let seed = seed(0x40d);
    let mut rng = Rng(seed);
    for round in 0..10 {
        let g = messy(&mut rng, 50, 150);
        let (_dir, db) = g.store();
        let weighted = project(&db, true);
        let unit = Graph {
            n: g.n,
            edges: g.edges.iter().map(|&(a, b, _)| (a, b, 1.0)).collect(),
        };
        let plain = project(&db, false);
        for gamma in [0.5, 1.0, 2.0] {
            let random: Vec<u32> = (0..g.n).map(|_| rng.below(7) as u32 * 1000).collect();
            let what = format!("seed {seed}, round {round}, γ {gamma}");
            let ours = algo::modularity(&weighted, &random, gamma).unwrap();
            assert!(
                (ours - modularity_by_definition(&g, &random, gamma)).abs() < 1e-12,
                "{what}"
            );
            let ours = algo::modularity(&plain, &random, gamma).unwrap();
            assert!(
                (ours - modularity_by_definition(&unit, &random, gamma)).abs() < 1e-12,
                "{what}"
            );
            let c = algo::leiden(&weighted, &LeidenConfig::new().resolution(gamma)).unwrap();
            let by_def = modularity_by_definition(&g, c.membership(), gamma);
            assert!((c.quality() - by_def).abs() < 1e-9, "{what}");
            let c = algo::louvain(
                &weighted,
                &LeidenConfig::new()
                    .objective(Objective::Cpm)
                    .resolution(gamma / 10.0),
            )
            .unwrap();
            let by_def = cpm_by_definition(&g, c.membership(), gamma / 10.0);
            assert!((c.quality() - by_def).abs() < 1e-9, "{what}");
        }
    }
    let (_dir, db) = Graph {
        n: 3,
        edges: vec![],
    }
    .store();
    let p = project(&db, false);
    assert_eq!(algo::modularity(&p, &[0, 0, 1], 1.0).unwrap(), 0.0);
    let c = algo::leiden(&p, &LeidenConfig::new()).unwrap();
    assert_eq!((c.membership(), c.quality()), (&[0, 1, 2][..], 0.0));
    assert!(matches!(
        algo::modularity(&p, &[0, 0], 1.0),
        Err(Error::InvalidArgument(_))
    ));
}

/// Weights, not the edge pattern, carry the groups here: unweighted, the
/// graph is one uniform random graph.
#[test]
fn weights_decide_when_the_projection_is_weighted() {
    let seed = seed(0x3e16);
    let mut rng = Rng(seed);
    let (groups, size) = (5, 30);
    let n = groups * size;
    let mut edges = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            if rng.unit() < 0.2 {
                edges.push((a, b, if a / size == b / size { 20.0 } else { 1.0 }));
            }
        }
    }
    let g = Graph { n, edges };
    let truth: Vec<u32> = (0..n).map(|v| (v / size) as u32).collect();
    let (_dir, db) = g.store();
    let heavy = algo::leiden(&project(&db, true), &LeidenConfig::new()).unwrap();
    let plain = algo::leiden(&project(&db, false), &LeidenConfig::new()).unwrap();
    assert!(nmi(heavy.membership(), &truth) >= 0.95, "seed {seed}");
    assert!(
        nmi(plain.membership(), &truth) < 0.5,
        "seed {seed}: {}",
        nmi(plain.membership(), &truth)
    );
}

/// CPM finds cliques joined by single edges whatever their number (no
/// resolution limit), where modularity at γ = 1 merges neighbours.
#[test]
fn cpm_separates_a_ring_of_cliques() {
    let (cliques, size) = (40, 5);
    let mut edges = Vec::new();
    for c in 0..cliques {
        for a in 0..size {
            for b in a + 1..size {
                edges.push((c * size + a, c * size + b, 1.0));
            }
        }
        edges.push((c * size, ((c + 1) % cliques) * size + 1, 1.0));
    }
    let g = Graph {
        n: cliques * size,
        edges,
    };
    let truth: Vec<u32> = (0..g.n).map(|v| (v / size) as u32).collect();
    let (_dir, db) = g.store();
    let p = project(&db, false);
    let cpm = algo::leiden(
        &p,
        &LeidenConfig::new()
            .objective(Objective::Cpm)
            .resolution(0.5),
    )
    .unwrap();
    assert_eq!(cpm.membership(), &truth[..]);
    let modularity = algo::leiden(&p, &LeidenConfig::new()).unwrap();
    assert!(modularity.count() < cliques, "{}", modularity.count());
}

#[test]
fn seeds_repeat_and_bad_parameters_are_refused() {
    let mut rng = Rng(seed(0x5eed));
    let g = planted(&mut rng, 6, 30, 0.2, 0.05);
    let (_dir, db) = g.store();
    let p = project(&db, false);
    let runs: Vec<Communities> = (0..6)
        .map(|s| algo::leiden(&p, &LeidenConfig::new().seed(s)).unwrap())
        .collect();
    for (s, c) in runs.iter().enumerate() {
        assert_eq!(
            c,
            &algo::leiden(&p, &LeidenConfig::new().seed(s as u64)).unwrap()
        );
    }
    for bad in [
        LeidenConfig::new().resolution(f64::NAN),
        LeidenConfig::new().resolution(-1.0),
        LeidenConfig::new().resolution(f64::INFINITY),
        LeidenConfig::new().randomness(0.0),
        LeidenConfig::new().randomness(f64::NAN),
    ] {
        assert!(
            matches!(algo::leiden(&p, &bad), Err(Error::InvalidArgument(_))),
            "{bad:?}"
        );
        assert!(
            matches!(algo::louvain(&p, &bad), Err(Error::InvalidArgument(_))),
            "{bad:?}"
        );
    }
}

/// On a power-law graph one run of Louvain leaves a community disconnected
/// for some seeds (5 of these 60; a bridge node moved away after its
/// community formed):
/// the connectivity check catches that, and Leiden's communities on the
/// same graph pass it for every seed.
#[test]
fn leiden_stays_connected_where_louvain_does_not() {
    let mut rng = Rng(99);
    let n = 3000;
    let mut end = || ((n as f32) * rng.unit().powf(2.0)) as usize % n;
    let edges = (0..12_000).map(|_| (end(), end(), 1.0)).collect();
    let g = Graph { n, edges };
    let (_dir, db) = g.store();
    let p = project(&db, false);
    let mut louvain_disconnected = 0;
    for seed in 0..60 {
        let config = LeidenConfig::new().seed(seed).resolution(0.5);
        let leiden = algo::leiden(&p, &config).unwrap();
        assert_connected(&g, &leiden, &format!("leiden, seed {seed}"));
        let louvain = algo::louvain(&p, &config.clone().iterations(1)).unwrap();
        let check = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_connected(&g, &louvain, "louvain");
        }));
        louvain_disconnected += usize::from(check.is_err());
    }
    assert!(
        louvain_disconnected > 0,
        "the check never failed on Louvain here"
    );
}

/// Later runs start from the last result, so they cannot rebuild the
/// hierarchy by themselves: the levels a user gets after several runs are
/// still a hierarchy, nested, ending at the result.
#[test]
fn repeated_runs_keep_a_hierarchy() {
    let (cliques, size) = (40, 5);
    let mut edges = Vec::new();
    for c in 0..cliques {
        for a in 0..size {
            for b in a + 1..size {
                edges.push((c * size + a, c * size + b, 1.0));
            }
        }
        edges.push((c * size, ((c + 1) % cliques) * size + 1, 1.0));
    }
    let g = Graph {
        n: cliques * size,
        edges,
    };
    let (_dir, db) = g.store();
    let p = project(&db, false);
    for iterations in [1, 3, 0] {
        let config = LeidenConfig::new().iterations(iterations);
        for (name, c) in [
            ("leiden", algo::leiden(&p, &config).unwrap()),
            ("louvain", algo::louvain(&p, &config).unwrap()),
        ] {
            let what = format!("{name}, {iterations} iterations");
            assert!(c.levels() >= 2, "{what}: {} level(s)", c.levels());
            assert!(c.level_count(0) > c.count(), "{what}");
            assert_nested(&c, &what);
        }
    }
}
