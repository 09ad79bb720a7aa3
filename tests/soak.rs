//! Concurrency soak: reader threads (graph reads, vector searches on
//! snapshots, shortest paths, projections) run beside one writer, a thread
//! caching projections and a maintenance thread (vector checkpoints,
//! collection compaction, RocksDB compaction) for a bounded time.
//!
//! The writer keeps invariants that every snapshot must satisfy:
//!
//! * bank: `ACCOUNTS` accounts whose balances always sum to
//!   `ACCOUNTS × 100`, money moving between them in multi-operation
//!   transactions;
//! * counts: a meta node records how many `LINK` edges and `Tmp` nodes
//!   exist, updated in the same transaction that adds or removes them, so
//!   the label index, the edge counter and the collection size must agree
//!   with it;
//! * vectors: an account's vector is derived from its `ver` property and
//!   both change in one transaction, so every search hit must carry exactly
//!   the vector its node's `ver` implies in that snapshot, at the score
//!   that vector gives — a hit from another snapshot cannot pass;
//! * paths and projections: a ring joins the accounts and every other node
//!   hangs off it, so every account reaches every other, every returned
//!   path is made of edges of the snapshot joining consecutive nodes, and a
//!   projection has exactly the snapshot's counts and one component.
//!
//! A watchdog fails the run when any thread has not finished an operation
//! for `QUIVER_SOAK_STALL_MS` (default 5,000 ms). 20 s and 6 threads by
//! default; the long run is
//! `QUIVER_SOAK_SECS=300 QUIVER_SOAK_THREADS=16 cargo test --release --test soak -- --nocapture`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::Rng;
use quiverdb::algo::{PathQuery, ProjectionSpec, weakly_connected_components};
use quiverdb::vector::{CollectionConfig, Metric, Search};
use quiverdb::{Database, EdgeId, GraphRead, NodeId, ReadTxn, props};

const ACCOUNTS: usize = 1_000;
const DIM: usize = 16;
const BALANCE: i64 = 100;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The vector of point `key` at version `ver`.
fn vector(key: u64, ver: i64) -> Vec<f32> {
    let mut rng = Rng((key << 24) ^ (ver as u64) ^ 0x9e37_79b9_7f4a_7c15);
    rng.next();
    rng.vector(DIM)
}

fn l2(a: &[f32], b: &[f32]) -> f32 {
    common::squared_l2(a, b).sqrt()
}

fn int(r: &ReadTxn<'_>, id: NodeId, key: &str) -> i64 {
    r.node(id).unwrap().expect("node").props[key]
        .as_i64()
        .unwrap()
}

/// What every thread shares.
struct Shared {
    start: Instant,
    stop: AtomicBool,
    /// Per thread: milliseconds since `start` at the last finished
    /// operation, and what it is doing now.
    beats: Vec<AtomicU64>,
    doing: Vec<Mutex<&'static str>>,
    accounts: Vec<NodeId>,
    meta: NodeId,
    /// Operations done, by kind.
    counts: Mutex<std::collections::BTreeMap<&'static str, u64>>,
    /// Recall of the HNSW searches against exact search on the same
    /// snapshot: (found, wanted).
    recall: Mutex<(u64, u64)>,
}

impl Shared {
    fn beat(&self, thread: usize, next: &'static str) {
        let now = self.start.elapsed().as_millis() as u64;
        self.beats[thread].store(now, Ordering::Relaxed);
        *self.doing[thread].lock().unwrap() = next;
    }

    fn count(&self, what: &'static str) {
        *self.counts.lock().unwrap().entry(what).or_default() += 1;
    }

    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }
}

fn setup(db: &Database) -> (Vec<NodeId>, NodeId) {
    let mut w = db.begin_write().unwrap();
    w.create_collection("v", CollectionConfig::new(DIM, Metric::L2).bound_to_nodes())
        .unwrap();
    let accounts: Vec<NodeId> = (0..ACCOUNTS)
        .map(|i| {
            w.add_node(
                &["Acct"],
                props! {"i" => i as i64, "bal" => BALANCE, "ver" => 0},
            )
            .unwrap()
        })
        .collect();
    for (i, &a) in accounts.iter().enumerate() {
        let next = accounts[(i + 1) % ACCOUNTS];
        w.add_edge(a, next, "RING", props! {"w" => 1.0}).unwrap();
        w.upsert_vector("v", a.0, &vector(a.0, 0), props! {})
            .unwrap();
    }
    let meta = w
        .add_node(&["Meta"], props! {"links" => 0, "tmp" => 0})
        .unwrap();
    w.add_edge(meta, accounts[0], "META", props! {"w" => 1.0})
        .unwrap();
    w.commit().unwrap();
    (accounts, meta)
}

/// The one writer: random transactions of one to four operations, each
/// keeping the invariants.
fn writer(s: &Shared, db: &Database, me: usize, seed: u64) {
    let mut rng = Rng(seed);
    let mut links: Vec<EdgeId> = Vec::new();
    let mut tmps: Vec<NodeId> = Vec::new();
    while s.running() {
        s.beat(me, "commit");
        let mut w = db.begin_write().unwrap();
        for _ in 0..=rng.below(4) {
            let pick = rng.below(100);
            let a = s.accounts[rng.below(ACCOUNTS as u64) as usize];
            let b = s.accounts[rng.below(ACCOUNTS as u64) as usize];
            let meta = w.node(s.meta).unwrap().unwrap().props;
            let (nlinks, ntmp) = (
                meta["links"].as_i64().unwrap(),
                meta["tmp"].as_i64().unwrap(),
            );
            if pick < 40 {
                let amount = rng.below(50) as i64;
                let (ba, bb) = (
                    w.node(a).unwrap().unwrap().props["bal"].as_i64().unwrap(),
                    w.node(b).unwrap().unwrap().props["bal"].as_i64().unwrap(),
                );
                if a != b {
                    w.set_node_property(a, "bal", ba - amount).unwrap();
                    w.set_node_property(b, "bal", bb + amount).unwrap();
                }
            } else if pick < 65 {
                let ver = w.node(a).unwrap().unwrap().props["ver"].as_i64().unwrap() + 1;
                w.set_node_property(a, "ver", ver).unwrap();
                w.upsert_vector("v", a.0, &vector(a.0, ver), props! {})
                    .unwrap();
            } else if pick < 77 || (pick < 87 && links.is_empty()) {
                let weight = 1.0 + rng.below(4) as f64;
                links.push(w.add_edge(a, b, "LINK", props! {"w" => weight}).unwrap());
                w.set_node_property(s.meta, "links", nlinks + 1).unwrap();
            } else if pick < 87 {
                let e = links.swap_remove(rng.below(links.len() as u64) as usize);
                w.delete_edge(e).unwrap();
                w.set_node_property(s.meta, "links", nlinks - 1).unwrap();
            } else if pick < 94 || tmps.is_empty() {
                let t = w.add_node(&["Tmp"], props! {}).unwrap();
                w.add_edge(a, t, "TMP", props! {"w" => 1.0}).unwrap();
                w.upsert_vector("v", t.0, &vector(t.0, 0), props! {})
                    .unwrap();
                tmps.push(t);
                w.set_node_property(s.meta, "tmp", ntmp + 1).unwrap();
            } else {
                let t = tmps.swap_remove(rng.below(tmps.len() as u64) as usize);
                // Its edge and its point go with it.
                assert_eq!(w.detach_delete_node(t).unwrap(), 1);
                w.set_node_property(s.meta, "tmp", ntmp - 1).unwrap();
            }
        }
        w.commit().unwrap();
        s.count("commits");
    }
    s.beat(me, "done");
}

/// Vector checkpoints, collection compaction and RocksDB compaction, in
/// turn.
fn maintenance(s: &Shared, db: &Database, me: usize) {
    let mut turn = 0u64;
    while s.running() {
        match turn % 3 {
            0 => {
                s.beat(me, "checkpoint");
                db.checkpoint().unwrap();
                s.count("checkpoints");
            }
            1 => {
                s.beat(me, "compact collection");
                db.compact_collection("v").unwrap();
                s.count("collection compactions");
            }
            _ => {
                s.beat(me, "compact storage");
                db.compact().unwrap();
                s.count("storage compactions");
            }
        }
        turn += 1;
        s.beat(me, "sleep");
        std::thread::sleep(Duration::from_millis(200));
    }
    s.beat(me, "done");
}

/// Keeps a projection of the newest snapshot cached, so that shortest
/// paths sometimes run on it.
fn cacher(s: &Shared, db: &Database, me: usize) {
    while s.running() {
        s.beat(me, "cache projection");
        let p = db.projection(&ProjectionSpec::new()).unwrap();
        assert_eq!(
            weakly_connected_components(&p).count(),
            1,
            "a cached projection is in pieces"
        );
        s.count("cached projections");
        s.beat(me, "sleep");
        std::thread::sleep(Duration::from_millis(50));
    }
    s.beat(me, "done");
}

fn reader(s: &Shared, db: &Database, me: usize, seed: u64) {
    let mut rng = Rng(seed);
    while s.running() {
        s.beat(me, "begin read");
        let r = db.begin_read().unwrap();
        let meta = r.node(s.meta).unwrap().unwrap().props;
        let (links, tmp) = (
            meta["links"].as_i64().unwrap(),
            meta["tmp"].as_i64().unwrap(),
        );
        match rng.below(5) {
            0 => {
                s.beat(me, "bank");
                let accounts = r.nodes_with_label("Acct").unwrap();
                assert_eq!(accounts.len(), ACCOUNTS);
                let total: i64 = accounts.iter().map(|&a| int(&r, a, "bal")).sum();
                assert_eq!(total, ACCOUNTS as i64 * BALANCE, "money created or lost");
                let tmps = r.nodes_with_label("Tmp").unwrap();
                assert_eq!(tmps.len() as i64, tmp, "Tmp label index vs meta");
                let nodes = ACCOUNTS as u64 + 1 + tmp as u64;
                let edges = ACCOUNTS as u64 + 1 + (links + tmp) as u64;
                assert_eq!(r.node_count().unwrap(), nodes, "node counter vs meta");
                assert_eq!(r.edge_count().unwrap(), edges, "edge counter vs meta");
                assert_eq!(r.node_ids().unwrap().len() as u64, nodes);
                assert_eq!(r.edge_ids().unwrap().len() as u64, edges);
                s.count("bank checks");
            }
            1 | 2 => {
                s.beat(me, "vector search");
                let c = r.collection("v").unwrap();
                assert_eq!(c.count(), (ACCOUNTS as i64 + tmp) as u64, "points vs meta");
                let q = rng.vector(DIM);
                let k = 10;
                let approx = c.search(&q, &Search::k(k)).unwrap();
                let exact = c.search_exact(&q, &Search::k(k)).unwrap();
                for hit in approx.hits.iter().chain(&exact.hits) {
                    let id = NodeId(hit.key);
                    let node = r
                        .node(id)
                        .unwrap()
                        .unwrap_or_else(|| panic!("hit {} is no node of the snapshot", hit.key));
                    let ver = node.props.get("ver").map_or(0, |v| v.as_i64().unwrap());
                    let stored = c.get(hit.key).unwrap().expect("hit without a point");
                    assert_eq!(
                        stored.vector,
                        vector(hit.key, ver),
                        "point {} is not the version its node says",
                        hit.key
                    );
                    let d = l2(&q, &stored.vector);
                    assert!(
                        (hit.score - d).abs() <= 1e-4 * d.max(1.0),
                        "hit {} scored {} but its snapshot vector is at {d}",
                        hit.key,
                        hit.score
                    );
                }
                // Exact search is brute force over exactly this snapshot.
                let mut truth: Vec<(f32, u64)> = c
                    .iter()
                    .map(|p| {
                        let p = p.unwrap();
                        (l2(&q, &p.vector), p.key)
                    })
                    .collect();
                assert_eq!(truth.len() as u64, c.count());
                truth.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                truth.truncate(k);
                assert_eq!(exact.hits.len(), truth.len());
                for (hit, (d, _)) in exact.hits.iter().zip(&truth) {
                    assert!((hit.score - d).abs() <= 1e-4 * d.max(1.0));
                }
                let found = approx
                    .hits
                    .iter()
                    .filter(|h| truth.iter().any(|t| t.1 == h.key))
                    .count();
                let mut recall = s.recall.lock().unwrap();
                recall.0 += found as u64;
                recall.1 += truth.len() as u64;
                s.count("vector searches");
            }
            3 => {
                s.beat(me, "shortest path");
                let a = s.accounts[rng.below(ACCOUNTS as u64) as usize];
                let b = s.accounts[rng.below(ACCOUNTS as u64) as usize];
                let weighted = rng.below(2) == 0;
                let q = if weighted {
                    PathQuery::new().weight("w")
                } else {
                    PathQuery::new()
                };
                let path = r
                    .shortest_path(a, b, &q)
                    .unwrap()
                    .expect("the ring joins every two accounts");
                assert_eq!(path.nodes.first(), Some(&a));
                assert_eq!(path.nodes.last(), Some(&b));
                assert_eq!(path.edges.len() + 1, path.nodes.len());
                let mut cost = 0.0;
                for (i, &e) in path.edges.iter().enumerate() {
                    let edge = r
                        .edge(e)
                        .unwrap()
                        .unwrap_or_else(|| panic!("path edge {e:?} is not in the snapshot"));
                    assert_eq!(
                        (edge.source, edge.target),
                        (path.nodes[i], path.nodes[i + 1])
                    );
                    cost += if weighted {
                        edge.props["w"].as_f64().unwrap()
                    } else {
                        1.0
                    };
                }
                assert!((path.cost - cost).abs() < 1e-9, "path cost");
                let around = (int(&r, b, "i") - int(&r, a, "i")).rem_euclid(ACCOUNTS as i64);
                assert!(path.cost <= around as f64, "longer than the ring");
                s.count("shortest paths");
            }
            _ => {
                s.beat(me, "projection");
                let p = r.project(&ProjectionSpec::new()).unwrap();
                assert_eq!(p.node_count() as u64, r.node_count().unwrap());
                assert_eq!(p.edge_count() as u64, r.edge_count().unwrap());
                assert_eq!(weakly_connected_components(&p).count(), 1);
                s.count("projections");
            }
        }
    }
    s.beat(me, "done");
}

#[test]
fn readers_beside_a_writer_and_maintenance_see_only_consistent_snapshots() {
    let secs = env("QUIVER_SOAK_SECS", 20);
    let threads = env("QUIVER_SOAK_THREADS", 6).max(4) as usize;
    let stall = Duration::from_millis(env("QUIVER_SOAK_STALL_MS", 5_000));
    let seed = common::seed(0x50a6);
    let tmp = tempfile::tempdir().unwrap();
    let db = Database::open(tmp.path().join("db")).unwrap();
    let (accounts, meta) = setup(&db);
    let shared = Shared {
        start: Instant::now(),
        stop: AtomicBool::new(false),
        beats: (0..threads).map(|_| AtomicU64::new(0)).collect(),
        doing: (0..threads).map(|_| Mutex::new("start")).collect(),
        accounts,
        meta,
        counts: Mutex::default(),
        recall: Mutex::default(),
    };
    let s = &shared;
    let db = &db;
    let mut worst = (Duration::ZERO, String::new());
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for me in 0..threads {
            let name = match me {
                0 => "writer".to_owned(),
                1 => "maintenance".to_owned(),
                2 => "projection cache".to_owned(),
                _ => format!("reader {}", me - 3),
            };
            let thread_seed = seed.wrapping_mul(31).wrapping_add(me as u64 + 1);
            let handle = std::thread::Builder::new()
                .name(name)
                .spawn_scoped(scope, move || {
                    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match me {
                        0 => writer(s, db, me, thread_seed),
                        1 => maintenance(s, db, me),
                        2 => cacher(s, db, me),
                        _ => reader(s, db, me, thread_seed),
                    }));
                    if run.is_err() {
                        // Stop the others; the join reports the panic.
                        s.stop.store(true, Ordering::Relaxed);
                    }
                    if let Err(panic) = run {
                        std::panic::resume_unwind(panic);
                    }
                })
                .unwrap();
            handles.push(handle);
        }
        // The watchdog.
        let end = Duration::from_secs(secs);
        while s.running() && s.start.elapsed() < end {
            std::thread::sleep(Duration::from_millis(100));
            let now = s.start.elapsed();
            for (me, beat) in s.beats.iter().enumerate() {
                let idle = now.saturating_sub(Duration::from_millis(beat.load(Ordering::Relaxed)));
                let doing = *s.doing[me].lock().unwrap();
                if doing != "sleep" && idle > worst.0 {
                    worst = (idle, format!("thread {me} in {doing}"));
                }
                // Joining a deadlocked thread would hang the test: fail here.
                assert!(
                    idle <= stall || doing == "done",
                    "seed {seed}: thread {me} stalled for {idle:?} in {doing} \
                     (watchdog limit {stall:?})"
                );
            }
        }
        s.stop.store(true, Ordering::Relaxed);
        for h in handles {
            let name = h.thread().name().unwrap_or("?").to_owned();
            if let Err(panic) = h.join() {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                panic!("seed {seed}: {name} failed: {msg}");
            }
        }
    });
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let counts = s.counts.lock().unwrap().clone();
    let (found, wanted) = *s.recall.lock().unwrap();
    let recall = found as f64 / wanted.max(1) as f64;
    println!(
        "soak: {threads} threads, {secs} s, seed {seed}: {counts:?}; HNSW recall@10 \
         {recall:.4} against exact on the same snapshots; longest operation {:?} ({})",
        worst.0, worst.1
    );
    assert!(counts.get("commits").copied().unwrap_or(0) > 0);
    assert!(
        recall >= 0.95,
        "recall@10 {recall:.4} under concurrent writes"
    );
}
