//! Vector collections: HNSW recall against exact search on seeded data,
//! filters, updates and deletes that never resurface, reopen, node-bound
//! collections, and the refusals.
//!
//! Set `QUIVER_TEST_SEED=<u64>` to try other data; failures print the seed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::float_cmp,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::HashSet;

use common::{Rng, seed};

use quiverdb::vector::{CollectionConfig, DEFAULT_EF, IndexEngine, Metric, Quantization, Search};
use quiverdb::{Database, Error, GraphRead, NodeId, props};

/// `n` vectors around 40 random centres (clustered, like real embeddings).
fn dataset(rng: &mut Rng, n: usize, dim: usize) -> Vec<Vec<f32>> {
    let centres: Vec<Vec<f32>> = (0..40)
        .map(|_| (0..dim).map(|_| rng.gauss()).collect())
        .collect();
    (0..n)
        .map(|i| {
            centres[i % 40]
                .iter()
                .map(|c| c + 0.6 * rng.gauss())
                .collect()
        })
        .collect()
}

fn load(db: &Database, name: &str, metric: Metric, data: &[Vec<f32>]) {
    load_in(db, name, CollectionConfig::new(data[0].len(), metric), data);
}

fn load_in(db: &Database, name: &str, config: CollectionConfig, data: &[Vec<f32>]) {
    let mut w = db.begin_write().unwrap();
    w.create_collection(name, config).unwrap();
    for (i, v) in data.iter().enumerate() {
        w.upsert_vector(name, i as u64, v, props! {"i" => i as i64})
            .unwrap();
    }
    w.commit().unwrap();
}

/// Recall@k of `search` (of k `k`) against exact search, with the `ef`
/// each query used (`None`: searched exactly).
fn recall_of(
    db: &Database,
    name: &str,
    queries: &[Vec<f32>],
    search: &Search,
    k: usize,
) -> (f64, Vec<Option<usize>>) {
    let mut found = 0;
    let mut efs = Vec::new();
    for q in queries {
        let approx = db.search(name, q, search).unwrap();
        efs.push(approx.ef);
        let exact = db.search_exact(name, q, search).unwrap();
        assert!(exact.exact);
        let truth: HashSet<u64> = exact.hits.iter().map(|h| h.key).collect();
        found += approx
            .hits
            .iter()
            .filter(|h| truth.contains(&h.key))
            .count();
    }
    (found as f64 / (queries.len() * k) as f64, efs)
}

fn recall(db: &Database, name: &str, queries: &[Vec<f32>], k: usize) -> f64 {
    let (r, efs) = recall_of(db, name, queries, &Search::k(k), k);
    assert!(
        efs.iter().all(Option::is_some),
        "a 20k collection must be searched by HNSW"
    );
    r
}

#[test]
fn hnsw_recall_at_the_default_ef_for_every_metric() {
    let seed = seed(0x0dd_5eed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed);
    // Queries come from the data's own distribution (the same centres), as
    // real queries do; they are not in the collection.
    let mut all = dataset(&mut rng, 20_100, 48);
    let queries = all.split_off(20_000);
    let data = all;
    for (name, metric) in [
        ("cos", Metric::Cosine),
        ("l2", Metric::L2),
        ("dot", Metric::Dot),
    ] {
        load(&db, name, metric, &data);
        let r = recall(&db, name, &queries, 10);
        assert!(
            r >= 0.95,
            "seed {seed}: {metric:?} recall@10 {r:.3} < 0.95 at the default ef"
        );
        // Scores are the metric's natural ones, best first.
        let hits = db
            .search_exact(name, &queries[0], &Search::k(5))
            .unwrap()
            .hits;
        let ordered = hits.windows(2).all(|w| {
            if metric.higher_is_better() {
                w[0].score >= w[1].score
            } else {
                w[0].score <= w[1].score
            }
        });
        assert!(ordered, "{metric:?}: {hits:?}");
    }
    // The index survives a reopen (rebuilt from storage) with its recall.
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(
        db.begin_read().unwrap().collection("cos").unwrap().count(),
        20_000
    );
    let r = recall(&db, "cos", &queries, 10);
    assert!(r >= 0.95, "seed {seed}: recall after reopen {r:.3}");
}

#[test]
fn int8_walks_keep_the_recall_and_report_exact_scores() {
    let seed = seed(0x1e8_5eed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed);
    let mut all = dataset(&mut rng, 20_100, 48);
    let queries = all.split_off(20_000);
    for (name, metric) in [
        ("cos", Metric::Cosine),
        ("l2", Metric::L2),
        ("dot", Metric::Dot),
    ] {
        let config = CollectionConfig::new(48, metric).quantization(Quantization::Int8);
        load_in(&db, name, config, &all);
        let r = recall(&db, name, &queries, 10);
        assert!(r >= 0.95, "seed {seed}: {metric:?} int8 recall@10 {r:.3}");
        // Scores are the exact ones (re-ranked), not the codes' estimates.
        for q in queries.iter().take(20) {
            let hits = db.search(name, q, &Search::k(10)).unwrap().hits;
            let exact = db.search_exact(name, q, &Search::k(50)).unwrap().hits;
            for h in &hits {
                if let Some(e) = exact.iter().find(|e| e.key == h.key) {
                    assert!(
                        (e.score - h.score).abs() <= 1e-5 * e.score.abs().max(1.0),
                        "{metric:?}: {} vs {}",
                        h.score,
                        e.score
                    );
                }
            }
        }
    }
    // The quantization is part of the collection: it survives a reopen
    // (the codes are learned again from the checkpoint's vectors).
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    let infos = db.begin_read().unwrap().collections().unwrap();
    assert!(
        infos
            .iter()
            .all(|c| c.config.quantization == Quantization::Int8)
    );
    let r = recall(&db, "cos", &queries, 10);
    assert!(r >= 0.95, "seed {seed}: int8 recall after reopen {r:.3}");
    // Codes need the native engine.
    let mut w = db.begin_write().unwrap();
    let err = w
        .create_collection(
            "old",
            CollectionConfig::new(4, Metric::L2)
                .engine(IndexEngine::HnswRs)
                .quantization(Quantization::Int8),
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert!(err.to_string().contains("native engine"), "{err}");
}

/// One-bit codes: at the default ef a checkpoint calibrates, every
/// metric's estimates lead the walk to the true neighbours, scored
/// exactly, also after a reopen. (Tight clusters far from the centroid are
/// the hard case for one-bit codes: this set needs a far larger ef than
/// with int8.)
#[test]
fn binary_walks_reach_a_recall_target_with_exact_scores() {
    let seed = seed(0xb17_5eed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed);
    let mut all = dataset(&mut rng, 20_100, 128);
    let queries = all.split_off(20_000);
    let target = Search::k(10);
    let measure = |db: &Database, name: &str| {
        let mut found = 0;
        for q in &queries {
            let got = db.search(name, q, &target).unwrap();
            assert!(!got.exact && got.ef.is_some(), "{name}: walked, {got:?}");
            let truth = db.search_exact(name, q, &Search::k(10)).unwrap().hits;
            for h in &got.hits {
                if let Some(t) = truth.iter().find(|t| t.key == h.key) {
                    found += 1;
                    assert!(
                        (t.score - h.score).abs() <= 1e-5 * t.score.abs().max(1.0),
                        "{name}: {} vs {}",
                        h.score,
                        t.score
                    );
                }
            }
        }
        f64::from(found) / (10 * queries.len()) as f64
    };
    for (name, metric) in [
        ("cos", Metric::Cosine),
        ("l2", Metric::L2),
        ("dot", Metric::Dot),
    ] {
        let config = CollectionConfig::new(128, metric).quantization(Quantization::Binary);
        load_in(&db, name, config, &all);
        db.checkpoint().unwrap();
        let r = measure(&db, name);
        assert!(r >= 0.93, "seed {seed}: {metric:?} binary recall@10 {r:.3}");
    }
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    let r = measure(&db, "l2");
    assert!(r >= 0.93, "seed {seed}: binary recall after reopen {r:.3}");
    // The walk reads links and codes only, held in memory: far less than
    // the vectors, which stay mapped for the re-rank.
    let info = db.vector_index_info("l2").unwrap();
    let (walk, memory) = (info.walk_bytes.unwrap(), info.memory_bytes.unwrap());
    assert!(walk < memory, "{info:?}");
    assert_eq!(info.mapped_bytes, 20_000 * 128 * 4, "{info:?}");
    assert!(walk < info.mapped_bytes / 2, "{info:?}");
}

#[test]
fn replacing_points_gives_their_rows_back() {
    let seed = seed(0xc4_0a11);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed);
    let mut all = dataset(&mut rng, 6_050, 24);
    let queries = all.split_off(6_000);
    for quant in [Quantization::None, Quantization::Int8] {
        let name = quant.name();
        let config = CollectionConfig::new(24, Metric::L2).quantization(quant);
        load_in(&db, name, config, &all);
        // A reader holding the first snapshot for three rounds: its points
        // stay findable meanwhile (and hold their rows back).
        let mut old = Some(db.begin_read().unwrap());
        for round in 0..20u64 {
            let mut w = db.begin_write().unwrap();
            for i in 0..600u64 {
                let key = (i * 7 + round * 600) % 6_000;
                let v: Vec<f32> = all[key as usize].iter().map(|x| x + 0.05).collect();
                w.upsert_vector(name, key, &v, props! {}).unwrap();
            }
            w.commit().unwrap();
            let rows = db.vector_index_info(name).unwrap().graph_points;
            if round == 2 {
                // The old snapshot still finds its own version of a point.
                let r = old.take().unwrap();
                let hit = &r
                    .collection(name)
                    .unwrap()
                    .search(&all[0], &Search::k(1))
                    .unwrap()
                    .hits[0];
                assert_eq!((hit.key, hit.score), (0, 0.0));
                assert_eq!(rows, 6_000 + 3 * 600, "nothing reclaimed under the reader");
            } else if round > 3 {
                // Reclaimed rows go back by themselves (at a quarter of
                // the graph): never more than 4/3 of the live points.
                assert!(rows <= 8_000, "{quant:?} round {round}: {rows} rows");
            }
        }
        db.compact_collection(name).unwrap();
        let info = db.vector_index_info(name).unwrap();
        assert_eq!(info.graph_points, 6_000, "{quant:?}");
        assert_eq!(info.points, 6_000);
        let r = recall(&db, name, &queries, 10);
        assert!(
            r >= 0.95,
            "seed {seed}: {quant:?} recall after churn {r:.3}"
        );
        assert!(db.check().unwrap().is_ok());
    }
    // Reopened: the compacted graph was checkpointed and loads.
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    assert!(db.vector_index_info("int8").unwrap().from_checkpoint);
    let r = recall(&db, "int8", &queries, 10);
    assert!(r >= 0.95, "seed {seed}: recall after reopen {r:.3}");
}

#[test]
fn a_recall_target_chooses_the_ef_and_says_so() {
    let seed = seed(0x4ec_a11);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed);
    let mut all = dataset(&mut rng, 20_200, 32);
    let queries = all.split_off(20_000);
    load(&db, "v", Metric::L2, &all);
    let ef_for = |target: f64| {
        let found = db
            .search("v", &queries[0], &Search::k(10).recall(target))
            .unwrap();
        (found.ef, found.exact)
    };
    let (low, _) = ef_for(0.5);
    let (mid, exact) = ef_for(0.95);
    assert!(!exact);
    let (low, mid) = (low.unwrap(), mid.unwrap());
    assert!(low <= mid, "{low} > {mid}");
    assert!(
        low <= 16,
        "recall 0.5 needs no more than ef 16, chose {low}"
    );
    // The chosen ef holds the target on queries the calibration never saw
    // (they come from the same distribution), give or take the sampling.
    let mut hit = 0;
    for q in &queries {
        let approx = db.search("v", q, &Search::k(10).recall(0.95)).unwrap();
        assert_eq!(approx.ef, Some(mid));
        let truth: HashSet<u64> = db
            .search_exact("v", q, &Search::k(10))
            .unwrap()
            .hits
            .iter()
            .map(|h| h.key)
            .collect();
        hit += approx
            .hits
            .iter()
            .filter(|h| truth.contains(&h.key))
            .count();
    }
    let r = hit as f64 / (10 * queries.len()) as f64;
    assert!(
        r >= 0.93,
        "seed {seed}: recall {r:.3} at the ef chosen for 0.95 ({mid})"
    );
    // A plain search walks at the ef measured for 0.95 (the calibration
    // just made); an explicit ef wins; targets outside (0, 1] are refused.
    let plain = db.search("v", &queries[0], &Search::k(10)).unwrap();
    assert_eq!(plain.ef, Some(mid));
    let given = db
        .search("v", &queries[0], &Search::k(10).ef(20).recall(0.99))
        .unwrap();
    assert_eq!(given.ef, Some(20));
    for bad in [0.0, 1.5, f64::NAN] {
        let err = db
            .search("v", &queries[0], &Search::k(10).recall(bad))
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{bad}: {err}");
    }
    // A collection small enough to search exactly is searched exactly.
    load(&db, "small", Metric::L2, &all[..500]);
    let small = db
        .search("small", &queries[0], &Search::k(10).recall(0.95))
        .unwrap();
    assert!(small.exact);
    assert_eq!(small.ef, None);
}

#[test]
fn filters_return_only_allowed_keys_and_k_of_them() {
    let seed = seed(0x0dd_5eed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed ^ 1);
    let data = dataset(&mut rng, 10_000, 16);
    load(&db, "v", Metric::Cosine, &data);
    let q = &data[7];
    // Selective (exact path) and broad (HNSW path) key filters.
    for allowed in [
        (0..10_000).step_by(997).collect::<Vec<u64>>(),
        (0..10_000).filter(|k| k % 3 != 0).collect(),
    ] {
        let res = db
            .search("v", q, &Search::k(10).keys(allowed.iter().copied()))
            .unwrap();
        assert_eq!(
            res.hits.len(),
            10.min(allowed.len()),
            "{} allowed",
            allowed.len()
        );
        assert!(res.hits.iter().all(|h| allowed.contains(&h.key)));
        assert_eq!(res.exact, allowed.len() < 500, "{} allowed", allowed.len());
    }
    // A threshold keeps only hits at least that similar.
    let close = db.search("v", q, &Search::k(50).threshold(0.99)).unwrap();
    assert!(close.hits.iter().all(|h| h.score >= 0.99));
    assert_eq!(close.hits[0].key, 7);
}

#[test]
fn updated_and_deleted_points_never_resurface() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed(0x0dd_5eed) ^ 2);
    let data = dataset(&mut rng, 5_000, 16);
    load(&db, "v", Metric::L2, &data);
    // Move point 1 onto point 2's position, delete points 3..2003 (a 40%
    // tombstone ratio, past the automatic rebuild threshold).
    let mut w = db.begin_write().unwrap();
    assert!(!w.upsert_vector("v", 1, &data[2], props! {}).unwrap());
    for k in 3..2003 {
        assert!(w.delete_vector("v", k).unwrap());
    }
    assert!(!w.delete_vector("v", 3).unwrap());
    w.commit().unwrap();
    let check = |db: &Database, when: &str| {
        let r = db.begin_read().unwrap();
        assert_eq!(r.collection("v").unwrap().count(), 3_000, "{when}");
        for k in [3usize, 500, 2002] {
            assert!(
                r.collection("v").unwrap().get(k as u64).unwrap().is_none(),
                "{when}"
            );
            for res in [
                db.search("v", &data[k], &Search::k(20)).unwrap(),
                db.search_exact("v", &data[k], &Search::k(20)).unwrap(),
            ] {
                assert!(
                    res.hits.iter().all(|h| !(3..2003).contains(&h.key)),
                    "{when}: a deleted point resurfaced: {:?}",
                    res.hits
                );
            }
        }
        // Point 1 now sits where point 2 is: both at distance 0 from it,
        // and nothing is left at point 1's old position.
        let hits = db.search("v", &data[2], &Search::k(2)).unwrap().hits;
        let keys: HashSet<u64> = hits.iter().map(|h| h.key).collect();
        assert_eq!(keys, HashSet::from([1, 2]), "{when}: {hits:?}");
        assert!(hits.iter().all(|h| h.score == 0.0), "{when}: {hits:?}");
        let old = db.search("v", &data[1], &Search::k(1)).unwrap().hits[0].clone();
        assert!(old.key != 1 && old.score > 0.0, "{when}: {old:?}");
    };
    check(&db, "after the commit");
    drop(db);
    check(&Database::open(dir.path()).unwrap(), "after reopen");
}

#[test]
fn node_bound_collections_follow_their_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_collection(
        "emb",
        CollectionConfig::new(2, Metric::Cosine).bound_to_nodes(),
    )
    .unwrap();
    let a = w.add_node(&["Doc"], props! {}).unwrap();
    let b = w.add_node(&["Doc"], props! {}).unwrap();
    w.add_edge(a, b, "CITES", props! {}).unwrap();
    w.upsert_vector("emb", a.0, &[1.0, 0.0], props! {}).unwrap();
    w.upsert_vector("emb", b.0, &[0.0, 1.0], props! {}).unwrap();
    assert!(matches!(
        w.upsert_vector("emb", 999, &[1.0, 1.0], props! {}),
        Err(Error::NodeNotFound(NodeId(999)))
    ));
    w.commit().unwrap();
    assert_eq!(
        db.search("emb", &[1.0, 0.1], &Search::k(1)).unwrap().hits[0].key,
        a.0
    );

    let mut w = db.begin_write().unwrap();
    w.detach_delete_node(a).unwrap();
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert!(r.collection("emb").unwrap().get(a.0).unwrap().is_none());
    assert_eq!(r.collection("emb").unwrap().count(), 1);
    let hits = db.search("emb", &[1.0, 0.0], &Search::k(5)).unwrap().hits;
    assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), vec![b.0]);
}

#[test]
fn aborted_vector_writes_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_collection("v", CollectionConfig::new(2, Metric::L2))
        .unwrap();
    w.upsert_vector("v", 1, &[0.0, 0.0], props! {}).unwrap();
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    w.upsert_vector("v", 2, &[1.0, 1.0], props! {}).unwrap();
    w.delete_vector("v", 1).unwrap();
    w.create_collection("other", CollectionConfig::new(2, Metric::L2))
        .unwrap();
    w.abort();
    let r = db.begin_read().unwrap();
    assert_eq!(r.collection("v").unwrap().count(), 1);
    assert_eq!(r.collections().unwrap().len(), 1);
    let hits = db.search("v", &[1.0, 1.0], &Search::k(5)).unwrap().hits;
    assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), vec![1]);
    assert!(matches!(
        db.search("other", &[1.0, 1.0], &Search::k(1)),
        Err(Error::CollectionNotFound(_))
    ));
}

#[test]
fn bad_vectors_and_configs_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    for bad in [
        CollectionConfig::new(0, Metric::L2),
        CollectionConfig::new(1 << 31, Metric::L2),
        CollectionConfig::new(4, Metric::L2).hnsw(257, 100),
        CollectionConfig::new(4, Metric::L2).hnsw(16, 0),
    ] {
        assert!(matches!(
            w.create_collection("x", bad),
            Err(Error::InvalidArgument(_))
        ));
    }
    w.create_collection("v", CollectionConfig::new(3, Metric::Cosine))
        .unwrap();
    assert!(matches!(
        w.create_collection("v", CollectionConfig::new(3, Metric::Cosine)),
        Err(Error::CollectionExists(_))
    ));
    assert!(matches!(
        w.upsert_vector("v", 1, &[1.0, 2.0], props! {}),
        Err(Error::DimensionMismatch {
            expected: 3,
            found: 2
        })
    ));
    assert!(matches!(
        w.upsert_vector("v", 1, &[1.0, f32::NAN, 0.0], props! {}),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        w.upsert_vector("v", 1, &[f32::INFINITY, 0.0, 0.0], props! {}),
        Err(Error::InvalidArgument(_))
    ));
    let err = w
        .upsert_vector("v", 1, &[0.0, 0.0, 0.0], props! {})
        .unwrap_err();
    assert!(err.to_string().contains("zero vector"), "{err}");
    assert!(matches!(
        w.upsert_vector("nope", 1, &[1.0, 0.0, 0.0], props! {}),
        Err(Error::CollectionNotFound(_))
    ));
    w.upsert_vector("v", 1, &[1.0, 0.0, 0.0], props! {})
        .unwrap();
    w.commit().unwrap();
    assert!(matches!(
        db.search("v", &[1.0, 0.0], &Search::k(1)),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        db.search("v", &[f32::NAN, 0.0, 0.0], &Search::k(1)),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        db.search("v", &[0.0, 0.0, 0.0], &Search::k(1)),
        Err(Error::InvalidArgument(_))
    ));
    assert!(
        db.search("v", &[1.0, 0.0, 0.0], &Search::k(0))
            .unwrap()
            .hits
            .is_empty()
    );
    // Stored vectors come back normalised (cosine), with their payload.
    let mut w = db.begin_write().unwrap();
    w.upsert_vector("v", 2, &[3.0, 4.0, 0.0], props! {"t" => "x"})
        .unwrap();
    w.commit().unwrap();
    let p = db
        .begin_read()
        .unwrap()
        .collection("v")
        .unwrap()
        .get(2)
        .unwrap()
        .unwrap();
    assert_eq!(p.vector, vec![0.6, 0.8, 0.0]);
    assert_eq!(p.payload, props! {"t" => "x"});
    // Dropping removes the collection and its points.
    let mut w = db.begin_write().unwrap();
    w.drop_collection("v").unwrap();
    w.commit().unwrap();
    assert!(matches!(
        db.search("v", &[1.0, 0.0, 0.0], &Search::k(1)),
        Err(Error::CollectionNotFound(_))
    ));
    assert!(db.begin_read().unwrap().collections().unwrap().is_empty());
}

#[test]
fn batch_upserts_report_and_skip_bad_points() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_collection("v", CollectionConfig::new(2, Metric::Cosine))
        .unwrap();
    w.upsert_vector("v", 7, &[1.0, 0.0], props! {}).unwrap();
    let good = [0.0f32, 1.0];
    let short = [1.0f32];
    let zero = [0.0f32, 0.0];
    let nan = [f32::NAN, 1.0];
    let points: Vec<(u64, &[f32], quiverdb::Props)> = vec![
        (1, &good, props! {}),
        (2, &short, props! {}),
        (7, &good, props! {}),
        (3, &zero, props! {}),
        (4, &nan, props! {}),
        (5, &good, props! {"x" => f64::NAN}),
        (6, &good, props! {}),
    ];
    let report = w.upsert_vectors("v", points).unwrap();
    assert_eq!((report.inserted, report.updated), (2, 1));
    let rejected: Vec<(usize, u64)> = report.rejected.iter().map(|r| (r.index, r.key)).collect();
    assert_eq!(rejected, vec![(1, 2), (3, 3), (4, 4), (5, 5)]);
    assert!(
        report.rejected[0].reason.contains("components"),
        "{:?}",
        report.rejected[0]
    );
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(r.collection("v").unwrap().count(), 3);
    for k in [2, 3, 4, 5] {
        assert!(r.collection("v").unwrap().get(k).unwrap().is_none());
    }
    assert!(matches!(
        db.begin_write().unwrap().upsert_vectors("nope", Vec::new()),
        Err(Error::CollectionNotFound(_))
    ));
}

#[test]
fn label_and_payload_filters() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_collection("emb", CollectionConfig::new(2, Metric::L2).bound_to_nodes())
        .unwrap();
    w.create_collection("free", CollectionConfig::new(2, Metric::L2))
        .unwrap();
    let mut docs = Vec::new();
    for i in 0..3_000u32 {
        let label = if i % 10 == 0 { "Rare" } else { "Common" };
        let n = w.add_node(&[label], props! {}).unwrap();
        let x = i as f32;
        w.upsert_vector("emb", n.0, &[x, 0.0], props! {"even" => i % 2 == 0})
            .unwrap();
        docs.push((n, label));
    }
    w.upsert_vector("free", 1, &[0.0, 0.0], props! {}).unwrap();
    w.commit().unwrap();
    let q = [1500.2f32, 0.0];
    let rare = db.search("emb", &q, &Search::k(5).label("Rare")).unwrap();
    assert_eq!(rare.hits.len(), 5);
    for h in &rare.hits {
        assert!(
            docs.iter().any(|(n, l)| n.0 == h.key && *l == "Rare"),
            "{h:?}"
        );
    }
    assert_eq!(rare.hits[0].key, docs[1500].0.0);
    let even = db
        .search(
            "emb",
            &q,
            &Search::k(4).payload(|p| p.get("even") == Some(&quiverdb::Value::Bool(true))),
        )
        .unwrap();
    let keys: Vec<u64> = even.hits.iter().map(|h| h.key).collect();
    assert_eq!(
        keys,
        vec![
            docs[1500].0.0,
            docs[1502].0.0,
            docs[1498].0.0,
            docs[1504].0.0
        ]
    );
    // Both filters at once: intersection.
    let both = db
        .search(
            "emb",
            &q,
            &Search::k(3)
                .label("Rare")
                .payload(|p| p.get("even") == Some(&quiverdb::Value::Bool(true))),
        )
        .unwrap();
    assert!(
        both.hits
            .iter()
            .all(|h| docs.iter().any(|(n, l)| n.0 == h.key && *l == "Rare"))
    );
    assert!(matches!(
        db.search("free", &[0.0, 0.0], &Search::k(1).label("Rare")),
        Err(Error::InvalidArgument(_))
    ));
    // An explicit rebuild keeps the answers.
    db.compact_collection("emb").unwrap();
    assert_eq!(
        db.search("emb", &q, &Search::k(5).label("Rare"))
            .unwrap()
            .hits,
        rare.hits
    );
    assert!(matches!(
        db.compact_collection("nope"),
        Err(Error::CollectionNotFound(_))
    ));
}

/// The two HNSW engines against each other and against exact search, on
/// the same seeded data: the same recall budget, the same filters honoured,
/// deletes never resurfacing, and the native engine rebuilt at reopen.
#[test]
fn both_engines_meet_the_same_recall_and_filter_contract() {
    use quiverdb::vector::IndexEngine;
    let seed = seed(0x0dd_5eed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed ^ 2);
    let mut all = dataset(&mut rng, 20_100, 32);
    let queries = all.split_off(20_000);
    for metric in [Metric::Cosine, Metric::L2, Metric::Dot] {
        for engine in [IndexEngine::HnswRs, IndexEngine::Native] {
            let name = format!("{metric:?}-{engine:?}");
            let config = CollectionConfig::new(32, metric).engine(engine);
            load_in(&db, &name, config, &all);
            let r = recall(&db, &name, &queries, 10);
            assert!(r >= 0.95, "seed {seed}: {name} recall@10 {r:.3}");
            // Scores are the metric's own, computed from the stored vector
            // (the inner product exactly as a plain sum gives it, up to the
            // summation order), in the walk and in exact search alike.
            for exact in [false, true] {
                let search = if exact {
                    Search::k(5).exact()
                } else {
                    Search::k(5)
                };
                let got = db.search(&name, &queries[0], &search).unwrap();
                let c = db.begin_read().unwrap();
                let c = c.collection(&name).unwrap();
                for h in &got.hits {
                    let v = c.get(h.key).unwrap().unwrap().vector;
                    let q: Vec<f32> = if metric == Metric::Cosine {
                        let n = queries[0].iter().map(|x| x * x).sum::<f32>().sqrt();
                        queries[0].iter().map(|x| x / n).collect()
                    } else {
                        queries[0].clone()
                    };
                    let expected = match metric {
                        Metric::L2 => q
                            .iter()
                            .zip(&v)
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum::<f32>()
                            .sqrt(),
                        _ => q.iter().zip(&v).map(|(a, b)| a * b).sum(),
                    };
                    assert!(
                        (h.score - expected).abs() <= 1e-4 * expected.abs().max(1.0),
                        "{name}: key {} scored {} where the vectors give {expected}",
                        h.key,
                        h.score
                    );
                }
            }
            // A broad filter (HNSW walk with the filter inside): k hits, all
            // admitted, and most of the exact filtered answer.
            let allowed: Vec<u64> = (0..20_000).filter(|k| k % 4 != 1).collect();
            let mut agree = 0;
            for q in queries.iter().take(20) {
                let search = Search::k(10).keys(allowed.iter().copied());
                let got = db.search(&name, q, &search).unwrap();
                assert!(!got.exact);
                assert_eq!(got.hits.len(), 10);
                assert!(got.hits.iter().all(|h| h.key % 4 != 1), "{name}");
                let truth = db.search_exact(&name, q, &search).unwrap();
                agree += got
                    .hits
                    .iter()
                    .filter(|h| truth.hits.iter().any(|t| t.key == h.key))
                    .count();
            }
            // Budget: 85% of the exact filtered top 10 (a filtered walk
            // admits a quarter of the points, so its beam is thinner).
            println!("{name}: recall@10 {r:.3}, filtered agreement {agree}/200");
            assert!(agree >= 170, "{name}: filtered answers agree {agree}/200");
        }
    }
    // Deletes leave the native engine's answers at once.
    let name = "Cosine-Native";
    let mut w = db.begin_write().unwrap();
    for key in 0..2_000u64 {
        w.delete_vector(name, key).unwrap();
    }
    w.commit().unwrap();
    for q in queries.iter().take(20) {
        let hits = db.search(name, q, &Search::k(10)).unwrap().hits;
        assert!(
            hits.iter().all(|h| h.key >= 2_000),
            "a deleted point came back"
        );
    }
    // Compaction repairs the native graph in place: still no deleted point,
    // and the recall over the live points holds.
    db.compact_collection(name).unwrap();
    for q in queries.iter().take(20) {
        let hits = db.search(name, q, &Search::k(10)).unwrap().hits;
        assert!(hits.iter().all(|h| h.key >= 2_000));
    }
    let r = recall(&db, name, &queries, 10);
    assert!(r >= 0.95, "seed {seed}: native recall after repair {r:.3}");
    // Both engines reopen from their checkpoints, with their recall.
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    let info = db.vector_index_info(name).unwrap();
    assert!(info.from_checkpoint, "{info:?}");
    assert_eq!(info.points, 18_000);
    assert!(
        db.vector_index_info("Cosine-HnswRs")
            .unwrap()
            .from_checkpoint
    );
    let r = recall(&db, name, &queries, 10);
    assert!(r >= 0.95, "seed {seed}: native recall after reopen {r:.3}");
}

/// A read transaction answers vector searches for its own snapshot: after
/// later commits delete and move points and drop the collection, an
/// older snapshot still finds the points it holds, where it holds them,
/// through the HNSW walk and exactly — and never a point committed later.
#[test]
fn an_old_snapshot_keeps_its_points_and_even_its_dropped_collection() {
    let seed = seed(0x0dd_5eed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed ^ 0x7);
    let data = dataset(&mut rng, 6_000, 16);
    load(&db, "v", Metric::L2, &data);
    let old = db.begin_read().unwrap();

    // Delete a third, move a third far away, add new points; compact.
    let mut w = db.begin_write().unwrap();
    for k in (0..6_000u64).step_by(3) {
        w.delete_vector("v", k).unwrap();
    }
    for k in (1..6_000u64).step_by(3) {
        let far: Vec<f32> = data[k as usize].iter().map(|x| x + 100.0).collect();
        w.upsert_vector("v", k, &far, props! {}).unwrap();
    }
    for k in 6_000..6_100u64 {
        w.upsert_vector("v", k, &data[(k - 6_000) as usize], props! {})
            .unwrap();
    }
    w.commit().unwrap();
    db.compact_collection("v").unwrap();

    let c = old.collection("v").unwrap();
    assert_eq!(c.count(), 6_000);
    let mut found = 0;
    for q in data.iter().step_by(97).take(40) {
        let truth = c.search_exact(q, &Search::k(10)).unwrap();
        let approx = c.search(q, &Search::k(10)).unwrap();
        assert!(!approx.exact);
        for hits in [&truth.hits, &approx.hits] {
            assert!(
                hits.iter().all(|h| h.key < 6_000),
                "a later point: {hits:?}"
            );
        }
        let truth: HashSet<u64> = truth.hits.iter().map(|h| h.key).collect();
        found += approx
            .hits
            .iter()
            .filter(|h| truth.contains(&h.key))
            .count();
    }
    assert!(
        found >= 380,
        "seed {seed}: recall on the old snapshot {found}/400"
    );
    // The new view: deleted points gone, moved points far away.
    let now = db.search("v", &data[3], &Search::k(5)).unwrap();
    assert!(now.hits.iter().all(|h| h.key % 3 != 0 || h.key >= 6_000));

    // Drop the collection: the old snapshot still searches it.
    let mut w = db.begin_write().unwrap();
    w.drop_collection("v").unwrap();
    w.commit().unwrap();
    assert!(matches!(
        db.begin_read().unwrap().collection("v"),
        Err(Error::CollectionNotFound(_))
    ));
    let hit = c.search(&data[0], &Search::k(1)).unwrap().hits[0].clone();
    assert_eq!(hit.key, 0);
    drop(c);
    drop(old);
    // Once the snapshot is gone, the next commit forgets the dropped index.
    let mut w = db.begin_write().unwrap();
    w.create_collection("w", CollectionConfig::new(2, Metric::L2))
        .unwrap();
    w.upsert_vector("w", 1, &[1.0, 2.0], props! {}).unwrap();
    w.commit().unwrap();
    assert!(db.check().unwrap().is_ok());
}

/// Readers search a node-bound collection while a writer deletes nodes
/// (and with them their points) and adds new ones: every hit is a node of
/// the reader's own snapshot, every time.
#[test]
fn searches_racing_commits_only_return_nodes_of_their_snapshot() {
    let seed = seed(0x0dd_5eed);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed ^ 0xb);
    let data = dataset(&mut rng, 4_000, 8);
    let mut w = db.begin_write().unwrap();
    w.create_collection(
        "v",
        CollectionConfig::new(8, Metric::Cosine).bound_to_nodes(),
    )
    .unwrap();
    let mut nodes = Vec::new();
    for v in &data {
        let n = w.add_node(&["P"], props! {}).unwrap();
        w.upsert_vector("v", n.0, v, props! {}).unwrap();
        nodes.push(n);
    }
    w.commit().unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for (round, chunk) in nodes.chunks(100).take(25).enumerate() {
                let mut w = db.begin_write().unwrap();
                for &n in chunk {
                    w.delete_node(n).unwrap();
                }
                for v in &data[round * 50..round * 50 + 50] {
                    let n = w.add_node(&["P"], props! {}).unwrap();
                    w.upsert_vector("v", n.0, v, props! {}).unwrap();
                }
                w.commit().unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let mut searches = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) || searches < 50 {
            let r = db.begin_read().unwrap();
            let c = r.collection("v").unwrap();
            let q = &data[searches % data.len()];
            for hit in c.search(q, &Search::k(10)).unwrap().hits {
                assert!(
                    r.contains_node(NodeId(hit.key)).unwrap(),
                    "seed {seed}: hit {} is not a node of the reader's snapshot",
                    hit.key
                );
            }
            assert_eq!(c.count(), r.node_count().unwrap());
            searches += 1;
        }
    });
    assert!(db.check().unwrap().is_ok());
}

/// Recall@10 of `search` (of k 10) against exact search, with the `ef` it
/// used (the same for every query).
fn recall_with(db: &Database, name: &str, queries: &[Vec<f32>], search: &Search) -> (f64, usize) {
    let (r, efs) = recall_of(db, name, queries, search, 10);
    let first = efs[0].expect("searched by HNSW");
    for ef in efs {
        assert_eq!(
            ef.expect("searched by HNSW"),
            first,
            "one ef for every query"
        );
    }
    (r, first)
}

#[test]
fn the_default_ef_is_calibrated_at_checkpoints_and_kept_across_reopens() {
    let seed = seed(0xdef_e75);
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut rng = Rng(seed);
    let mut all = dataset(&mut rng, 20_100, 48);
    let queries = all.split_off(20_000);
    load(&db, "l2", Metric::L2, &all);
    load(&db, "dot", Metric::Dot, &all);
    // One-bit codes of 48 dimensions estimate poorly: such a collection
    // needs far more than the fixed default.
    let bits = CollectionConfig::new(48, Metric::L2).quantization(Quantization::Binary);
    load_in(&db, "bits", bits, &all);
    let k10 = Search::k(10);
    for name in ["l2", "dot", "bits"] {
        let info = db.vector_index_info(name).unwrap();
        assert!(
            !info.calibrated,
            "{name}: nothing measured before a checkpoint"
        );
        assert_eq!(info.default_ef, DEFAULT_EF);
        assert_eq!(recall_with(&db, name, &queries[..10], &k10).1, DEFAULT_EF);
    }
    let (bits_at_48, _) = recall_with(&db, "bits", &queries, &k10);

    db.checkpoint().unwrap();
    let l2 = db.vector_index_info("l2").unwrap();
    assert!(l2.calibrated, "seed {seed}");
    // The default is the ef a recall target of 0.95 chooses, and holds it
    // on queries the calibration never saw.
    let chosen = db
        .search("l2", &queries[0], &Search::k(10).recall(0.95))
        .unwrap();
    assert_eq!(chosen.ef, Some(l2.default_ef), "seed {seed}");
    let (r, ef) = recall_with(&db, "l2", &queries, &k10);
    assert_eq!(ef, l2.default_ef);
    assert!(
        r >= 0.95,
        "seed {seed}: recall@10 {r:.3} at the calibrated ef {ef}"
    );
    // An explicit ef still wins; a larger k walks at least k.
    assert_eq!(
        db.search("l2", &queries[0], &Search::k(10).ef(20))
            .unwrap()
            .ef,
        Some(20)
    );
    let wide = db.search("l2", &queries[0], &Search::k(200)).unwrap();
    assert!(wide.ef.unwrap() >= 200);
    // Inner product too (its calibration queries are made differently).
    let dot = db.vector_index_info("dot").unwrap();
    assert!(dot.calibrated, "seed {seed}: {dot:?}");
    let (r, ef) = recall_with(&db, "dot", &queries, &k10);
    assert!(
        r >= 0.95,
        "seed {seed}: dot recall@10 {r:.3} at the calibrated ef {ef}"
    );
    // The hard collection walks wider, and finds more for it.
    let bits = db.vector_index_info("bits").unwrap();
    assert!(
        bits.calibrated && bits.default_ef > DEFAULT_EF,
        "seed {seed}: {bits:?}"
    );
    let (bits_adapted, _) = recall_with(&db, "bits", &queries, &k10);
    assert!(
        bits_adapted > bits_at_48,
        "seed {seed}: one-bit recall {bits_adapted:.3} at ef {} vs {bits_at_48:.3} at {DEFAULT_EF}",
        bits.default_ef
    );

    // Kept in the checkpoint: a reopen searches at the same ef at once.
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    for (name, before) in [("l2", &l2), ("dot", &dot), ("bits", &bits)] {
        let info = db.vector_index_info(name).unwrap();
        assert!(info.from_checkpoint && info.calibrated, "{name}: {info:?}");
        assert_eq!(info.default_ef, before.default_ef, "{name}");
    }
}
