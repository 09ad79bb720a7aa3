//! Model-based test of vector collections: random sequences of upserts,
//! updates, deletes, commits, aborts, held snapshots, compactions,
//! checkpoints and reopens, run against QuiverDB and against a plain
//! in-memory model with exact search. After every step, on the open write
//! transaction and on every snapshot still held:
//!
//! * exact searches equal the model's exact top-k (up to float rounding
//!   of the distances: the same keys, each at the model's distance);
//! * HNSW searches return only points of that snapshot, and reach recall
//!   ≥ 0.95 of the model's top-k;
//! * the count and the stored points equal the model's.
//!
//! Deterministic by default; `QUIVER_TEST_SEED=<u64>` explores other
//! sequences and `QUIVER_TEST_CASES=<n>` runs more. A failure prints the
//! seed and the shrunk operation list.

#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::BTreeMap;

use common::Rng;
use proptest::prelude::*;
use quiverdb::vector::{CollectionConfig, IndexEngine, Metric, Search};
use quiverdb::{Database, props};

const DIM: usize = 8;
const K: usize = 10;
/// Enough points that searches walk the HNSW graph (at most 2,000
/// candidates are searched exactly).
const FILL: u64 = 2_600;
/// Keys the point operations pick from: a few of their own, and some of
/// the filled ones (updated or deleted under a snapshot's feet).
const SMALL: u64 = 40;

#[derive(Clone, Debug)]
enum Op {
    /// Upserts keys `1000..1000 + FILL` around 20 centres from `seed`.
    Fill(u64),
    /// Inserts or replaces one point.
    Upsert(u64, u64),
    /// Deletes one point (if it exists).
    Delete(u64),
    Commit,
    Abort,
    /// Takes a snapshot and keeps it.
    Snapshot,
    /// Drops the `i % held`-th held snapshot.
    Release(usize),
    /// Reclaims what no snapshot sees and repairs the graph.
    Compact,
    /// Writes the index checkpoint.
    Checkpoint,
    /// Closes and reopens the database (snapshots and the write end).
    Reopen,
}

fn key() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0..SMALL, 2 => 1_000..1_000 + FILL]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => any::<u64>().prop_map(Op::Fill),
        8 => (key(), any::<u64>()).prop_map(|(k, s)| Op::Upsert(k, s)),
        5 => key().prop_map(Op::Delete),
        3 => Just(Op::Commit),
        1 => Just(Op::Abort),
        2 => Just(Op::Snapshot),
        1 => any::<usize>().prop_map(Op::Release),
        1 => Just(Op::Compact),
        1 => Just(Op::Checkpoint),
        1 => Just(Op::Reopen),
    ]
}

/// The points, by key.
type Model = BTreeMap<u64, Vec<f32>>;

/// `n` points around 20 fixed centres (clustered, like real embeddings;
/// queries come from the same distribution), the noise from `seed`.
fn clustered(seed: u64, n: u64) -> Vec<Vec<f32>> {
    let mut centres = Rng(0xce17_e125);
    let centres: Vec<Vec<f32>> = (0..20).map(|_| centres.vector(DIM)).collect();
    let mut rng = Rng(seed | 1);
    (0..n)
        .map(|i| {
            centres[(i % 20) as usize]
                .iter()
                .map(|c| c + 0.15 * rng.gauss())
                .collect()
        })
        .collect()
}

fn point(seed: u64) -> Vec<f32> {
    Rng(seed | 1).vector(DIM)
}

fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The model's exact top-k: `(key, distance)`, nearest first, ties by key.
fn top(model: &Model, q: &[f32], k: usize) -> Vec<(u64, f32)> {
    let mut all: Vec<(u64, f32)> = model.iter().map(|(k, v)| (*k, distance(q, v))).collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// Compares a collection as a transaction sees it with the model.
fn check(
    collection: quiverdb::Result<quiverdb::vector::Collection<'_>>,
    model: &Model,
    queries: &[Vec<f32>],
    ctx: &str,
) -> Result<(), String> {
    let c = collection.map_err(|e| format!("{ctx}: collection: {e}"))?;
    ensure(c.count() == model.len() as u64, || {
        format!(
            "{ctx}: count {} but the model holds {}",
            c.count(),
            model.len()
        )
    })?;
    for key in [0, 1, 7, SMALL - 1, 1_000, 1_001, 1_000 + FILL - 1] {
        let got = c.get(key).map_err(|e| e.to_string())?.map(|p| p.vector);
        ensure(got.as_ref() == model.get(&key), || {
            format!("{ctx}: get({key}) = {got:?}, model {:?}", model.get(&key))
        })?;
    }
    let (mut found, mut wanted) = (0, 0);
    for q in queries {
        let truth = top(model, q, K);
        let exact = c
            .search_exact(q, &Search::k(K))
            .map_err(|e| format!("{ctx}: exact search: {e}"))?;
        ensure(exact.exact && exact.hits.len() == truth.len(), || {
            format!(
                "{ctx}: exact search found {} of {}",
                exact.hits.len(),
                truth.len()
            )
        })?;
        for (hit, (_, d)) in exact.hits.iter().zip(&truth) {
            let at = model.get(&hit.key).map(|v| distance(q, v));
            ensure(
                at.is_some_and(|at| (at - d).abs() <= 1e-5 * d.max(1.0))
                    && (hit.score * hit.score - d).abs() <= 1e-4 * d.max(1.0),
                || {
                    format!(
                        "{ctx}: exact hit {} at {at:?} where the model has distance {d}",
                        hit.key
                    )
                },
            )?;
        }
        let approx = c
            .search(q, &Search::k(K))
            .map_err(|e| format!("{ctx}: search: {e}"))?;
        for hit in &approx.hits {
            ensure(model.contains_key(&hit.key), || {
                format!(
                    "{ctx}: search returned {}, which this view does not hold",
                    hit.key
                )
            })?;
        }
        let truth: Vec<u64> = truth.iter().map(|t| t.0).collect();
        found += approx
            .hits
            .iter()
            .filter(|h| truth.contains(&h.key))
            .count();
        wanted += truth.len();
    }
    let recall = if wanted == 0 {
        1.0
    } else {
        found as f64 / wanted as f64
    };
    ensure(recall >= 0.95, || format!("{ctx}: recall@{K} {recall:.3}"))
}

fn err(what: &'static str) -> impl Fn(quiverdb::Error) -> String {
    move |e| format!("{what}: {e}")
}

fn run(ops: &[Op], engine: IndexEngine) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("db");
    let queries = clustered(0x00ee, 6);
    {
        let db = Database::open(&path).map_err(|e| e.to_string())?;
        let mut w = db.begin_write().map_err(|e| e.to_string())?;
        w.create_collection("v", CollectionConfig::new(DIM, Metric::L2).engine(engine))
            .map_err(|e| e.to_string())?;
        w.commit().map_err(|e| e.to_string())?;
    }
    let mut committed = Model::new();
    for segment in ops.split(|op| matches!(op, Op::Reopen)) {
        let db = Database::open(&path).map_err(err("reopen"))?;
        let r = db.begin_read().map_err(err("read"))?;
        check(r.collection("v"), &committed, &queries, "after open")?;
        drop(r);
        let mut held: Vec<(quiverdb::ReadTxn<'_>, Model)> = Vec::new();
        let mut working = committed.clone();
        let mut txn = None;
        for (step, op) in segment.iter().enumerate() {
            let ctx = format!("step {step} {op:?}");
            match op {
                Op::Commit => {
                    if let Some(w) = txn.take() {
                        quiverdb::WriteTxn::commit(w).map_err(err("commit"))?;
                    }
                    committed = working.clone();
                }
                Op::Abort => {
                    drop(txn.take());
                    working = committed.clone();
                }
                Op::Snapshot => {
                    held.push((db.begin_read().map_err(err("read"))?, committed.clone()));
                }
                Op::Release(i) => {
                    if !held.is_empty() {
                        let i = i % held.len();
                        held.remove(i);
                    }
                }
                Op::Compact => db.compact_collection("v").map_err(err("compact"))?,
                Op::Checkpoint => db.checkpoint().map_err(err("checkpoint"))?,
                Op::Reopen => unreachable!(),
                Op::Fill(_) | Op::Upsert(..) | Op::Delete(_) => {
                    if txn.is_none() {
                        txn = Some(db.begin_write().map_err(err("write"))?);
                    }
                    let w = txn.as_mut().unwrap();
                    match op {
                        Op::Fill(seed) => {
                            let vectors = clustered(*seed, FILL);
                            let report = w
                                .upsert_vectors(
                                    "v",
                                    vectors
                                        .iter()
                                        .enumerate()
                                        .map(|(i, v)| (1_000 + i as u64, v.as_slice(), props! {})),
                                )
                                .map_err(err("fill"))?;
                            ensure(report.rejected.is_empty(), || format!("{report:?}"))?;
                            for (i, v) in vectors.into_iter().enumerate() {
                                working.insert(1_000 + i as u64, v);
                            }
                        }
                        Op::Upsert(key, seed) => {
                            let v = point(*seed);
                            let new = w
                                .upsert_vector("v", *key, &v, props! {})
                                .map_err(err("upsert"))?;
                            ensure(new != working.contains_key(key), || {
                                format!("{ctx}: upsert said new = {new}")
                            })?;
                            working.insert(*key, v);
                        }
                        Op::Delete(key) => {
                            let existed = w.delete_vector("v", *key).map_err(err("delete"))?;
                            ensure(existed == working.remove(key).is_some(), || {
                                format!("{ctx}: delete said existed = {existed}")
                            })?;
                        }
                        _ => unreachable!(),
                    }
                    check(
                        w.collection("v"),
                        &working,
                        &queries,
                        &format!("{ctx}, in the write"),
                    )?;
                }
            }
            for (i, (snap, model)) in held.iter().enumerate() {
                check(
                    snap.collection("v"),
                    model,
                    &queries,
                    &format!("{ctx}, snapshot {i}"),
                )?;
            }
            let fresh = db.begin_read().map_err(err("read"))?;
            check(
                fresh.collection("v"),
                &committed,
                &queries,
                &format!("{ctx}, a new reader"),
            )?;
        }
        drop(held);
        drop(txn);
        let report = db.check().map_err(err("check"))?;
        ensure(report.is_ok(), || format!("check: {:?}", report.problems))?;
        db.close().map_err(err("close"))?;
    }
    let db = Database::open(&path).map_err(err("final open"))?;
    let r = db.begin_read().map_err(err("read"))?;
    check(r.collection("v"), &committed, &queries, "final reopen")
}

#[test]
fn random_vector_operations_match_the_model_on_every_snapshot() {
    let strategy = (
        prop::collection::vec(op(), 1..40),
        prop_oneof![4 => Just(IndexEngine::Native), 1 => Just(IndexEngine::HnswRs)],
    );
    common::run_model(
        "vector model test",
        &strategy,
        0x5eed_0002,
        24,
        |(ops, engine)| run(&ops, engine),
    );
}
