//! Graph benchmarks: point-to-point shortest paths straight from storage,
//! projection build, and the WCC / SCC / PageRank / Leiden / Louvain
//! kernels, on
//!
//! * a generated power-law graph (1,000,000 nodes, 9,000,000 directed
//!   edges; seeded; built once and cached under `target/bench-data/`, with
//!   its edge list beside it so peers can load the very same graph), and
//! * the Debian package graph from `../shared/datasets/debian`, when present.
//!
//! `QUIVER_BENCH_NODES` / `QUIVER_BENCH_EDGES` shrink the generated graph
//! for a quick run; `QUIVER_BENCH_GRAPHS=debian` (or `powerlaw`) picks one. The pairs for path queries are seeded and written next
//! to the data (`pairs.txt`) for the peer scripts in `benches/peers/`.

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

use std::fs;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::Rng;
use criterion::{Criterion, criterion_group, criterion_main};
use quiverdb::algo::{self, LeidenConfig, PathQuery, ProjectionSpec};
use quiverdb::{Database, Direction, Durability, NodeId, props};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("bench-data")
}

/// Edges of a seeded power-law graph: endpoints drawn with probability
/// falling as a power of the node's rank (a few hubs, a long tail), both
/// ends independently, so in- and out-degrees are both skewed. Weights are
/// 1..=10.
fn powerlaw_edges(n: u64, m: u64, seed: u64) -> Vec<(u64, u64, f64)> {
    let mut rng = Rng(seed);
    let pick = |rng: &mut Rng| ((n as f64) * rng.unit().powf(2.5)) as u64 % n;
    (0..m)
        .map(|_| {
            let s = pick(&mut rng);
            let d = pick(&mut rng);
            (s, d, (1 + rng.next() % 10) as f64)
        })
        .collect()
}

/// Loads nodes `0..n` (external key `k`) and `edges` through the public
/// write API in transactions of 250,000 edges.
fn load(path: &Path, n: u64, edges: &[(u64, u64, f64)]) -> Database {
    let db = Database::builder()
        .durability(Durability::Buffered)
        .open(path)
        .expect("open bench database");
    let mut ids = Vec::with_capacity(n as usize);
    let mut w = db.begin_write().unwrap();
    for k in 0..n {
        ids.push(w.add_node(&["V"], props! {"k" => k as i64}).unwrap());
    }
    w.commit().unwrap();
    for chunk in edges.chunks(250_000) {
        let mut w = db.begin_write().unwrap();
        for &(s, d, wt) in chunk {
            w.add_edge(ids[s as usize], ids[d as usize], "E", props! {"w" => wt})
                .unwrap();
        }
        w.commit().unwrap();
    }
    db.sync().unwrap();
    db.compact().unwrap();
    db
}

fn write_pairs(dir: &Path, pairs: &[(u64, u64)]) {
    let mut f = BufWriter::new(fs::File::create(dir.join("pairs.txt")).unwrap());
    for (a, b) in pairs {
        writeln!(f, "{a} {b}").unwrap();
    }
}

/// The generated graph's database, built on first use.
/// A benchmark graph: its database, the path query pairs, its name.
type BenchGraph = (Database, Vec<(u64, u64)>, String);

fn powerlaw_db() -> BenchGraph {
    let n = env_u64("QUIVER_BENCH_NODES", 1_000_000);
    let m = env_u64("QUIVER_BENCH_EDGES", 9_000_000);
    let name = format!("powerlaw-{n}-{m}");
    let dir = bench_dir().join(&name);
    let done = dir.join("COMPLETE");
    if !done.exists() {
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let edges = powerlaw_edges(n, m, 0x5eed_1234);
        let mut f = BufWriter::new(fs::File::create(dir.join("edgelist.txt")).unwrap());
        for (s, d, w) in &edges {
            writeln!(f, "{s} {d} {w}").unwrap();
        }
        f.flush().unwrap();
        let t = Instant::now();
        load(&dir.join("db"), n, &edges).close().unwrap();
        eprintln!("built {name} in {:.1} s", t.elapsed().as_secs_f64());
        let mut rng = Rng(42);
        let pairs: Vec<(u64, u64)> = (0..100).map(|_| (rng.next() % n, rng.next() % n)).collect();
        write_pairs(&dir, &pairs);
        fs::write(&done, "").unwrap();
    }
    let db = Database::open(dir.join("db")).unwrap();
    if !dir.join("COMPACTED").exists() {
        db.compact().unwrap();
        fs::write(dir.join("COMPACTED"), "").unwrap();
    }
    let pairs = fs::read_to_string(dir.join("pairs.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(a, b)| (a.parse().unwrap(), b.parse().unwrap()))
        })
        .collect();
    (db, pairs, name)
}

/// The Debian package graph (`edgelist_weighted.txt`, all 63,666 nodes),
/// with its 100 reference pairs.
fn debian_db() -> Option<BenchGraph> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/debian");
    let list = fs::File::open(src.join("edgelist_weighted.txt")).ok()?;
    let dir = bench_dir().join("debian");
    let done = dir.join("COMPLETE");
    if !done.exists() {
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let edges: Vec<(u64, u64, f64)> = std::io::BufReader::new(list)
            .lines()
            .map(|l| {
                let l = l.unwrap();
                let f: Vec<&str> = l.split_whitespace().collect();
                (
                    f[0].parse().unwrap(),
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                )
            })
            .collect();
        load(&dir.join("db"), 63_666, &edges).close().unwrap();
        let refs = fs::read_to_string(src.join("graph_reference.json")).ok()?;
        write_pairs(&dir, &reference_pairs(&refs));
        fs::write(&done, "").unwrap();
    }
    let pairs = fs::read_to_string(dir.join("pairs.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(a, b)| (a.parse().unwrap(), b.parse().unwrap()))
        })
        .collect();
    Some((
        Database::open(dir.join("db")).unwrap(),
        pairs,
        "debian".into(),
    ))
}

/// Pulls `"src": a, "dst": b` pairs out of the reference JSON
/// without a JSON dependency in the benches.
fn reference_pairs(json: &str) -> Vec<(u64, u64)> {
    let number_after = |s: &str, key: &str| -> Option<u64> {
        let at = s.find(key)? + key.len();
        let rest = s[at..].trim_start_matches([' ', ':', '"']);
        rest[..rest.find(|c: char| !c.is_ascii_digit())?]
            .parse()
            .ok()
    };
    json.split('{')
        .filter_map(|obj| Some((number_after(obj, "\"src\"")?, number_after(obj, "\"dst\"")?)))
        .collect()
}

/// The median over `pairs` of each pair's median time (5 runs, after one
/// warm-up run), in microseconds — the figure the peer scripts report.
fn median_pair_us(r: &quiverdb::ReadTxn<'_>, pairs: &[(NodeId, NodeId)], q: &PathQuery) -> f64 {
    let mut per_pair: Vec<f64> = pairs
        .iter()
        .map(|&(s, t)| {
            r.shortest_path(s, t, q).unwrap();
            let mut runs: Vec<f64> = (0..5)
                .map(|_| {
                    let t0 = Instant::now();
                    r.shortest_path(s, t, q).unwrap();
                    t0.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            runs.sort_by(f64::total_cmp);
            runs[2]
        })
        .collect();
    per_pair.sort_by(f64::total_cmp);
    per_pair[per_pair.len() / 2]
}

/// Prints the per-pair median path time, unweighted and weighted, for
/// reader `r`; `mode` names how the reader answers (storage, cached
/// projection).
fn report_path_medians(
    name: &str,
    mode: &str,
    r: &quiverdb::ReadTxn<'_>,
    ids: &[(NodeId, NodeId)],
) {
    for (label, q) in [
        ("unweighted", PathQuery::new()),
        ("weighted", PathQuery::new().weight("w")),
    ] {
        eprintln!(
            "{name}: shortest path {label}{mode}: median over {} pairs {:.1} us",
            ids.len(),
            median_pair_us(r, ids, &q)
        );
    }
}

/// Criterion benches of path queries cycling through `ids`.
fn bench_paths(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    suffix: &str,
    r: &quiverdb::ReadTxn<'_>,
    ids: &[(NodeId, NodeId)],
) {
    for (label, q) in [
        ("unweighted", PathQuery::new()),
        ("weighted", PathQuery::new().weight("w")),
    ] {
        let mut i = 0;
        g.bench_function(format!("shortest_path_{label}{suffix}"), |b| {
            b.iter(|| {
                let (s, t) = ids[i % ids.len()];
                i += 1;
                r.shortest_path(s, t, &q).unwrap()
            });
        });
    }
}

fn bench_graph(c: &mut Criterion, (db, pairs, name): BenchGraph) {
    // Node keys 0..n were created first and in order, so key k is NodeId(k).
    let ids: Vec<(NodeId, NodeId)> = pairs.iter().map(|&(a, b)| (NodeId(a), NodeId(b))).collect();
    let r = db.begin_read().unwrap();
    report_path_medians(&name, "", &r, &ids);
    let t = Instant::now();
    let p = r.project(&ProjectionSpec::new()).unwrap();
    let build = t.elapsed();
    let t = Instant::now();
    let wcc = algo::weakly_connected_components(&p);
    let wcc_t = t.elapsed();
    let t = Instant::now();
    let scc = algo::strongly_connected_components(&p);
    let scc_t = t.elapsed();
    eprintln!(
        "{name}: one run: projection {:.1} ms ({} nodes, {} edges, {} MiB); WCC {:.1} ms ({} components, largest {}); SCC {:.1} ms ({} components, largest {})",
        build.as_secs_f64() * 1e3,
        p.node_count(),
        p.edge_count(),
        p.heap_bytes() >> 20,
        wcc_t.as_secs_f64() * 1e3,
        wcc.count(),
        wcc.largest(),
        scc_t.as_secs_f64() * 1e3,
        scc.count(),
        scc.largest()
    );
    drop(p);
    let mut g = c.benchmark_group(format!("graph/{name}"));
    g.sample_size(10);
    bench_paths(&mut g, "", &r, &ids);
    let spec = ProjectionSpec::new();
    g.bench_function("projection_build", |b| b.iter(|| r.project(&spec).unwrap()));

    // Point queries again, now with current projections cached: the search
    // runs in memory and only the path's edges are read from storage.
    let t = Instant::now();
    db.projection(&ProjectionSpec::new().weight("w")).unwrap();
    eprintln!(
        "{name}: cached the weighted projection in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let rc = db.begin_read().unwrap();
    report_path_medians(&name, " (cached projection)", &rc, &ids);
    bench_paths(&mut g, "_cached_projection", &rc, &ids);
    let p = db.projection(&spec).unwrap();
    g.bench_function("wcc_kernel", |b| {
        b.iter(|| algo::weakly_connected_components(&p));
    });
    g.bench_function("scc_kernel", |b| {
        b.iter(|| algo::strongly_connected_components(&p));
    });
    g.bench_function("pagerank_kernel_10_iterations", |b| {
        b.iter(|| algo::pagerank(&p, 0.85, 10, Direction::Out));
    });
    // Community detection at its defaults (three iterations), one seed:
    // the kernel `quiver algo DB leiden|louvain` times.
    let config = LeidenConfig::new().seed(3);
    g.bench_function("leiden_kernel", |b| {
        b.iter(|| algo::leiden(&p, &config).unwrap());
    });
    g.bench_function("louvain_kernel", |b| {
        b.iter(|| algo::louvain(&p, &config).unwrap());
    });
    g.finish();
}

/// Whether `QUIVER_BENCH_GRAPHS` (comma-separated; default all) names `graph`.
fn wanted(graph: &str) -> bool {
    std::env::var("QUIVER_BENCH_GRAPHS").map_or(true, |v| v.split(',').any(|g| g == graph))
}

fn powerlaw(c: &mut Criterion) {
    if wanted("powerlaw") {
        bench_graph(c, powerlaw_db());
    }
}

fn debian(c: &mut Criterion) {
    if !wanted("debian") {
        return;
    }
    if let Some(data) = debian_db() {
        bench_graph(c, data);
    } else {
        eprintln!("../shared/datasets/debian not found: skipping the Debian graph");
    }
}

criterion_group!(benches, debian, powerlaw);
criterion_main!(benches);
