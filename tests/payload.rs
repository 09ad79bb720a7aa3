//! Payload conditions and payload indexes: a search with `payload_eq` /
//! `payload_range` admits exactly the points whose payload satisfies the
//! condition — read from the index when the field has one, from the
//! payloads when not — through inserts, updates, deletes, uncommitted
//! writes, index creation on existing points, drops and reopen.
//!
//! Set `QUIVER_TEST_SEED=<u64>` to try other data; failures print the seed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::ops::Bound;

use common::{Rng, seed};
use quiverdb::vector::{CollectionConfig, Metric, Search};
use quiverdb::{Database, Error, Props, Value, props};

const SECTIONS: [&str; 6] = ["libs", "web", "net", "devel", "admin", "games"];

/// A payload: a section (skewed: `libs` is common), a size that is an
/// integer, a float or missing, and sometimes a list.
fn payload(rng: &mut Rng) -> Props {
    let mut p = props! {"section" => SECTIONS[(rng.below(36) as f64).sqrt() as usize]};
    match rng.below(4) {
        0 => {}
        1 => {
            p.insert("size".into(), Value::Float(rng.below(2_000) as f64 / 4.0));
        }
        _ => {
            p.insert("size".into(), Value::Int(rng.below(500).cast_signed()));
        }
    }
    if rng.below(10) == 0 {
        p.insert("size".into(), Value::from("unknown"));
    }
    p
}

/// The conditions every check runs, each with the predicate it means.
type Case = (Search, Box<dyn Fn(&Props) -> bool>);

fn cases() -> Vec<Case> {
    let num = |p: &Props| match p.get("size") {
        Some(Value::Int(i)) => Some(*i as f64),
        Some(Value::Float(f)) => Some(*f),
        _ => None,
    };
    let section = |s: &'static str| move |p: &Props| p.get("section") == Some(&Value::from(s));
    vec![
        (
            Search::k(10).payload_eq("section", "games"),
            Box::new(section("games")),
        ),
        (
            Search::k(10).payload_eq("section", "libs"),
            Box::new(section("libs")),
        ),
        (
            Search::k(10).payload_eq("size", 100),
            Box::new(move |p| num(p) == Some(100.0)),
        ),
        (
            Search::k(10).payload_eq("size", 100.25),
            Box::new(move |p| num(p) == Some(100.25)),
        ),
        (
            Search::k(10).payload_range("size", 10..20),
            Box::new(move |p| num(p).is_some_and(|x| (10.0..20.0).contains(&x))),
        ),
        (
            Search::k(10).payload_range("size", 480.5..),
            Box::new(move |p| num(p).is_some_and(|x| x >= 480.5)),
        ),
        (
            Search::k(10).payload_range("size", ..=3),
            Box::new(move |p| num(p).is_some_and(|x| x <= 3.0)),
        ),
        (
            Search::k(10).payload_range("section", "d".."m"),
            Box::new(
                |p| matches!(p.get("section"), Some(Value::String(s)) if ("d".."m").contains(&s.as_str())),
            ),
        ),
        (
            Search::k(10)
                .payload_eq("section", "web")
                .payload_range("size", (Bound::Excluded(100), Bound::Unbounded)),
            Box::new(move |p| section("web")(p) && num(p).is_some_and(|x| x > 100.0)),
        ),
    ]
}

/// Every case's exact answer equals brute force over `points` with its
/// predicate, and its HNSW answer holds only admitted points.
fn check_cases(db: &Database, points: &[(u64, Vec<f32>, Props)], rng: &mut Rng, s: u64) {
    for (search, admits) in cases() {
        let q = rng.vector(8);
        let exact = db.search("c", &q, &search.clone().exact()).unwrap();
        let mut truth: Vec<(f32, u64)> = points
            .iter()
            .filter(|(_, _, p)| admits(p))
            .map(|(k, v, _)| (common::squared_l2(&q, v).sqrt(), *k))
            .collect();
        truth.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        truth.truncate(10);
        let got: Vec<u64> = exact.hits.iter().map(|h| h.key).collect();
        let want: Vec<u64> = truth.iter().map(|t| t.1).collect();
        assert_eq!(got.len(), want.len(), "seed {s}: {search:?}");
        for (h, t) in exact.hits.iter().zip(&truth) {
            assert!(
                (h.score - t.0).abs() < 1e-3,
                "seed {s}: {search:?}: {got:?} vs {want:?}"
            );
        }
        let walked = db.search("c", &q, &search).unwrap();
        let keys: std::collections::HashSet<u64> = points
            .iter()
            .filter(|(_, _, p)| admits(p))
            .map(|(k, _, _)| *k)
            .collect();
        assert!(
            walked.hits.iter().all(|h| keys.contains(&h.key)),
            "seed {s}: {search:?}"
        );
        assert_eq!(
            walked.hits.len(),
            10.min(keys.len()),
            "seed {s}: {search:?}"
        );
    }
}

#[test]
fn indexed_and_unindexed_conditions_admit_the_same_points() {
    let s = seed(11);
    let mut rng = Rng(s);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut points: Vec<(u64, Vec<f32>, Props)> = (0..3_000u64)
        .map(|k| (k, rng.vector(8), payload(&mut rng)))
        .collect();
    let mut w = db.begin_write().unwrap();
    w.create_collection("c", CollectionConfig::new(8, Metric::L2))
        .unwrap();
    // One index declared before the points, one after (backfilled).
    w.create_payload_index("c", "size").unwrap();
    for (k, v, p) in &points {
        w.upsert_vector("c", *k, v, p.clone()).unwrap();
    }
    w.commit().unwrap();
    // Without an index on "section": payloads are read.
    check_cases(&db, &points, &mut rng, s);
    let mut w = db.begin_write().unwrap();
    w.create_payload_index("c", "section").unwrap();
    w.create_payload_index("c", "section").unwrap();
    w.commit().unwrap();
    let info = &db.begin_read().unwrap().collections().unwrap()[0];
    assert_eq!(info.payload_indexes, ["size", "section"]);
    check_cases(&db, &points, &mut rng, s);

    // Updates move points between values, deletes remove them; a write
    // transaction sees its own changes through the index.
    let mut w = db.begin_write().unwrap();
    for k in (0..3_000u64).step_by(7) {
        let fresh = payload(&mut rng);
        w.upsert_vector("c", k, &points[k as usize].1, fresh.clone())
            .unwrap();
        points[k as usize].2 = fresh;
    }
    for k in (3..3_000u64).step_by(11) {
        w.delete_vector("c", k).unwrap();
    }
    let c = w.collection("c").unwrap();
    let q = rng.vector(8);
    for (search, admits) in cases() {
        let keys: std::collections::HashSet<u64> = points
            .iter()
            .filter(|(k, _, p)| k % 11 != 3 && admits(p))
            .map(|(k, _, _)| *k)
            .collect();
        let hits = c.search(&q, &search.clone().exact()).unwrap().hits;
        assert_eq!(hits.len(), 10.min(keys.len()), "seed {s}: {search:?}");
        assert!(
            hits.iter().all(|h| keys.contains(&h.key)),
            "seed {s}: {search:?}"
        );
    }
    drop(c);
    w.commit().unwrap();
    points.retain(|(k, _, _)| k % 11 != 3);
    check_cases(&db, &points, &mut rng, s);
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);

    // Across a reopen; then with the index dropped (payloads read again).
    let path = dir.path().to_owned();
    db.close().unwrap();
    let db = Database::open(&path).unwrap();
    check_cases(&db, &points, &mut rng, s);
    let mut w = db.begin_write().unwrap();
    assert!(w.drop_payload_index("c", "size").unwrap());
    assert!(!w.drop_payload_index("c", "size").unwrap());
    w.commit().unwrap();
    check_cases(&db, &points, &mut rng, s);
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    // Dropping the collection drops its index entries (the check finds
    // none left behind).
    let mut w = db.begin_write().unwrap();
    w.drop_collection("c").unwrap();
    w.commit().unwrap();
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn an_aborted_index_and_bad_conditions_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_collection("c", CollectionConfig::new(2, Metric::Cosine))
        .unwrap();
    w.upsert_vector("c", 1, &[1.0, 0.0], props! {"n" => 1})
        .unwrap();
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_payload_index("c", "n").unwrap();
    drop(w);
    let r = db.begin_read().unwrap();
    assert!(r.collections().unwrap()[0].payload_indexes.is_empty());
    drop(r);
    let mut w = db.begin_write().unwrap();
    assert!(matches!(
        w.create_payload_index("c", ""),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        w.create_payload_index("c", &"x".repeat(256)),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        w.create_payload_index("nope", "n"),
        Err(Error::CollectionNotFound(_))
    ));
    w.create_payload_index("c", "n").unwrap();
    w.commit().unwrap();
    for bad in [
        Search::k(1).payload_eq("n", f64::NAN),
        Search::k(1).payload_range("n", ..f64::NAN),
        Search::k(1).payload_range::<i64>("n", ..),
        Search::k(1).payload_range(
            "n",
            (
                Bound::Included(Value::from(1)),
                Bound::Included(Value::from("z")),
            ),
        ),
    ] {
        assert!(
            matches!(
                db.search("c", &[1.0, 0.0], &bad),
                Err(Error::InvalidArgument(_))
            ),
            "{bad:?}"
        );
    }
    // Integers find floats and the other way round.
    let hits = db
        .search("c", &[1.0, 0.0], &Search::k(1).payload_eq("n", 1.0))
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 1);
    assert!(db.check().unwrap().is_ok());
}
